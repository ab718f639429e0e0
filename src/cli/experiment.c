/*
 * experiment.c — reads an experiment file (INI, parsed by libinih; format in
 * docs/experiments.md) into an `experiment`: the data and training settings
 * shared by every study, and one search space per `[optimizer NAME]` section.
 *
 * Every check that can fail before training starts happens here, so `optlab
 * run` stores nothing for a file that is wrong: unknown keys and sections,
 * unknown optimizers and hyperparameters (looked up in the optimizer
 * registry, the one table every layer shares), low >= high, log scale with
 * low <= 0, values outside a hyperparameter's valid range, names that would
 * be ambiguous in study names. Every message starts with "FILE:LINE:".
 *
 * inih hands us key/value pairs but not line numbers (Debian builds it
 * without INI_HANDLER_LINENO), so we feed it lines ourselves through
 * ini_parse_stream and count them as we go; section headers are seen in that
 * reader too, so an `[optimizer sgd]` section with no keys still counts.
 */
#include "experiment.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/nn.h"
#include "optlab/optim.h"

/* ---- the registry seam: the only place this file touches optim.h ---- */

/* Resolve a name or alias to its registry entry. */
static const ol_optim_info *registry_find(const char *name) { return ol_optim_find(name); }

/* ---- parse state ---- */

typedef struct {
    experiment *exp;
    ol_error *err;
    const char *origin;
    const char *text; /* whole file */
    size_t pos;
    int line;         /* number of the line last handed to inih */
    int failed;
    /* where we are: 0 none, 1 [experiment], 2 [optimizer X] */
    int section_kind;
    int section_line;
    exp_optimizer *current;
    /* which [experiment] keys were seen (to reject duplicates) */
    char seen_keys[32][EXP_NAME_MAX];
    int n_seen;
    int seen_experiment_section;
} parse_state;

static int fail_at(parse_state *ps, int line, ol_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail_at(parse_state *ps, int line, ol_status st, const char *fmt, ...) {
    if (ps->failed) return 0;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        ol_fail(ps->err, st, "%s:%d: %s", ps->origin, line, msg);
    else
        ol_fail(ps->err, st, "%s: %s", ps->origin, msg);
    ps->failed = 1;
    return 0;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

static int parse_double(const char *s, double *out) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int parse_long(const char *s, long long lo, long long hi, long long *out) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

ol_status experiment_check_name(const char *name, const char *what, ol_error *err) {
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "%s is empty", what);
    if (strlen(name) >= EXP_NAME_MAX)
        return ol_fail(err, OL_EINVAL, "%s '%s' is too long (at most %d characters)", what, name, EXP_NAME_MAX - 1);
    for (size_t i = 0; name[i]; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isalnum(c) || c == '_' || c == '-' || c == '.' || c == '+') continue;
        const char *why = c == '"' || c == '\'' || c == '`' ? "a quote"
                          : c == '/' || c == '#'             ? "reserved for study names (EXPERIMENT#rR/OPTIMIZER)"
                          : isspace(c)                       ? "white space"
                                                             : "not allowed";
        if (isprint(c))
            return ol_fail(err, OL_EINVAL,
                           "%s '%s' has '%c' at position %zu (%s); use letters, digits, '_', '-', '.', '+'",
                           what, name, c, i + 1, why);
        return ol_fail(err, OL_EINVAL, "%s has byte 0x%02x at position %zu (%s); use letters, digits, '_', '-', '.', '+'",
                       what, c, i + 1, why);
    }
    return OL_OK;
}

ol_status experiment_check_study_name(const char *name, ol_error *err) {
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "the study name is empty");
    if (strlen(name) > 512) return ol_fail(err, OL_EINVAL, "the study name is longer than 512 characters");
    for (size_t i = 0; name[i]; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '"' || c == '\'' || c == '`' || c == '\\')
            return ol_fail(err, OL_EINVAL, "study name '%s' has %s %c at position %zu; quotes and backslashes are not allowed",
                           name, c == '\\' ? "a backslash" : "a quote", c, i + 1);
        if (c < 0x20 || c == 0x7f)
            return ol_fail(err, OL_EINVAL, "study name has control character 0x%02x at position %zu", c, i + 1);
    }
    return OL_OK;
}

/* ---- [experiment] keys ---- */

static int set_int_key(parse_state *ps, const char *key, const char *value, long long lo, long long hi, int *dst) {
    long long v;
    if (!parse_long(value, lo, hi, &v))
        return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: expected a whole number from %lld to %lld", key, value, lo, hi);
    *dst = (int)v;
    return 1;
}

static int experiment_key(parse_state *ps, const char *key, const char *value) {
    experiment *e = ps->exp;
    for (int i = 0; i < ps->n_seen; i++)
        if (!strcmp(ps->seen_keys[i], key))
            return fail_at(ps, ps->line, OL_EINVAL, "'%s' is set twice in [experiment]", key);
    if (ps->n_seen < 32) snprintf(ps->seen_keys[ps->n_seen++], EXP_NAME_MAX, "%s", key);

    if (!strcmp(key, "name")) {
        ol_error e2;
        if (experiment_check_name(value, "experiment name", &e2))
            return fail_at(ps, ps->line, OL_EINVAL, "name = %s: %s", value, e2.msg);
        snprintf(e->name, sizeof e->name, "%s", value);
    } else if (!strcmp(key, "dataset")) {
        if (strcmp(value, "mnist") && strcmp(value, "fashion-mnist"))
            return fail_at(ps, ps->line, OL_EINVAL, "dataset = %s: expected mnist or fashion-mnist", value);
        snprintf(e->dataset, sizeof e->dataset, "%s", value);
    } else if (!strcmp(key, "loss")) {
        if (strcmp(value, "seed") && strcmp(value, "logits"))
            return fail_at(ps, ps->line, OL_EINVAL,
                           "loss = %s: expected seed (softmax then cross-entropy, as the seed run) or logits", value);
        snprintf(e->loss, sizeof e->loss, "%s", value);
    } else if (!strcmp(key, "model")) {
        ol_model *m = NULL;
        ol_error e2;
        if (ol_model_create(&m, value, 1, 28, 28, 1, &e2))
            return fail_at(ps, ps->line, OL_EINVAL, "model = %s: %s", value, e2.msg);
        ol_model_free(m);
        free(e->model);
        e->model = strdup(value);
        if (!e->model) return fail_at(ps, ps->line, OL_ENOMEM, "out of memory");
    } else if (!strcmp(key, "train")) {
        return set_int_key(ps, key, value, 1, 60000, &e->train);
    } else if (!strcmp(key, "valid_epoch")) {
        return set_int_key(ps, key, value, 1, 60000, &e->valid_epoch);
    } else if (!strcmp(key, "valid_trial")) {
        return set_int_key(ps, key, value, 1, 60000, &e->valid_trial);
    } else if (!strcmp(key, "test")) {
        return set_int_key(ps, key, value, 0, 10000, &e->test);
    } else if (!strcmp(key, "batch_size")) {
        return set_int_key(ps, key, value, 1, 65536, &e->batch_size);
    } else if (!strcmp(key, "patience")) {
        return set_int_key(ps, key, value, 1, 1000000, &e->patience);
    } else if (!strcmp(key, "max_epochs")) {
        return set_int_key(ps, key, value, 1, 1000000000, &e->max_epochs);
    } else if (!strcmp(key, "trials")) {
        return set_int_key(ps, key, value, 1, 1000000, &e->trials);
    } else if (!strcmp(key, "sampler")) {
        if (strcmp(value, "tpe") && strcmp(value, "random"))
            return fail_at(ps, ps->line, OL_EINVAL, "sampler = %s: expected tpe or random", value);
        snprintf(e->sampler, sizeof e->sampler, "%s", value);
    } else if (!strcmp(key, "pruner")) {
        if (strcmp(value, "none") && strcmp(value, "median"))
            return fail_at(ps, ps->line, OL_EINVAL, "pruner = %s: expected none or median", value);
        snprintf(e->pruner, sizeof e->pruner, "%s", value);
    } else if (!strcmp(key, "pruner_startup")) {
        return set_int_key(ps, key, value, 0, 1000000, &e->pruner_startup);
    } else if (!strcmp(key, "pruner_warmup")) {
        return set_int_key(ps, key, value, 0, 1000000, &e->pruner_warmup);
    } else if (!strcmp(key, "pruner_interval")) {
        return set_int_key(ps, key, value, 1, 1000000, &e->pruner_interval);
    } else if (!strcmp(key, "baseline")) {
        if (!*value || strlen(value) >= sizeof e->baseline || strpbrk(value, "/#\"' \t"))
            return fail_at(ps, ps->line, OL_EINVAL,
                           "baseline = %s: expected the name of another experiment (no '/', '#', quotes or spaces, "
                           "under %zu characters)",
                           value, sizeof e->baseline);
        snprintf(e->baseline, sizeof e->baseline, "%s", value);
    } else if (!strcmp(key, "seed")) {
        char *end;
        errno = 0;
        if (!*value || *value == '-') return fail_at(ps, ps->line, OL_EINVAL, "seed = %s: expected a whole number >= 0", value);
        unsigned long long v = strtoull(value, &end, 10);
        if (*end || errno == ERANGE)
            return fail_at(ps, ps->line, OL_EINVAL, "seed = %s: expected a whole number from 0 to 2^64-1", value);
        e->seed = v;
    } else {
        return fail_at(ps, ps->line, OL_EINVAL,
                       "unknown key '%s' in [experiment] (known: name, dataset, loss, model, train, valid_epoch, "
                       "valid_trial, test, batch_size, patience, max_epochs, trials, sampler, pruner, "
                       "pruner_startup, pruner_warmup, pruner_interval, baseline, seed)",
                       key);
    }
    return 1;
}

/* ---- [optimizer NAME] keys: one hyperparameter each ---- */

static int check_in_valid_range(parse_state *ps, const ol_optim_info *info, const ol_hparam_info *hp,
                                const char *key, const char *value, double v, const char *what) {
    ol_error e2;
    if (ol_hparam_check(info, hp, v, &e2))
        return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: %s %g: %s", key, value, what, v, e2.msg);
    return 1;
}

static int optimizer_key(parse_state *ps, const char *key, const char *value) {
    exp_optimizer *o = ps->current;
    if (!strcmp(key, "loss")) { /* not a hyperparameter: this study's loss instead of the experiment's */
        if (o->loss[0])
            return fail_at(ps, ps->line, OL_EINVAL, "'loss' is set twice in [optimizer %s]", o->name);
        if (strcmp(value, "seed") && strcmp(value, "logits"))
            return fail_at(ps, ps->line, OL_EINVAL,
                           "loss = %s: expected seed (softmax then cross-entropy, as the seed run) or logits", value);
        snprintf(o->loss, sizeof o->loss, "%s", value);
        return 1;
    }
    const ol_optim_info *info = registry_find(o->name);
    const ol_hparam_info *hp = ol_optim_find_hparam(info, key);
    if (!hp) {
        char known[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < info->n_hparams && len < sizeof known - 64; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", info->hparams[i].name);
        return fail_at(ps, ps->line, OL_EINVAL, "unknown hyperparameter '%s' for optimizer %s (known: %s)", key,
                       o->name, known);
    }
    for (int i = 0; i < o->n_hparams; i++)
        if (!strcmp(o->hparams[i].name, hp->name))
            return fail_at(ps, ps->line, OL_EINVAL, "'%s' is set twice in [optimizer %s] (first at line %d)", key,
                           o->name, o->hparams[i].line);
    if (o->n_hparams >= EXP_MAX_HPARAMS)
        return fail_at(ps, ps->line, OL_EINVAL, "too many hyperparameters in [optimizer %s] (at most %d)", o->name,
                       EXP_MAX_HPARAMS);

    exp_hparam h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", hp->name);
    h.line = ps->line;

    /* split the value into words */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", value);
    char *tok[EXP_MAX_CHOICES + 4];
    int nt = 0;
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (nt == EXP_MAX_CHOICES + 4)
            return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: too many words", key, value);
        tok[nt++] = t;
    }
    if (nt == 0) return fail_at(ps, ps->line, OL_EINVAL, "%s has no value", key);

    int i = 0;
    if (!strcmp(tok[0], "choice")) {
        h.kind = EXP_CHOICE;
        if (nt < 3)
            return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: 'choice' needs at least two values (or write one fixed value)",
                           key, value);
        if (nt - 1 > EXP_MAX_CHOICES)
            return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: at most %d choices", key, value, EXP_MAX_CHOICES);
        for (i = 1; i < nt; i++) {
            double v;
            if (!strcmp(tok[i], "true")) v = 1;
            else if (!strcmp(tok[i], "false")) v = 0;
            else if (!parse_double(tok[i], &v))
                return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: '%s' is not a number", key, value, tok[i]);
            if (!check_in_valid_range(ps, info, hp, key, value, v, "choice")) return 0;
            for (int j = 0; j < h.n_choices; j++)
                if (h.choices[j] == v)
                    return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: choice %s is listed twice", key, value, tok[i]);
            h.choices[h.n_choices++] = v;
        }
    } else {
        if (!strcmp(tok[i], "int")) {
            h.kind = EXP_INT;
            i++;
        } else {
            h.kind = EXP_FLOAT;
        }
        if (i < nt && !strcmp(tok[i], "log")) {
            h.log = 1;
            i++;
        }
        int nnum = nt - i;
        if (nnum == 1 && h.kind == EXP_FLOAT && !h.log) {
            double v;
            if (!strcmp(tok[i], "true")) v = 1;
            else if (!strcmp(tok[i], "false")) v = 0;
            else if (!parse_double(tok[i], &v))
                return fail_at(ps, ps->line, OL_EINVAL,
                               "%s = %s: '%s' is not a number (write a value, LOW HIGH, log LOW HIGH, int LOW HIGH "
                               "or choice A B ...)",
                               key, value, tok[i]);
            if (!check_in_valid_range(ps, info, hp, key, value, v, "value")) return 0;
            h.kind = EXP_FIXED;
            h.fixed = v;
        } else if (nnum == 2) {
            double lo, hi;
            if (!parse_double(tok[i], &lo))
                return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: low '%s' is not a number", key, value, tok[i]);
            if (!parse_double(tok[i + 1], &hi))
                return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: high '%s' is not a number", key, value, tok[i + 1]);
            if (lo >= hi)
                return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: low %g must be below high %g", key, value, lo, hi);
            if (h.log && lo <= 0)
                return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: a log scale needs low > 0 (low is %g)", key, value, lo);
            if (h.kind == EXP_INT && (lo != floor(lo) || hi != floor(hi)))
                return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: int bounds must be whole numbers", key, value);
            if (!check_in_valid_range(ps, info, hp, key, value, lo, "low")) return 0;
            if (!check_in_valid_range(ps, info, hp, key, value, hi, "high")) return 0;
            h.low = lo;
            h.high = hi;
        } else {
            return fail_at(ps, ps->line, OL_EINVAL,
                           "%s = %s: expected VALUE, LOW HIGH, log LOW HIGH, int [log] LOW HIGH or choice A B ...", key,
                           value);
        }
    }
    if (hp->kind == OL_HP_BOOL && (h.kind == EXP_FLOAT || h.kind == EXP_INT))
        return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: %s is true/false: write 0, 1 or choice 0 1", key, value,
                       hp->name);
    o->hparams[o->n_hparams++] = h;
    return 1;
}

/* A "[...]" line, seen by our reader before inih sees it. */
static int section_header(parse_state *ps, char *inner) {
    char *s = trim(inner);
    char *word2 = s;
    while (*word2 && !isspace((unsigned char)*word2)) word2++;
    char *rest = NULL;
    if (*word2) {
        *word2 = '\0';
        rest = trim(word2 + 1);
    }
    if (!strcmp(s, "experiment") && !rest) {
        if (ps->seen_experiment_section)
            return fail_at(ps, ps->line, OL_EINVAL, "[experiment] appears twice (first at line %d)",
                           ps->seen_experiment_section);
        ps->seen_experiment_section = ps->line;
        ps->section_kind = 1;
        ps->current = NULL;
        return 1;
    }
    if (!strcmp(s, "optimizer")) {
        if (!rest || !*rest)
            return fail_at(ps, ps->line, OL_EINVAL, "[optimizer] needs a name, e.g. [optimizer adam]");
        /* `[optimizer NAME]` or `[optimizer NAME as STUDY]` (one optimizer twice, e.g. per loss) */
        char *study = NULL;
        char *sp = strpbrk(rest, " \t");
        if (sp) {
            *sp = '\0';
            char *as = trim(sp + 1);
            if (strncmp(as, "as", 2) || !isspace((unsigned char)as[2]) || !*trim(as + 2) ||
                strpbrk(trim(as + 2), " \t"))
                return fail_at(ps, ps->line, OL_EINVAL,
                               "[optimizer %s %s]: expected [optimizer NAME] or [optimizer NAME as STUDY]", rest, as);
            study = trim(as + 2);
            ol_error e2;
            if (experiment_check_name(study, "study name", &e2))
                return fail_at(ps, ps->line, OL_EINVAL, "[optimizer %s as %s]: %s", rest, study, e2.msg);
        }
        const ol_optim_info *info = registry_find(rest);
        if (!info)
            return fail_at(ps, ps->line, OL_ENOTFOUND, "unknown optimizer '%s' (`optlab optimizers` lists them)", rest);
        experiment *e = ps->exp;
        const char *study_name = study ? study : info->name;
        for (int i = 0; i < e->n_optimizers; i++)
            if (!strcmp(e->optimizers[i].study, study_name))
                return fail_at(ps, ps->line, OL_EINVAL,
                               "[optimizer %s] appears twice (first at line %d): give one `as STUDY` to keep both",
                               rest, e->optimizers[i].line);
        if (e->n_optimizers >= EXP_MAX_OPTIMIZERS)
            return fail_at(ps, ps->line, OL_EINVAL, "too many optimizer sections (at most %d)", EXP_MAX_OPTIMIZERS);
        exp_optimizer *o = &e->optimizers[e->n_optimizers++];
        memset(o, 0, sizeof *o);
        snprintf(o->name, sizeof o->name, "%s", info->name);
        snprintf(o->label, sizeof o->label, "%s", info->label);
        snprintf(o->study, sizeof o->study, "%s", study_name);
        o->line = ps->line;
        ps->section_kind = 2;
        ps->current = o;
        return 1;
    }
    return fail_at(ps, ps->line, OL_EINVAL, "unknown section [%s%s%s] (expected [experiment] or [optimizer NAME])", s,
                   rest ? " " : "", rest ? rest : "");
}

/* inih's reader: one line per call, counted, section headers handled here. */
static char *reader(char *str, int num, void *stream) {
    parse_state *ps = stream;
    if (ps->failed || !ps->text[ps->pos]) return NULL;
    const char *start = ps->text + ps->pos;
    const char *nl = strchr(start, '\n');
    size_t len = nl ? (size_t)(nl - start) + 1 : strlen(start);
    ps->pos += len;
    ps->line++;
    if (len + 1 > (size_t)num) {
        fail_at(ps, ps->line, OL_EINVAL, "line is longer than %d characters", num - 2);
        return NULL;
    }
    memcpy(str, start, len);
    str[len] = '\0';

    /* section headers: ours to interpret (inih would skip empty sections) */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", str);
    char *t = trim(tmp);
    if (*t == '[') {
        char *close = strchr(t, ']');
        if (!close) {
            fail_at(ps, ps->line, OL_EINVAL, "section header '%s' has no closing ']'", t);
            return NULL;
        }
        *close = '\0';
        if (!section_header(ps, t + 1)) return NULL;
    }
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value) {
    (void)section;
    parse_state *ps = user;
    if (ps->failed) return 0;
    char key[EXP_NAME_MAX * 2], val[1024];
    snprintf(key, sizeof key, "%s", name);
    snprintf(val, sizeof val, "%s", value ? value : "");
    char *k = trim(key), *v = trim(val);
    if (!*v) return fail_at(ps, ps->line, OL_EINVAL, "'%s' has no value", k);
    switch (ps->section_kind) {
    case 1: return experiment_key(ps, k, v);
    case 2: return optimizer_key(ps, k, v);
    default:
        return fail_at(ps, ps->line, OL_EINVAL, "'%s = %s' comes before any section (start with [experiment])", k, v);
    }
}

static void set_defaults(experiment *e) {
    memset(e, 0, sizeof *e);
    snprintf(e->dataset, sizeof e->dataset, "mnist");
    snprintf(e->loss, sizeof e->loss, "seed");
    e->train = 1000;
    e->valid_epoch = 2000;
    e->valid_trial = 5000;
    e->batch_size = 32;
    e->patience = 5;
    e->max_epochs = 65536;
    e->trials = 70;
    snprintf(e->sampler, sizeof e->sampler, "tpe");
    snprintf(e->pruner, sizeof e->pruner, "none");
    e->pruner_startup = 5;
    e->pruner_warmup = 3;
    e->pruner_interval = 1;
    e->seed = 20250228;
}

/* The experiment's default name: the file's base name without extension. */
static void name_from_path(char *dst, size_t n, const char *path) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(dst, n, "%s", b);
    char *dot = strrchr(dst, '.');
    if (dot && dot != dst) *dot = '\0';
}

ol_status experiment_parse_string(experiment *exp, const char *text, const char *origin, ol_error *err) {
    set_defaults(exp);
    snprintf(exp->path, sizeof exp->path, "%s", origin);
    parse_state ps;
    memset(&ps, 0, sizeof ps);
    ps.exp = exp;
    ps.err = err;
    ps.origin = origin;
    ps.text = text;

    /* Plain INI: no Python-style continuation lines, stop at the first error. */
    ini_allow_multiline = false;
    ini_stop_on_first_error = true;
    int rc = ini_parse_stream(reader, &ps, handler, &ps);
    if (!ps.failed && rc > 0)
        fail_at(&ps, rc, OL_EINVAL, "expected 'key = value', '[experiment]' or '[optimizer NAME]'");
    else if (!ps.failed && rc < 0)
        fail_at(&ps, 0, OL_ENOMEM, "the INI parser failed (%d)", rc);

    if (!ps.failed && !ps.seen_experiment_section)
        fail_at(&ps, 0, OL_EINVAL, "no [experiment] section");
    if (!ps.failed && exp->n_optimizers == 0)
        fail_at(&ps, 0, OL_EINVAL, "no [optimizer NAME] section: nothing to search");
    if (!ps.failed && !exp->name[0]) {
        name_from_path(exp->name, sizeof exp->name, origin);
        ol_error e2;
        if (experiment_check_name(exp->name, "experiment name (from the file name; set name = ...)", &e2))
            fail_at(&ps, ps.seen_experiment_section, OL_EINVAL, "%s", e2.msg);
    }
    if (!ps.failed && (long)exp->train + exp->valid_epoch + exp->valid_trial > 60000)
        fail_at(&ps, ps.seen_experiment_section, OL_EINVAL,
                "train + valid_epoch + valid_trial = %ld exceeds the 60000 training images of %s",
                (long)exp->train + exp->valid_epoch + exp->valid_trial, exp->dataset);
    for (int i = 0; !ps.failed && i < exp->n_optimizers; i++) {
        exp_optimizer *o = &exp->optimizers[i];
        if (!o->loss[0]) memcpy(o->loss, exp->loss, sizeof o->loss);
        else if (strcmp(o->loss, exp->loss)) { /* two studies of one optimizer must read apart */
            char suffix[32];
            snprintf(suffix, sizeof suffix, ", %s loss", o->loss);
            size_t l = strlen(o->label), k = strlen(suffix);
            if (l + k < sizeof o->label) memcpy(o->label + l, suffix, k + 1);
        }
    }
    if (!ps.failed && !exp->model) {
        exp->model = strdup(OL_SEED_CNN_SPEC);
        if (!exp->model) fail_at(&ps, 0, OL_ENOMEM, "out of memory");
    }
    if (ps.failed) {
        experiment_free(exp);
        return err ? err->status : OL_EINVAL;
    }
    return OL_OK;
}

ol_status experiment_load(experiment *exp, const char *path, ol_error *err) {
    memset(exp, 0, sizeof *exp);
    FILE *f = fopen(path, "rb");
    if (!f) return ol_fail(err, OL_EIO, "cannot open experiment file %s: %s", path, strerror(errno));
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (64u << 20)) {
                free(text);
                fclose(f);
                return ol_fail(err, OL_EFORMAT, "%s: too large for an experiment file", path);
            }
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                return ol_fail(err, OL_ENOMEM, "%s: out of memory", path);
            }
            text = t;
        }
        size_t n = fread(text + len, 1, 4096, f);
        len += n;
        if (n < 4096) break;
    }
    int ioerr = ferror(f);
    fclose(f);
    if (ioerr) {
        free(text);
        return ol_fail(err, OL_EIO, "cannot read experiment file %s", path);
    }
    text[len] = '\0';
    if (memchr(text, '\0', len)) {
        free(text);
        return ol_fail(err, OL_EFORMAT, "%s: not a text file (holds NUL bytes)", path);
    }
    ol_status st = experiment_parse_string(exp, text, path, err);
    free(text);
    return st;
}

void experiment_free(experiment *exp) {
    if (!exp) return;
    free(exp->model);
    exp->model = NULL;
    exp->n_optimizers = 0;
}

const exp_optimizer *experiment_find_optimizer(const experiment *exp, const char *name) {
    for (int i = 0; i < exp->n_optimizers; i++)
        if (!strcmp(exp->optimizers[i].study, name)) return &exp->optimizers[i];
    const ol_optim_info *info = registry_find(name);
    const char *want = info ? info->name : name;
    for (int i = 0; i < exp->n_optimizers; i++)
        if (!strcmp(exp->optimizers[i].name, want)) return &exp->optimizers[i];
    return NULL;
}
