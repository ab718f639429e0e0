/*
 * schedule.c — learning-rate schedules, exact to torch.optim.lr_scheduler 1.13.
 *
 * torch computes most schedules in a "chainable" form: each step derives the new
 * rate from the group's current one (lr * gamma, or the cosine ratio times
 * lr - eta_min), in Python doubles. Replaying the same double operations in the
 * same order gives the same rates to the last bit, so this file mirrors torch's
 * objects: a last_epoch counter per schedule, a _step_count, the constructor's
 * initial step, SequentialLR's reset-and-decrement dance and its step(0) at a
 * milestone (which uses the closed form where torch has one).
 *
 * The schedule keeps a pointer to its optimizer and sets one learning rate on
 * every group (ol_optimizer_set_lr); OneCycleLR also cycles momentum (SGD,
 * RMSprop) or beta1 (the Adam family) as torch does.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "optlab/optim.h"

typedef enum { K_STEP, K_MULTISTEP, K_EXP, K_COSINE, K_WARM, K_LINEAR, K_POLY, K_ONECYCLE, K_PLATEAU, K_SEQ, K_COUNT } kind;

static const char *const kind_names[K_COUNT] = {
    "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
    "LinearLR", "PolynomialLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR",
};

#define MAX_LIST 64

/* What torch keeps in the optimizer's param_group, shared by a SequentialLR's children. */
typedef struct {
    double lr, initial_lr;
    double momentum;  /* OneCycleLR: momentum or beta1 */
    int set_momentum; /* 1 once OneCycleLR computed one */
} group_t;

typedef struct sched sched;
struct sched {
    kind k;
    long last_epoch;
    long step_count;
    double base_lr;
    /* parameters (torch's keyword names in comments) */
    long step_size;           /* StepLR */
    double gamma;             /* StepLR, MultiStepLR, ExponentialLR */
    long milestones[MAX_LIST]; /* MultiStepLR, SequentialLR */
    size_t n_milestones;
    long t_max;               /* CosineAnnealingLR T_max */
    double eta_min;           /* CosineAnnealingLR, CosineAnnealingWarmRestarts */
    long t_0, t_mult, t_i, t_cur; /* CosineAnnealingWarmRestarts */
    double start_factor, end_factor; /* LinearLR */
    long total_iters;         /* LinearLR, PolynomialLR */
    double power;             /* PolynomialLR */
    /* OneCycleLR */
    double max_lr, pct_start, div_factor, final_div_factor, base_momentum, max_momentum, min_lr_1c;
    long total_steps;
    int anneal_linear, cycle_momentum, three_phase, use_beta1;
    /* ReduceLROnPlateau */
    int mode_max, threshold_abs;
    double factor, threshold, min_lr, eps, best;
    long patience, cooldown, cooldown_counter, num_bad_epochs;
    /* SequentialLR */
    sched *children[MAX_LIST];
    size_t n_children;
};

struct ol_schedule {
    ol_optimizer *opt;
    sched *root;
    group_t group;
};

size_t ol_schedule_kind_count(void) { return K_COUNT; }
const char *ol_schedule_kind_name(size_t i) { return i < K_COUNT ? kind_names[i] : NULL; }

static void sched_free(sched *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_children; i++) sched_free(s->children[i]);
    free(s);
}

/* ---- keyword arguments ---- */

static ol_status fail_known(ol_error *err, const char *name, const char *key, const char *const *known) {
    char list[256] = "";
    for (size_t i = 0; known[i]; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, known[i], sizeof list - strlen(list) - 1);
    }
    return ol_fail(err, OL_EINVAL, "%s: unknown keyword '%s' (known: %s)", name, key, list);
}

static ol_status get_real(const cJSON *o, const char *name, const char *key, double def, int required, double *out,
                          ol_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return ol_fail(err, OL_EINVAL, "%s: keyword '%s' is required", name, key);
        *out = def;
        return OL_OK;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return ol_fail(err, OL_EINVAL, "%s: %s must be a finite number", name, key);
    *out = v->valuedouble;
    return OL_OK;
}

static ol_status get_int(const cJSON *o, const char *name, const char *key, long def, int required, long *out,
                         ol_error *err) {
    double d;
    ol_status st = get_real(o, name, key, (double)def, required, &d, err);
    if (st) return st;
    if (d != floor(d) || fabs(d) > 1e15) return ol_fail(err, OL_EINVAL, "%s: %s = %g is not an integer", name, key, d);
    *out = (long)d;
    return OL_OK;
}

static ol_status get_bool(const cJSON *o, const char *name, const char *key, int def, int *out, ol_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) { *out = def; return OL_OK; }
    if (!cJSON_IsBool(v)) return ol_fail(err, OL_EINVAL, "%s: %s must be true or false", name, key);
    *out = cJSON_IsTrue(v);
    return OL_OK;
}

/* A string keyword among choices; *out = index. */
static ol_status get_choice(const cJSON *o, const char *name, const char *key, const char *a, const char *b, int *out,
                            ol_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) { *out = 0; return OL_OK; }
    if (cJSON_IsString(v) && !strcmp(v->valuestring, a)) { *out = 0; return OL_OK; }
    if (cJSON_IsString(v) && !strcmp(v->valuestring, b)) { *out = 1; return OL_OK; }
    return ol_fail(err, OL_EINVAL, "%s: %s = %s is not '%s' or '%s'", name, key,
                   cJSON_IsString(v) ? v->valuestring : "(not a string)", a, b);
}

static ol_status get_list(const cJSON *o, const char *name, const char *key, long *out, size_t *n, ol_error *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || !cJSON_IsArray(v)) return ol_fail(err, OL_EINVAL, "%s: keyword '%s' (a list of integers) is required", name, key);
    int size = cJSON_GetArraySize(v);
    if (size > MAX_LIST) return ol_fail(err, OL_EINVAL, "%s: %s has %d entries (at most %d)", name, key, size, MAX_LIST);
    *n = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 0 || e->valuedouble > 1e15)
            return ol_fail(err, OL_EINVAL, "%s: %s entry %zu is not a non-negative integer", name, key, *n);
        out[(*n)++] = (long)e->valuedouble;
    }
    return OL_OK;
}

#define CHECK(cond, ...) \
    do { if (!(cond)) return ol_fail(err, OL_EINVAL, __VA_ARGS__); } while (0)
#define TRY(x) \
    do { ol_status st_ = (x); if (st_) return st_; } while (0)

static int find_kind(const char *name) {
    for (int i = 0; i < K_COUNT; i++)
        if (name && !strcasecmp(name, kind_names[i])) return i;
    return -1;
}

static ol_status unknown_kind(const char *name, ol_error *err) {
    char list[400] = "";
    for (int i = 0; i < K_COUNT; i++) {
        if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
        strncat(list, kind_names[i], sizeof list - strlen(list) - 1);
    }
    return ol_fail(err, OL_ENOTFOUND, "unknown schedule '%s' (known: %s)", name ? name : "(null)", list);
}

/* Parse and check one schedule (not bound to an optimizer yet). nested: inside a SequentialLR. */
static ol_status parse(const char *name, const cJSON *kw, int nested, sched **out, ol_error *err) {
    *out = NULL;
    int k = find_kind(name);
    if (k < 0) return unknown_kind(name, err);
    name = kind_names[k];
    if (!cJSON_IsObject(kw)) return ol_fail(err, OL_EINVAL, "%s: keyword arguments are not a JSON object", name);
    static const char *const known[K_COUNT][14] = {
        [K_STEP] = {"step_size", "gamma", NULL},
        [K_MULTISTEP] = {"milestones", "gamma", NULL},
        [K_EXP] = {"gamma", NULL},
        [K_COSINE] = {"T_max", "eta_min", NULL},
        [K_WARM] = {"T_0", "T_mult", "eta_min", NULL},
        [K_LINEAR] = {"start_factor", "end_factor", "total_iters", NULL},
        [K_POLY] = {"total_iters", "power", NULL},
        [K_ONECYCLE] = {"max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                        "cycle_momentum", "base_momentum", "max_momentum", "div_factor", "final_div_factor",
                        "three_phase", NULL},
        [K_PLATEAU] = {"mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps", NULL},
        [K_SEQ] = {"schedulers", "milestones", NULL},
    };
    for (const cJSON *e = kw->child; e; e = e->next) {
        int ok = 0;
        for (size_t i = 0; known[k][i]; i++) ok |= !strcmp(e->string, known[k][i]);
        /* torch's bookkeeping keywords, accepted at their defaults */
        if (!strcmp(e->string, "last_epoch") && cJSON_IsNumber(e) && e->valuedouble == -1) ok = 1;
        if (!strcmp(e->string, "verbose") && cJSON_IsFalse(e)) ok = 1;
        if (!ok) return fail_known(err, name, e->string, known[k]);
    }
    if (nested && (k == K_PLATEAU || k == K_ONECYCLE || k == K_SEQ))
        return ol_fail(err, OL_EINVAL, "SequentialLR: %s cannot be one of its schedules", name);
    sched *s = calloc(1, sizeof *s);
    if (!s) return ol_fail(err, OL_ENOMEM, "%s: out of memory", name);
    s->k = (kind)k;
    s->last_epoch = -1;
    ol_status st = OL_OK;
#define P(x) do { if ((st = (x))) goto done; } while (0)
#define Q(cond, ...) do { if (!(cond)) { st = ol_fail(err, OL_EINVAL, __VA_ARGS__); goto done; } } while (0)
    switch (s->k) {
    case K_STEP:
        P(get_int(kw, name, "step_size", 0, 1, &s->step_size, err));
        P(get_real(kw, name, "gamma", 0.1, 0, &s->gamma, err));
        Q(s->step_size > 0, "%s: step_size = %ld must be > 0", name, s->step_size);
        Q(s->gamma >= 0, "%s: gamma = %g must be >= 0", name, s->gamma);
        break;
    case K_MULTISTEP:
        P(get_list(kw, name, "milestones", s->milestones, &s->n_milestones, err));
        P(get_real(kw, name, "gamma", 0.1, 0, &s->gamma, err));
        Q(s->gamma >= 0, "%s: gamma = %g must be >= 0", name, s->gamma);
        break;
    case K_EXP:
        P(get_real(kw, name, "gamma", 0, 1, &s->gamma, err));
        Q(s->gamma >= 0, "%s: gamma = %g must be >= 0", name, s->gamma);
        break;
    case K_COSINE:
        P(get_int(kw, name, "T_max", 0, 1, &s->t_max, err));
        P(get_real(kw, name, "eta_min", 0, 0, &s->eta_min, err));
        Q(s->t_max > 0, "%s: T_max = %ld must be > 0", name, s->t_max);
        Q(s->eta_min >= 0, "%s: eta_min = %g must be >= 0", name, s->eta_min);
        break;
    case K_WARM:
        P(get_int(kw, name, "T_0", 0, 1, &s->t_0, err));
        P(get_int(kw, name, "T_mult", 1, 0, &s->t_mult, err));
        P(get_real(kw, name, "eta_min", 0, 0, &s->eta_min, err));
        Q(s->t_0 > 0, "%s: T_0 = %ld must be a positive integer", name, s->t_0);
        Q(s->t_mult >= 1, "%s: T_mult = %ld must be an integer >= 1", name, s->t_mult);
        Q(s->eta_min >= 0, "%s: eta_min = %g must be >= 0", name, s->eta_min);
        break;
    case K_LINEAR:
        P(get_real(kw, name, "start_factor", 1.0 / 3, 0, &s->start_factor, err));
        P(get_real(kw, name, "end_factor", 1.0, 0, &s->end_factor, err));
        P(get_int(kw, name, "total_iters", 5, 0, &s->total_iters, err));
        /* torch allows start_factor 0, which then divides by zero at step 1 */
        Q(s->start_factor > 0 && s->start_factor <= 1, "%s: start_factor = %g must be in (0, 1]", name, s->start_factor);
        Q(s->end_factor >= 0 && s->end_factor <= 1, "%s: end_factor = %g must be in [0, 1]", name, s->end_factor);
        Q(s->total_iters > 0, "%s: total_iters = %ld must be > 0", name, s->total_iters);
        break;
    case K_POLY:
        P(get_int(kw, name, "total_iters", 5, 0, &s->total_iters, err));
        P(get_real(kw, name, "power", 1.0, 0, &s->power, err));
        Q(s->total_iters > 0, "%s: total_iters = %ld must be > 0", name, s->total_iters);
        Q(s->power >= 0, "%s: power = %g must be >= 0", name, s->power);
        break;
    case K_ONECYCLE: {
        long epochs = 0, per_epoch = 0;
        P(get_real(kw, name, "max_lr", 0, 1, &s->max_lr, err));
        P(get_int(kw, name, "total_steps", 0, 0, &s->total_steps, err));
        P(get_int(kw, name, "epochs", 0, 0, &epochs, err));
        P(get_int(kw, name, "steps_per_epoch", 0, 0, &per_epoch, err));
        P(get_real(kw, name, "pct_start", 0.3, 0, &s->pct_start, err));
        P(get_choice(kw, name, "anneal_strategy", "cos", "linear", &s->anneal_linear, err));
        P(get_bool(kw, name, "cycle_momentum", 1, &s->cycle_momentum, err));
        P(get_real(kw, name, "base_momentum", 0.85, 0, &s->base_momentum, err));
        P(get_real(kw, name, "max_momentum", 0.95, 0, &s->max_momentum, err));
        P(get_real(kw, name, "div_factor", 25.0, 0, &s->div_factor, err));
        P(get_real(kw, name, "final_div_factor", 1e4, 0, &s->final_div_factor, err));
        P(get_bool(kw, name, "three_phase", 0, &s->three_phase, err));
        Q(s->max_lr > 0, "%s: max_lr = %g must be > 0", name, s->max_lr);
        if (!cJSON_GetObjectItemCaseSensitive(kw, "total_steps")) {
            Q(cJSON_GetObjectItemCaseSensitive(kw, "epochs") && cJSON_GetObjectItemCaseSensitive(kw, "steps_per_epoch"),
              "%s: give total_steps, or epochs and steps_per_epoch", name);
            Q(epochs > 0, "%s: epochs = %ld must be a positive integer", name, epochs);
            Q(per_epoch > 0, "%s: steps_per_epoch = %ld must be a positive integer", name, per_epoch);
            s->total_steps = epochs * per_epoch;
        }
        Q(s->total_steps > 0, "%s: total_steps = %ld must be a positive integer", name, s->total_steps);
        Q(s->pct_start >= 0 && s->pct_start <= 1, "%s: pct_start = %g must be in [0, 1]", name, s->pct_start);
        Q(s->div_factor > 0, "%s: div_factor = %g must be > 0", name, s->div_factor);
        Q(s->final_div_factor > 0, "%s: final_div_factor = %g must be > 0", name, s->final_div_factor);
        Q(s->base_momentum >= 0 && s->base_momentum < 1, "%s: base_momentum = %g must be in [0, 1)", name, s->base_momentum);
        Q(s->max_momentum >= 0 && s->max_momentum < 1, "%s: max_momentum = %g must be in [0, 1)", name, s->max_momentum);
        break;
    }
    case K_PLATEAU:
        P(get_choice(kw, name, "mode", "min", "max", &s->mode_max, err));
        P(get_real(kw, name, "factor", 0.1, 0, &s->factor, err));
        P(get_int(kw, name, "patience", 10, 0, &s->patience, err));
        P(get_real(kw, name, "threshold", 1e-4, 0, &s->threshold, err));
        P(get_choice(kw, name, "threshold_mode", "rel", "abs", &s->threshold_abs, err));
        P(get_int(kw, name, "cooldown", 0, 0, &s->cooldown, err));
        P(get_real(kw, name, "min_lr", 0, 0, &s->min_lr, err));
        P(get_real(kw, name, "eps", 1e-8, 0, &s->eps, err));
        Q(s->factor >= 0 && s->factor < 1, "%s: factor = %g must be in [0, 1)", name, s->factor);
        Q(s->patience >= 0, "%s: patience = %ld must be >= 0", name, s->patience);
        Q(s->threshold >= 0, "%s: threshold = %g must be >= 0", name, s->threshold);
        Q(s->cooldown >= 0, "%s: cooldown = %ld must be >= 0", name, s->cooldown);
        Q(s->min_lr >= 0, "%s: min_lr = %g must be >= 0", name, s->min_lr);
        Q(s->eps >= 0, "%s: eps = %g must be >= 0", name, s->eps);
        break;
    case K_SEQ: {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(kw, "schedulers");
        Q(cJSON_IsArray(list) && cJSON_GetArraySize(list) > 0,
          "%s: 'schedulers' must be a non-empty list of [NAME, {kwargs}] pairs", name);
        Q(cJSON_GetArraySize(list) <= MAX_LIST, "%s: more than %d schedulers", name, MAX_LIST);
        for (const cJSON *e = list->child; e; e = e->next) {
            const cJSON *nm = cJSON_GetArrayItem(e, 0), *args = cJSON_GetArrayItem(e, 1);
            Q(cJSON_IsArray(e) && cJSON_GetArraySize(e) == 2 && cJSON_IsString(nm),
              "%s: schedulers entry %zu is not a [NAME, {kwargs}] pair", name, s->n_children);
            P(parse(nm->valuestring, args, 1, &s->children[s->n_children], err));
            s->n_children++;
        }
        P(get_list(kw, name, "milestones", s->milestones, &s->n_milestones, err));
        Q(s->n_milestones == s->n_children - 1, "%s: %zu schedulers need %zu milestones, got %zu", name, s->n_children,
          s->n_children - 1, s->n_milestones);
        for (size_t i = 1; i < s->n_milestones; i++)
            Q(s->milestones[i] > s->milestones[i - 1], "%s: milestones must increase (%ld after %ld)", name,
              s->milestones[i], s->milestones[i - 1]);
        break;
    }
    default:
        break;
    }
#undef P
#undef Q
done:
    if (st) {
        sched_free(s);
        return st;
    }
    *out = s;
    return OL_OK;
}

static ol_status parse_text(const char *name, const char *json, sched **out, ol_error *err) {
    *out = NULL;
    if (find_kind(name) < 0) return unknown_kind(name, err);
    cJSON *kw = (json && *json) ? cJSON_Parse(json) : cJSON_CreateObject();
    if (!kw) return ol_fail(err, OL_EINVAL, "%s: keyword arguments are not valid JSON: %s", kind_names[find_kind(name)], json);
    ol_status st = parse(name, kw, 0, out, err);
    cJSON_Delete(kw);
    return st;
}

ol_status ol_schedule_check(const char *name, const char *json, ol_error *err) {
    sched *s;
    TRY(parse_text(name, json, &s, err));
    sched_free(s);
    return OL_OK;
}

/* ---- torch's arithmetic ---- */

static long milestone_count(const sched *s, long epoch) {
    long c = 0;
    for (size_t i = 0; i < s->n_milestones; i++) c += s->milestones[i] == epoch;
    return c;
}

/* torch's get_lr(): the chainable form, from the group's current lr. */
static double get_lr(sched *s, group_t *g) {
    const long e = s->last_epoch;
    const double lr = g->lr;
    switch (s->k) {
    case K_STEP:
        if (e == 0 || e % s->step_size != 0) return lr;
        return lr * s->gamma;
    case K_MULTISTEP: {
        long c = milestone_count(s, e);
        return c ? lr * pow(s->gamma, (double)c) : lr;
    }
    case K_EXP:
        return e == 0 ? lr : lr * s->gamma;
    case K_COSINE: {
        const double T = (double)s->t_max;
        if (e == 0) return lr;
        if (s->step_count == 1 && e > 0)
            return s->eta_min + (s->base_lr - s->eta_min) * (1 + cos((double)e * M_PI / T)) / 2;
        if ((e - 1 - s->t_max) % (2 * s->t_max) == 0)
            return lr + (s->base_lr - s->eta_min) * (1 - cos(M_PI / T)) / 2;
        return (1 + cos(M_PI * (double)e / T)) / (1 + cos(M_PI * (double)(e - 1) / T)) * (lr - s->eta_min) + s->eta_min;
    }
    case K_WARM:
        return s->eta_min + (s->base_lr - s->eta_min) * (1 + cos(M_PI * (double)s->t_cur / (double)s->t_i)) / 2;
    case K_LINEAR:
        if (e == 0) return lr * s->start_factor;
        if (e > s->total_iters) return lr;
        return lr * (1. + (s->end_factor - s->start_factor) /
                              ((double)s->total_iters * s->start_factor + (double)(e - 1) * (s->end_factor - s->start_factor)));
    case K_POLY: {
        if (e == 0 || e > s->total_iters) return lr;
        const double T = (double)s->total_iters;
        double decay = pow((1.0 - (double)e / T) / (1.0 - (double)(e - 1) / T), s->power);
        return lr * decay;
    }
    case K_ONECYCLE: {
        /* phases: end_step, start and end lr, start and end momentum */
        const double T = (double)s->total_steps, init = g->initial_lr, peak = s->max_lr, low = s->min_lr_1c;
        const double mmax = s->max_momentum, mbase = s->base_momentum;
        double ends[3], lr_a[3], lr_b[3], m_a[3], m_b[3];
        int n;
        if (s->three_phase) {
            n = 3;
            ends[0] = s->pct_start * T - 1, lr_a[0] = init, lr_b[0] = peak, m_a[0] = mmax, m_b[0] = mbase;
            ends[1] = 2 * s->pct_start * T - 2, lr_a[1] = peak, lr_b[1] = init, m_a[1] = mbase, m_b[1] = mmax;
            ends[2] = T - 1, lr_a[2] = init, lr_b[2] = low, m_a[2] = mmax, m_b[2] = mmax;
        } else {
            n = 2;
            ends[0] = s->pct_start * T - 1, lr_a[0] = init, lr_b[0] = peak, m_a[0] = mmax, m_b[0] = mbase;
            ends[1] = T - 1, lr_a[1] = peak, lr_b[1] = low, m_a[1] = mbase, m_b[1] = mmax;
        }
        double start = 0, out = lr, mom = 0;
        for (int i = 0; i < n; i++) {
            if ((double)e <= ends[i] || i == n - 1) {
                double pct = ((double)e - start) / (ends[i] - start);
                if (s->anneal_linear) {
                    out = (lr_b[i] - lr_a[i]) * pct + lr_a[i];
                    mom = (m_b[i] - m_a[i]) * pct + m_a[i];
                } else {
                    double c = cos(M_PI * pct) + 1;
                    out = lr_b[i] + (lr_a[i] - lr_b[i]) / 2.0 * c;
                    mom = m_b[i] + (m_a[i] - m_b[i]) / 2.0 * c;
                }
                break;
            }
            start = ends[i];
        }
        if (s->cycle_momentum) {
            g->momentum = mom;
            g->set_momentum = 1;
        }
        return out;
    }
    default:
        return lr;
    }
}

/* torch's _get_closed_form_lr(), used by SequentialLR's step(0); get_lr() where torch has none. */
static double closed_form(sched *s, group_t *g) {
    const long e = s->last_epoch;
    switch (s->k) {
    case K_STEP:
        return s->base_lr * pow(s->gamma, (double)(e / s->step_size));
    case K_MULTISTEP: {
        long c = 0; /* bisect_right over the sorted milestones */
        for (size_t i = 0; i < s->n_milestones; i++) c += s->milestones[i] <= e;
        return s->base_lr * pow(s->gamma, (double)c);
    }
    case K_EXP:
        return s->base_lr * pow(s->gamma, (double)e);
    case K_COSINE:
        return s->eta_min + (s->base_lr - s->eta_min) * (1 + cos(M_PI * (double)e / (double)s->t_max)) / 2;
    case K_LINEAR:
        return s->base_lr * (s->start_factor + (s->end_factor - s->start_factor) *
                                                   (double)(s->total_iters < e ? s->total_iters : e) / (double)s->total_iters);
    case K_POLY:
        return s->base_lr * pow(1.0 - (double)(s->total_iters < e ? s->total_iters : e) / (double)s->total_iters, s->power);
    default:
        return get_lr(s, g);
    }
}

static ol_status sched_step(sched *s, group_t *g, long epoch, ol_error *err);

/* CosineAnnealingWarmRestarts overrides step(epoch). */
static void warm_step(sched *s, group_t *g, long epoch) {
    if (epoch < 0 && s->last_epoch < 0) epoch = 0;
    if (epoch < 0) {
        epoch = s->last_epoch + 1;
        s->t_cur = s->t_cur + 1;
        if (s->t_cur >= s->t_i) {
            s->t_cur = s->t_cur - s->t_i;
            s->t_i = s->t_i * s->t_mult;
        }
    } else if (epoch >= s->t_0) {
        /* only reached through SequentialLR's step(0), i.e. epoch 0: kept for completeness */
        if (s->t_mult == 1) s->t_cur = epoch % s->t_0;
        else {
            long n = (long)(log((double)epoch / (double)s->t_0 * (double)(s->t_mult - 1) + 1) / log((double)s->t_mult));
            long pw = 1;
            for (long i = 0; i < n; i++) pw *= s->t_mult;
            s->t_cur = epoch - s->t_0 * (pw - 1) / (s->t_mult - 1);
            s->t_i = s->t_0 * pw;
        }
    } else {
        s->t_i = s->t_0;
        s->t_cur = epoch;
    }
    s->last_epoch = epoch;
    g->lr = get_lr(s, g);
}

/* torch's _LRScheduler.step(epoch): epoch < 0 means step() without an epoch. */
static ol_status sched_step(sched *s, group_t *g, long epoch, ol_error *err) {
    if (s->k == K_WARM) {
        s->step_count++;
        warm_step(s, g, epoch);
        return OL_OK;
    }
    if (s->k == K_SEQ) {
        s->last_epoch++;
        size_t idx = 0;
        while (idx < s->n_milestones && s->milestones[idx] <= s->last_epoch) idx++;
        sched *c = s->children[idx];
        if (idx > 0 && s->milestones[idx - 1] == s->last_epoch) return sched_step(c, g, 0, err);
        return sched_step(c, g, -1, err);
    }
    s->step_count++;
    if (epoch < 0) {
        s->last_epoch++;
        if (s->k == K_ONECYCLE && s->last_epoch > s->total_steps)
            return ol_fail(err, OL_ESTATE, "OneCycleLR: stepped %ld times, but total_steps is %ld", s->last_epoch + 1,
                           s->total_steps);
        g->lr = get_lr(s, g);
    } else {
        s->last_epoch = epoch;
        g->lr = closed_form(s, g);
    }
    return OL_OK;
}

/* torch's constructor: base_lr from initial_lr, then _initial_step(). */
static ol_status sched_init(sched *s, group_t *g, ol_error *err) {
    if (s->k == K_SEQ) {
        for (size_t i = 0; i < s->n_children; i++) TRY(sched_init(s->children[i], g, err));
        s->last_epoch = 0;
        g->lr = g->initial_lr;
        for (size_t i = 0; i < s->n_children; i++) s->children[i]->last_epoch -= 1;
        s->children[0]->step_count = 0;
        return sched_step(s->children[0], g, -1, err);
    }
    if (s->k == K_PLATEAU) {
        s->last_epoch = 0;
        s->best = s->mode_max ? -INFINITY : INFINITY;
        return OL_OK;
    }
    if (s->k == K_ONECYCLE) {
        g->initial_lr = s->max_lr / s->div_factor;
        s->min_lr_1c = g->initial_lr / s->final_div_factor;
        if (s->cycle_momentum) {
            g->momentum = s->max_momentum;
            g->set_momentum = 1;
        }
    }
    if (s->k == K_WARM) s->t_i = s->t_0, s->t_cur = -1;
    s->base_lr = g->initial_lr;
    s->step_count = 0;
    return sched_step(s, g, -1, err);
}

static void plateau_step(sched *s, group_t *g, double metric) {
    s->last_epoch++;
    int better;
    if (!s->mode_max && !s->threshold_abs) better = metric < s->best * (1. - s->threshold);
    else if (!s->mode_max) better = metric < s->best - s->threshold;
    else if (!s->threshold_abs) better = metric > s->best * (s->threshold + 1.);
    else better = metric > s->best + s->threshold;
    if (better) {
        s->best = metric;
        s->num_bad_epochs = 0;
    } else {
        s->num_bad_epochs++;
    }
    if (s->cooldown_counter > 0) {
        s->cooldown_counter--;
        s->num_bad_epochs = 0;
    }
    if (s->num_bad_epochs > s->patience) {
        double old_lr = g->lr, new_lr = old_lr * s->factor;
        if (new_lr < s->min_lr) new_lr = s->min_lr;
        if (old_lr - new_lr > s->eps) g->lr = new_lr;
        s->cooldown_counter = s->cooldown;
        s->num_bad_epochs = 0;
    }
}

/* Push the group's values into the optimizer. */
static ol_status apply(ol_schedule *s, ol_error *err) {
    ol_status st = ol_optimizer_set_lr(s->opt, s->group.lr, err);
    if (st) return ol_error_prefix(err, "%s", ol_schedule_name(s));
    if (s->group.set_momentum) {
        const sched *r = s->root;
        if ((st = ol_optimizer_set(s->opt, r->use_beta1 ? "beta1" : "momentum", s->group.momentum, err)))
            return ol_error_prefix(err, "%s", ol_schedule_name(s));
    }
    return OL_OK;
}

ol_status ol_schedule_create(ol_schedule **out, ol_optimizer *opt, const char *name, const char *json, ol_error *err) {
    if (!out) return ol_fail(err, OL_EINVAL, "ol_schedule_create: out is NULL");
    *out = NULL;
    if (!opt) return ol_fail(err, OL_EINVAL, "ol_schedule_create: optimizer is NULL");
    sched *root;
    TRY(parse_text(name, json, &root, err));
    const ol_optim_info *info = ol_optimizer_info(opt);
    if (root->k == K_ONECYCLE && root->cycle_momentum) {
        if (ol_optim_find_hparam(info, "beta1")) root->use_beta1 = 1;
        else if (!ol_optim_find_hparam(info, "momentum")) {
            sched_free(root);
            return ol_fail(err, OL_EINVAL, "OneCycleLR: cycle_momentum needs an optimizer with momentum or beta1; %s has "
                           "neither (set \"cycle_momentum\": false)", info->name);
        }
    }
    ol_schedule *s = calloc(1, sizeof *s);
    if (!s) {
        sched_free(root);
        return ol_fail(err, OL_ENOMEM, "out of memory creating a schedule");
    }
    s->opt = opt;
    s->root = root;
    double lr;
    ol_optimizer_get(opt, "learning_rate", &lr, err);
    s->group.lr = s->group.initial_lr = lr;
    ol_status st = sched_init(root, &s->group, err);
    if (!st) st = apply(s, err);
    if (st) {
        ol_schedule_free(s);
        return st;
    }
    *out = s;
    return OL_OK;
}

void ol_schedule_free(ol_schedule *s) {
    if (!s) return;
    sched_free(s->root);
    free(s);
}

int ol_schedule_needs_metric(const ol_schedule *s) { return s && s->root->k == K_PLATEAU; }
int ol_schedule_per_batch(const ol_schedule *s) { return s && s->root->k == K_ONECYCLE; }
int ol_schedule_maximizes(const ol_schedule *s) { return s && s->root->k == K_PLATEAU && s->root->mode_max; }
long ol_schedule_step_limit(const ol_schedule *s) { return s && s->root->k == K_ONECYCLE ? s->root->total_steps : -1; }
double ol_schedule_lr(const ol_schedule *s) { return s ? s->group.lr : NAN; }
const char *ol_schedule_name(const ol_schedule *s) { return s ? kind_names[s->root->k] : "schedule"; }

ol_status ol_schedule_step(ol_schedule *s, double metric, ol_error *err) {
    if (!s) return ol_fail(err, OL_EINVAL, "schedule is NULL");
    if (s->root->k == K_PLATEAU) {
        if (!isfinite(metric))
            return ol_fail(err, OL_EINVAL, "ReduceLROnPlateau: the metric %g is not a finite number", metric);
        plateau_step(s->root, &s->group, metric);
    } else {
        TRY(sched_step(s->root, &s->group, -1, err));
    }
    return apply(s, err);
}
