/*
 * optimizer.c — an optimizer instance: hyperparameter values checked against
 * the registry (registry.c), parameter groups with their own learning rate and
 * weight decay, the step (which calls the registry entry's fused step function
 * in kernels.c once per group) and the save/load of the whole state.
 *
 * State blob layout (little-endian host order, version 1):
 *   "OLOPTST1" | u32 version | u32 endian marker 0x01020304 | u32 name length | name
 *   | u32 hparam count | f64 hp[count] | i64 steps | u64 groups
 *   | per group: u64 n, f64 lr, f64 weight_decay, i64 step, f64 scalars[4], u64 floats, f32 state[floats]
 *   | u32 CRC-32 of everything before it
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim_internal.h"

typedef struct {
    float *params;
    const float *grads;
    size_t n;
    float *state; /* info->state_floats * n */
    double lr, weight_decay;
    long step;
    double scalars[OL_OPTIM_SCALARS];
    /* its tensors (ol_optimizer_set_shapes; one 1-D tensor of n by default), their
     * roles for Muon's rule, and the scratch the entry's step asks for */
    ol_tensor_view *tensors;
    ol_tensor_role *roles;
    size_t n_tensors;
    float *scratch;
} ol_group;

struct ol_optimizer {
    const ol_optim_info *info;
    double hp[OL_HP_COUNT];
    ol_group *groups;
    size_t n_groups, cap_groups;
    long steps;
    int in_eval; /* ol_optimizer_eval_params(o, 1) in effect */
    double **group_scalars; /* &groups[i].scalars[0] for info->after_groups, rebuilt by add_group */
};

ol_status ol_optimizer_create(ol_optimizer **out, const char *name, ol_error *err) {
    if (!out) return ol_fail(err, OL_EINVAL, "ol_optimizer_create: out is NULL");
    *out = NULL;
    const ol_optim_info *info = ol_optim_find(name);
    if (!info) {
        char known[512] = "";
        for (size_t i = 0; i < ol_optim_count(); i++) {
            if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
            strncat(known, ol_optim_at(i)->name, sizeof known - strlen(known) - 1);
        }
        return ol_fail(err, OL_ENOTFOUND, "unknown optimizer '%s' (known: %s)", name ? name : "(null)", known);
    }
    ol_optimizer *o = calloc(1, sizeof *o);
    if (!o) return ol_fail(err, OL_ENOMEM, "out of memory creating optimizer %s", info->name);
    o->info = info;
    for (size_t i = 0; i < info->n_hparams; i++) o->hp[info->hparams[i].id] = info->hparams[i].default_value;
    *out = o;
    return OL_OK;
}

void ol_optimizer_free(ol_optimizer *o) {
    if (!o) return;
    for (size_t i = 0; i < o->n_groups; i++) {
        free(o->groups[i].state);
        free(o->groups[i].tensors);
        free(o->groups[i].roles);
        free(o->groups[i].scratch);
    }
    free(o->groups);
    free(o->group_scalars);
    free(o);
}

const ol_optim_info *ol_optimizer_info(const ol_optimizer *o) { return o ? o->info : NULL; }
size_t ol_optimizer_group_count(const ol_optimizer *o) { return o ? o->n_groups : 0; }
long ol_optimizer_steps(const ol_optimizer *o) { return o ? o->steps : 0; }

static ol_status lookup(const ol_optimizer *o, const char *hparam, const ol_hparam_info **h, ol_error *err) {
    if (!o) return ol_fail(err, OL_EINVAL, "optimizer is NULL");
    *h = ol_optim_find_hparam(o->info, hparam);
    if (*h) return OL_OK;
    char known[512] = "";
    for (size_t i = 0; i < o->info->n_hparams; i++) {
        if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, o->info->hparams[i].name, sizeof known - strlen(known) - 1);
    }
    return ol_fail(err, OL_ENOTFOUND, "%s has no hyperparameter '%s' (known: %s)", o->info->name,
                   hparam ? hparam : "(null)", known);
}

ol_status ol_optimizer_set(ol_optimizer *o, const char *hparam, double value, ol_error *err) {
    const ol_hparam_info *h;
    ol_status st = lookup(o, hparam, &h, err);
    if (st) return st;
    if ((st = ol_hparam_check(o->info, h, value, err))) return st;
    o->hp[h->id] = value;
    for (size_t i = 0; i < o->n_groups; i++) {
        if (h->id == OL_HP_LEARNING_RATE) o->groups[i].lr = value;
        if (h->id == OL_HP_WEIGHT_DECAY) o->groups[i].weight_decay = value;
    }
    return OL_OK;
}

ol_status ol_optimizer_get(const ol_optimizer *o, const char *hparam, double *value, ol_error *err) {
    const ol_hparam_info *h;
    ol_status st = lookup(o, hparam, &h, err);
    if (st) return st;
    if (value) *value = o->hp[h->id];
    return OL_OK;
}

ol_status ol_optimizer_set_lr(ol_optimizer *o, double lr, ol_error *err) {
    return ol_optimizer_set(o, "learning_rate", lr, err);
}

ol_status ol_optimizer_set_group(ol_optimizer *o, size_t group, const char *hparam, double value, ol_error *err) {
    const ol_hparam_info *h;
    ol_status st = lookup(o, hparam, &h, err);
    if (st) return st;
    if (group >= o->n_groups)
        return ol_fail(err, OL_EINVAL, "%s: group %zu does not exist (%zu groups)", o->info->name, group, o->n_groups);
    if (h->id != OL_HP_LEARNING_RATE && h->id != OL_HP_WEIGHT_DECAY)
        return ol_fail(err, OL_EINVAL, "%s: %s is optimizer-wide; only learning_rate and weight_decay are per group",
                       o->info->name, h->name);
    if ((st = ol_hparam_check(o->info, h, value, err))) return st;
    if (h->id == OL_HP_LEARNING_RATE) o->groups[group].lr = value;
    else o->groups[group].weight_decay = value;
    return OL_OK;
}

/* ---- "name=value,name=value" ---- */

static int parse_number(const char *s, double *v) {
    while (*s == ' ' || *s == '\t') s++;
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes")) { *v = 1; return 1; }
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no")) { *v = 0; return 1; }
    if (!*s) return 0;
    char *end;
    *v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    return end != s && *end == '\0';
}

static void trim(char *s) {
    size_t n = strlen(s), k = 0;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    while (s[k] == ' ' || s[k] == '\t') k++;
    memmove(s, s + k, n - k + 1);
}

ol_status ol_optimizer_set_from_string(ol_optimizer *o, const char *settings, ol_error *err) {
    if (!o) return ol_fail(err, OL_EINVAL, "optimizer is NULL");
    if (!settings) return OL_OK;
    /* Work on a copy of the values so a later error leaves the optimizer unchanged. */
    ol_optimizer trial = *o;
    trial.n_groups = 0; /* groups are updated after everything parsed */
    char item[256];
    const char *s = settings;
    while (*s) {
        size_t k = 0;
        int depth = 0;
        while (*s && (depth > 0 || *s != ',')) {
            if (*s == '(' || *s == '[') depth++;
            if (*s == ')' || *s == ']') depth--;
            if (k + 1 < sizeof item) item[k++] = *s;
            s++;
        }
        item[k] = '\0';
        if (*s == ',') s++;
        trim(item);
        if (!item[0]) continue;
        char *eq = strchr(item, '=');
        if (!eq) return ol_fail(err, OL_EINVAL, "%s: setting '%s' is not name=value", o->info->name, item);
        *eq = '\0';
        char *name = item, *val = eq + 1;
        trim(name);
        trim(val);
        if (!strcasecmp(name, "betas")) { /* torch's pair: (beta1, beta2) */
            double b[2];
            char inner[256];
            size_t L = strlen(val);
            if (L < 2 || !strchr("([", val[0]) || !strchr(")]", val[L - 1]))
                return ol_fail(err, OL_EINVAL, "%s: betas = '%s' is not a pair like (0.9,0.999)", o->info->name, val);
            memcpy(inner, val + 1, L - 2);
            inner[L - 2] = '\0';
            char *comma = strchr(inner, ',');
            if (!comma) return ol_fail(err, OL_EINVAL, "%s: betas = '%s' is not a pair like (0.9,0.999)", o->info->name, val);
            *comma = '\0';
            if (!parse_number(inner, &b[0]) || !parse_number(comma + 1, &b[1]))
                return ol_fail(err, OL_EINVAL, "%s: betas = '%s' is not a pair of numbers", o->info->name, val);
            ol_status st = ol_optimizer_set(&trial, "beta1", b[0], err);
            if (!st) st = ol_optimizer_set(&trial, "beta2", b[1], err);
            if (st) return st;
            continue;
        }
        double v;
        const ol_hparam_info *h;
        ol_status st = lookup(o, name, &h, err);
        if (st) return st;
        if (!parse_number(val, &v))
            return ol_fail(err, OL_EINVAL, "%s: %s = '%s' is not a number", o->info->name, h->name, val);
        if ((st = ol_optimizer_set(&trial, name, v, err))) return st;
    }
    double old_lr = o->hp[OL_HP_LEARNING_RATE], old_wd = o->hp[OL_HP_WEIGHT_DECAY];
    memcpy(o->hp, trial.hp, sizeof o->hp);
    for (size_t i = 0; i < o->n_groups; i++) {
        if (o->hp[OL_HP_LEARNING_RATE] != old_lr) o->groups[i].lr = o->hp[OL_HP_LEARNING_RATE];
        if (o->hp[OL_HP_WEIGHT_DECAY] != old_wd) o->groups[i].weight_decay = o->hp[OL_HP_WEIGHT_DECAY];
    }
    return OL_OK;
}

/* ---- tensor shapes ---- */

/* Muon's rule over every group's tensors, in order: see ol_tensor_role. */
static void resolve_roles(ol_optimizer *o) {
    const int ends = o->hp[OL_HP_MUON_ENDS] != 0.0;
    size_t first = SIZE_MAX, last = SIZE_MAX, k = 0;
    for (size_t i = 0; i < o->n_groups; i++)
        for (size_t t = 0; t < o->groups[i].n_tensors; t++, k++)
            if (o->groups[i].tensors[t].cols > 0) {
                if (first == SIZE_MAX) first = k;
                last = k;
            }
    k = 0;
    for (size_t i = 0; i < o->n_groups; i++)
        for (size_t t = 0; t < o->groups[i].n_tensors; t++, k++) {
            ol_tensor_view *v = &o->groups[i].tensors[t];
            ol_tensor_role r = o->groups[i].roles[t];
            v->matrix = r == OL_TENSOR_MATRIX ||
                        (r == OL_TENSOR_AUTO && v->cols > 0 && (ends || (k != first && k != last)));
        }
}

ol_status ol_optimizer_set_shapes(ol_optimizer *o, size_t group, const ol_tensor_shape *shapes, size_t count,
                                  ol_error *err) {
    if (!o) return ol_fail(err, OL_EINVAL, "optimizer is NULL");
    const char *who = o->info->name;
    if (group >= o->n_groups)
        return ol_fail(err, OL_EINVAL, "%s: set_shapes: group %zu does not exist (%zu groups)", who, group, o->n_groups);
    if (!shapes || count == 0) return ol_fail(err, OL_EINVAL, "%s: group %zu: no tensor shapes given", who, group);
    ol_group *g = &o->groups[group];
    size_t total = 0;
    for (size_t t = 0; t < count; t++) {
        const ol_tensor_shape *s = &shapes[t];
        char name[80]; /* "tensor 3 (fc.bias)" or "tensor 3" */
        if (memchr(s->name, '\0', sizeof s->name) && s->name[0]) snprintf(name, sizeof name, "tensor %zu %.*s", t, (int)sizeof s->name, s->name);
        else snprintf(name, sizeof name, "tensor %zu", t);
        if (s->rows == 0)
            return ol_fail(err, OL_EINVAL, "%s: group %zu: %s has size 0", who, group, name);
        if (s->role != OL_TENSOR_AUTO && s->role != OL_TENSOR_MATRIX && s->role != OL_TENSOR_VECTOR)
            return ol_fail(err, OL_EINVAL, "%s: group %zu: %s: unknown role %d", who, group, name, (int)s->role);
        if (s->role == OL_TENSOR_MATRIX && s->cols == 0)
            return ol_fail(err, OL_EINVAL,
                           "%s: group %zu: %s is 1-D (%zu values): the orthogonalised (Muon) update "
                           "needs a 2-D tensor (rows x cols)", who, group, name, s->rows);
        size_t size = s->rows;
        if (s->cols > 0) {
            if (s->rows > SIZE_MAX / s->cols)
                return ol_fail(err, OL_EINVAL, "%s: group %zu: %s: %zu x %zu overflows", who, group, name,
                               s->rows, s->cols);
            size = s->rows * s->cols;
        }
        if (size > g->n || total > g->n - size)
            return ol_fail(err, OL_EINVAL, "%s: group %zu: the tensor shapes add up to more than its %zu parameters "
                           "(at %s)", who, group, g->n, name);
        total += size;
    }
    if (total != g->n)
        return ol_fail(err, OL_EINVAL, "%s: group %zu: the tensor shapes add up to %zu values, the group has %zu "
                       "parameters", who, group, total, g->n);
    ol_tensor_view *views = calloc(count, sizeof *views);
    ol_tensor_role *roles = calloc(count, sizeof *roles);
    size_t scratch_n = 0;
    float *scratch = NULL;
    if (views && roles) {
        size_t off = 0;
        for (size_t t = 0; t < count; t++) {
            views[t] = (ol_tensor_view){.offset = off, .rows = shapes[t].rows, .cols = shapes[t].cols};
            roles[t] = shapes[t].role;
            off += shapes[t].cols ? shapes[t].rows * shapes[t].cols : shapes[t].rows;
        }
        if (o->info->scratch_floats) scratch_n = o->info->scratch_floats(views, count);
        if (scratch_n) scratch = malloc(scratch_n * sizeof *scratch);
    }
    if (!views || !roles || (scratch_n && !scratch)) {
        free(views);
        free(roles);
        free(scratch);
        return ol_fail(err, OL_ENOMEM, "%s: group %zu: out of memory for %zu tensor shapes", who, group, count);
    }
    free(g->tensors);
    free(g->roles);
    free(g->scratch);
    g->tensors = views;
    g->roles = roles;
    g->n_tensors = count;
    g->scratch = scratch;
    resolve_roles(o);
    return OL_OK;
}

ol_status ol_optimizer_eval_params(ol_optimizer *o, int eval, ol_error *err) {
    if (!o) return ol_fail(err, OL_EINVAL, "optimizer is NULL");
    eval = eval != 0;
    if (eval == o->in_eval) return OL_OK;
    o->in_eval = eval;
    if (!o->info->eval_params) return OL_OK;
    for (size_t i = 0; i < o->n_groups; i++) {
        ol_group *g = &o->groups[i];
        double hp[OL_HP_COUNT];
        memcpy(hp, o->hp, sizeof hp);
        hp[OL_HP_LEARNING_RATE] = g->lr;
        hp[OL_HP_WEIGHT_DECAY] = g->weight_decay;
        ol_optim_step_args a = {.params = g->params, .grads = g->grads, .state = g->state, .n = g->n,
                                .hp = hp, .step = g->step, .scalars = g->scalars,
                                .tensors = g->tensors, .n_tensors = g->n_tensors, .scratch = g->scratch};
        o->info->eval_params(&a, eval);
    }
    return OL_OK;
}

/* ---- groups and steps ---- */

ol_status ol_optimizer_add_group(ol_optimizer *o, float *params, const float *grads, size_t n, ol_error *err) {
    if (!o) return ol_fail(err, OL_EINVAL, "optimizer is NULL");
    if (!params || !grads)
        return ol_fail(err, OL_EINVAL, "%s: group %zu: %s is NULL", o->info->name, o->n_groups, params ? "grads" : "params");
    if (n == 0) return ol_fail(err, OL_EINVAL, "%s: group %zu: size n = 0", o->info->name, o->n_groups);
    if (n > SIZE_MAX / sizeof(float) / (o->info->state_floats ? o->info->state_floats : 1))
        return ol_fail(err, OL_EINVAL, "%s: group %zu: size n = %zu is too large", o->info->name, o->n_groups, n);
    if (o->n_groups == o->cap_groups) {
        size_t cap = o->cap_groups ? 2 * o->cap_groups : 4;
        ol_group *g = realloc(o->groups, cap * sizeof *g);
        if (!g) return ol_fail(err, OL_ENOMEM, "out of memory adding group");
        o->groups = g;
        o->cap_groups = cap;
    }
    ol_group *g = &o->groups[o->n_groups];
    memset(g, 0, sizeof *g);
    if (o->info->state_floats) {
        g->state = calloc(o->info->state_floats * n, sizeof(float));
        if (!g->state)
            return ol_fail(err, OL_ENOMEM, "%s: out of memory for %zu state floats", o->info->name, o->info->state_floats * n);
    }
    g->tensors = calloc(1, sizeof *g->tensors);
    g->roles = calloc(1, sizeof *g->roles);
    if (!g->tensors || !g->roles) {
        free(g->state);
        free(g->tensors);
        free(g->roles);
        return ol_fail(err, OL_ENOMEM, "%s: out of memory adding group", o->info->name);
    }
    double **ptrs = realloc(o->group_scalars, (o->n_groups + 1) * sizeof *ptrs);
    if (!ptrs) {
        free(g->state);
        free(g->tensors);
        free(g->roles);
        return ol_fail(err, OL_ENOMEM, "%s: out of memory adding group", o->info->name);
    }
    o->group_scalars = ptrs;
    for (size_t i = 0; i <= o->n_groups; i++) ptrs[i] = o->groups[i].scalars; /* groups may have moved */
    g->tensors[0].rows = n;
    g->n_tensors = 1;
    g->params = params;
    g->grads = grads;
    g->n = n;
    g->lr = o->hp[OL_HP_LEARNING_RATE];
    g->weight_decay = o->hp[OL_HP_WEIGHT_DECAY];
    o->n_groups++;
    return OL_OK;
}

ol_status ol_optimizer_step(ol_optimizer *o, ol_error *err) {
    if (!o) return ol_fail(err, OL_EINVAL, "optimizer is NULL");
    if (o->n_groups == 0) return ol_fail(err, OL_ESTATE, "%s: step with no parameter group added", o->info->name);
    if (o->in_eval)
        return ol_fail(err, OL_ESTATE, "%s: step while the params hold the evaluation point "
                       "(call ol_optimizer_eval_params(opt, 0) first)", o->info->name);
    if (o->info->validate) {
        ol_status st = o->info->validate(o->info, o->hp, err);
        if (st) return st;
    }
    double hp[OL_HP_COUNT];
    memcpy(hp, o->hp, sizeof hp);
    if (o->info->uses_shapes) resolve_roles(o); /* muon_ends may have changed since the shapes were set */
    for (size_t i = 0; i < o->n_groups; i++) {
        ol_group *g = &o->groups[i];
        hp[OL_HP_LEARNING_RATE] = g->lr;
        hp[OL_HP_WEIGHT_DECAY] = g->weight_decay;
        g->step++;
        ol_optim_step_args a = {.params = g->params, .grads = g->grads, .state = g->state, .n = g->n,
                                .hp = hp, .step = g->step, .scalars = g->scalars,
                                .tensors = g->tensors, .n_tensors = g->n_tensors, .scratch = g->scratch};
        o->info->step(&a);
    }
    if (o->info->after_groups) o->info->after_groups(o->group_scalars, o->n_groups, o->hp);
    o->steps++;
    return OL_OK;
}

/* ---- save / load ---- */

#define BLOB_MAGIC "OLOPTST1"
#define BLOB_VERSION 1u
#define BLOB_ENDIAN 0x01020304u

typedef struct {
    unsigned char *p;
    size_t len, cap;
    int failed;
} writer;

static void put(writer *w, const void *data, size_t n) {
    if (w->failed) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n) cap *= 2;
        unsigned char *p = realloc(w->p, cap);
        if (!p) { w->failed = 1; return; }
        w->p = p;
        w->cap = cap;
    }
    memcpy(w->p + w->len, data, n);
    w->len += n;
}
#define PUT(w, v) put(w, &(v), sizeof(v))

ol_status ol_optimizer_save(const ol_optimizer *o, void **blob, size_t *size, ol_error *err) {
    if (!o || !blob || !size) return ol_fail(err, OL_EINVAL, "ol_optimizer_save: NULL argument");
    writer w = {0};
    uint32_t version = BLOB_VERSION, endian = BLOB_ENDIAN, name_len = (uint32_t)strlen(o->info->name);
    uint32_t n_hp = OL_HP_COUNT;
    int64_t steps = o->steps;
    uint64_t n_groups = o->n_groups;
    put(&w, BLOB_MAGIC, 8);
    PUT(&w, version);
    PUT(&w, endian);
    PUT(&w, name_len);
    put(&w, o->info->name, name_len);
    PUT(&w, n_hp);
    put(&w, o->hp, sizeof o->hp);
    PUT(&w, steps);
    PUT(&w, n_groups);
    for (size_t i = 0; i < o->n_groups; i++) {
        const ol_group *g = &o->groups[i];
        uint64_t n = g->n, floats = (uint64_t)o->info->state_floats * g->n;
        int64_t step = g->step;
        PUT(&w, n);
        PUT(&w, g->lr);
        PUT(&w, g->weight_decay);
        PUT(&w, step);
        put(&w, g->scalars, sizeof g->scalars);
        PUT(&w, floats);
        if (floats) put(&w, g->state, floats * sizeof(float));
    }
    uint32_t crc = w.failed ? 0 : ol_crc32(0, w.p, w.len);
    PUT(&w, crc);
    if (w.failed) {
        free(w.p);
        return ol_fail(err, OL_ENOMEM, "%s: out of memory saving state", o->info->name);
    }
    *blob = w.p;
    *size = w.len;
    return OL_OK;
}

typedef struct {
    const unsigned char *p;
    size_t len, pos;
} reader;

static int get(reader *r, void *out, size_t n) {
    if (r->len - r->pos < n) return 0;
    memcpy(out, r->p + r->pos, n);
    r->pos += n;
    return 1;
}
#define GET(r, v) get(r, &(v), sizeof(v))

ol_status ol_optimizer_load(ol_optimizer *o, const void *blob, size_t size, ol_error *err) {
    if (!o || !blob) return ol_fail(err, OL_EINVAL, "ol_optimizer_load: NULL argument");
    const char *who = o->info->name;
    if (size < 8 + 4 + 4 || memcmp(blob, BLOB_MAGIC, 8) != 0)
        return ol_fail(err, OL_EFORMAT, "%s: state blob (%zu bytes) is not an optlab optimizer state (bad magic)", who, size);
    uint32_t stored_crc;
    memcpy(&stored_crc, (const unsigned char *)blob + size - 4, 4);
    uint32_t crc = ol_crc32(0, blob, size - 4);
    if (crc != stored_crc)
        return ol_fail(err, OL_EFORMAT, "%s: state blob checksum mismatch (stored %08x, computed %08x): corrupt or truncated",
                       who, stored_crc, crc);
    reader r = {blob, size - 4, 8};
    uint32_t version, endian, name_len, n_hp;
    char name[64];
    if (!GET(&r, version) || !GET(&r, endian)) goto truncated;
    if (version != BLOB_VERSION)
        return ol_fail(err, OL_EFORMAT, "%s: state blob version %u, this optlab reads version %u", who, version, BLOB_VERSION);
    if (endian != BLOB_ENDIAN) return ol_fail(err, OL_EFORMAT, "%s: state blob written with another byte order", who);
    if (!GET(&r, name_len)) goto truncated;
    if (name_len >= sizeof name) return ol_fail(err, OL_EFORMAT, "%s: state blob optimizer name length %u", who, name_len);
    if (!get(&r, name, name_len)) goto truncated;
    name[name_len] = '\0';
    if (strcmp(name, o->info->name) != 0)
        return ol_fail(err, OL_EFORMAT, "%s: state blob belongs to optimizer '%s'", who, name);
    if (!GET(&r, n_hp)) goto truncated;
    if (n_hp != OL_HP_COUNT)
        return ol_fail(err, OL_EFORMAT, "%s: state blob has %u hyperparameters, expected %u", who, n_hp, (unsigned)OL_HP_COUNT);
    double hp[OL_HP_COUNT];
    int64_t steps;
    uint64_t n_groups;
    if (!get(&r, hp, sizeof hp) || !GET(&r, steps) || !GET(&r, n_groups)) goto truncated;
    if (n_groups != o->n_groups)
        return ol_fail(err, OL_EINVAL, "%s: state blob has %llu groups, this optimizer has %zu", who,
                       (unsigned long long)n_groups, o->n_groups);
    /* First pass: validate every group before changing anything. */
    size_t groups_at = r.pos;
    for (size_t i = 0; i < o->n_groups; i++) {
        uint64_t n, floats;
        double lr, wd, sc[OL_OPTIM_SCALARS];
        int64_t step;
        if (!GET(&r, n) || !GET(&r, lr) || !GET(&r, wd) || !GET(&r, step) || !get(&r, sc, sizeof sc) || !GET(&r, floats))
            goto truncated;
        if (n != o->groups[i].n)
            return ol_fail(err, OL_EINVAL, "%s: state blob group %zu has %llu params, this optimizer's has %zu", who, i,
                           (unsigned long long)n, o->groups[i].n);
        if (floats != (uint64_t)o->info->state_floats * n)
            return ol_fail(err, OL_EFORMAT, "%s: state blob group %zu holds %llu state floats, expected %llu", who, i,
                           (unsigned long long)floats, (unsigned long long)(o->info->state_floats * n));
        if (r.len - r.pos < floats * sizeof(float)) goto truncated;
        r.pos += floats * sizeof(float);
    }
    if (r.pos != r.len) return ol_fail(err, OL_EFORMAT, "%s: state blob has %zu trailing bytes", who, r.len - r.pos);
    for (size_t i = 0; i < o->info->n_hparams; i++) {
        const ol_hparam_info *h = &o->info->hparams[i];
        ol_status st = ol_hparam_check(o->info, h, hp[h->id], err);
        if (st) return ol_error_prefix(err, "state blob");
    }
    /* Second pass: apply. */
    memcpy(o->hp, hp, sizeof hp);
    o->steps = steps;
    r.pos = groups_at;
    for (size_t i = 0; i < o->n_groups; i++) {
        ol_group *g = &o->groups[i];
        uint64_t n, floats;
        int64_t step;
        GET(&r, n);
        GET(&r, g->lr);
        GET(&r, g->weight_decay);
        GET(&r, step);
        get(&r, g->scalars, sizeof g->scalars);
        GET(&r, floats);
        g->step = (long)step;
        if (floats) get(&r, g->state, floats * sizeof(float));
    }
    return OL_OK;
truncated:
    return ol_fail(err, OL_EFORMAT, "%s: state blob is truncated at byte %zu", who, r.pos);
}
