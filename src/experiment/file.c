/*
 * file.c — reads an experiment file (INI, parsed by libinih; format in
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
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment_internal.h"
#include "optlab/nn.h"
#include "optlab/optim.h"

/* ---- the registry seam: the only place this file touches optim.h ---- */

/* Resolve a name or alias to its registry entry. */
static const ol_optim_info *registry_find(const char *name) { return ol_optim_find(name); }

/* ---- parse state ---- */

typedef struct {
    ol_experiment *exp;
    ol_error *err;
    const char *origin;
    const char *text; /* whole file */
    size_t pos;
    int line;         /* number of the line last handed to inih */
    int failed;
    /* where we are: 0 none, 1 [experiment], 2 [optimizer X] */
    int section_kind;
    int section_line;
    int model_line;   /* line of `model =`, for the memory check once batch_size is known */
    int sampler_line, kwargs_line; /* lines of `sampler =` and `sampler_kwargs =`, for the sampler checks at the end */
    ol_exp_optimizer *current;
    /* which [experiment] keys were seen (to reject duplicates) */
    char seen_keys[32][OL_EXP_NAME_MAX];
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

static int parse_long(const char *s, long long lo, long long hi, long long *out) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

ol_status ol_experiment_check_name(const char *name, const char *what, ol_error *err) {
    if (!name || !*name) return ol_fail(err, OL_EINVAL, "%s is empty", what);
    if (strlen(name) >= OL_EXP_NAME_MAX)
        return ol_fail(err, OL_EINVAL, "%s '%s' is too long (at most %d characters)", what, name, OL_EXP_NAME_MAX - 1);
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

ol_status ol_experiment_check_study_name(const char *name, ol_error *err) {
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

/* ---- the choices an experiment file names ---- */

const char *ol_exp_dataset_name(ol_exp_dataset d) { return d == OL_DATASET_FASHION_MNIST ? "fashion-mnist" : "mnist"; }
const char *ol_exp_sampler_name(ol_exp_sampler s) {
    return s == OL_EXP_SAMPLER_RANDOM  ? "random"
           : s == OL_EXP_SAMPLER_GP    ? "gp"
           : s == OL_EXP_SAMPLER_MVTPE ? "mvtpe"
           : s == OL_EXP_SAMPLER_CMAES ? "cmaes"
                                       : "tpe";
}
const char *ol_exp_pruner_name(ol_exp_pruner p) { return p == OL_EXP_PRUNER_MEDIAN ? "median" : "none"; }
const char *ol_exp_init_name(ol_exp_init i) { return i == OL_EXP_INIT_INDEPENDENT ? "independent" : "paired"; }
const char *ol_exp_stream_name(ol_exp_stream s) { return s == OL_EXP_STREAM_OWN ? "own" : "shared"; }
const char *ol_exp_loss_name(ol_loss_kind l) { return l == OL_LOSS_LOGITS ? OL_LOSS_NAME_LOGITS : OL_LOSS_NAME_REFERENCE; }

/* `loss = reference | logits`; `seed` is the reference loss's old name, still read. */
static int parse_loss(parse_state *ps, const char *value, ol_loss_kind *out) {
    if (ol_loss_name_is_reference(value)) *out = OL_LOSS_SEED;
    else if (!strcmp(value, OL_LOSS_NAME_LOGITS)) *out = OL_LOSS_LOGITS;
    else
        return fail_at(ps, ps->line, OL_EINVAL,
                       "loss = %s: expected reference (softmax then cross-entropy, as the seed note's reference run; "
                       "old name: seed) or logits",
                       value);
    return 1;
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
    ol_experiment *e = ps->exp;
    for (int i = 0; i < ps->n_seen; i++)
        if (!strcmp(ps->seen_keys[i], key))
            return fail_at(ps, ps->line, OL_EINVAL, "'%s' is set twice in [experiment]", key);
    if (ps->n_seen < 32) snprintf(ps->seen_keys[ps->n_seen++], OL_EXP_NAME_MAX, "%s", key);

    if (!strcmp(key, "name")) {
        ol_error e2;
        if (ol_experiment_check_name(value, "experiment name", &e2))
            return fail_at(ps, ps->line, OL_EINVAL, "name = %s: %s", value, e2.msg);
        snprintf(e->name, sizeof e->name, "%s", value);
    } else if (!strcmp(key, "dataset")) {
        if (!strcmp(value, ol_exp_dataset_name(OL_DATASET_MNIST))) e->dataset = OL_DATASET_MNIST;
        else if (!strcmp(value, ol_exp_dataset_name(OL_DATASET_FASHION_MNIST))) e->dataset = OL_DATASET_FASHION_MNIST;
        else return fail_at(ps, ps->line, OL_EINVAL, "dataset = %s: expected mnist or fashion-mnist", value);
    } else if (!strcmp(key, "loss")) {
        if (!parse_loss(ps, value, &e->loss)) return 0;
    } else if (!strcmp(key, "model")) {
        /* parsed and shape-checked only: building it could take gigabytes (its memory is
           checked against ol_model_max_memory once the file's batch_size is known) */
        ol_error e2;
        double bytes;
        if (ol_model_memory(value, 1, 28, 28, 1, &bytes, &e2))
            return fail_at(ps, ps->line, OL_EINVAL, "model = %s: %s", value, e2.msg);
        ps->model_line = ps->line;
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
        if (!strcmp(value, ol_exp_sampler_name(OL_EXP_SAMPLER_TPE))) e->sampler = OL_EXP_SAMPLER_TPE;
        else if (!strcmp(value, ol_exp_sampler_name(OL_EXP_SAMPLER_RANDOM))) e->sampler = OL_EXP_SAMPLER_RANDOM;
        else if (!strcmp(value, ol_exp_sampler_name(OL_EXP_SAMPLER_GP))) e->sampler = OL_EXP_SAMPLER_GP;
        else if (!strcmp(value, ol_exp_sampler_name(OL_EXP_SAMPLER_MVTPE))) e->sampler = OL_EXP_SAMPLER_MVTPE;
        else if (!strcmp(value, ol_exp_sampler_name(OL_EXP_SAMPLER_CMAES))) e->sampler = OL_EXP_SAMPLER_CMAES;
        else return fail_at(ps, ps->line, OL_EINVAL, "sampler = %s: expected tpe, mvtpe, gp, cmaes or random", value);
        ps->sampler_line = ps->line;
    } else if (!strcmp(key, "sampler_kwargs")) {
        free(e->sampler_kwargs);
        e->sampler_kwargs = strdup(value);
        if (!e->sampler_kwargs) return fail_at(ps, ps->line, OL_ENOMEM, "out of memory");
        ps->kwargs_line = ps->line;
    } else if (!strcmp(key, "pruner")) {
        if (!strcmp(value, ol_exp_pruner_name(OL_EXP_PRUNER_NONE))) e->pruner = OL_EXP_PRUNER_NONE;
        else if (!strcmp(value, ol_exp_pruner_name(OL_EXP_PRUNER_MEDIAN))) e->pruner = OL_EXP_PRUNER_MEDIAN;
        else return fail_at(ps, ps->line, OL_EINVAL, "pruner = %s: expected none or median", value);
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
    } else if (!strcmp(key, "init")) {
        if (!strcmp(value, ol_exp_init_name(OL_EXP_INIT_PAIRED))) e->init = OL_EXP_INIT_PAIRED;
        else if (!strcmp(value, ol_exp_init_name(OL_EXP_INIT_INDEPENDENT))) e->init = OL_EXP_INIT_INDEPENDENT;
        else return fail_at(ps, ps->line, OL_EINVAL, "init = %s: expected paired or independent", value);
    } else if (!strcmp(key, "sampler_stream")) {
        if (!strcmp(value, ol_exp_stream_name(OL_EXP_STREAM_SHARED))) e->sampler_stream = OL_EXP_STREAM_SHARED;
        else if (!strcmp(value, ol_exp_stream_name(OL_EXP_STREAM_OWN))) e->sampler_stream = OL_EXP_STREAM_OWN;
        else return fail_at(ps, ps->line, OL_EINVAL, "sampler_stream = %s: expected shared or own", value);
    } else if (!strcmp(key, "reevaluate_top")) {
        return set_int_key(ps, key, value, 0, 1000, &e->reevaluate_top);
    } else if (!strcmp(key, "reevaluate_median")) {
        return set_int_key(ps, key, value, 0, 1000, &e->reevaluate_median);
    } else if (!strcmp(key, "reevaluate_seeds")) {
        return set_int_key(ps, key, value, 1, 1000, &e->reevaluate_seeds);
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
                       "valid_trial, test, batch_size, patience, max_epochs, trials, sampler, sampler_kwargs, pruner, "
                       "pruner_startup, pruner_warmup, pruner_interval, baseline, init, sampler_stream, reevaluate_top, "
                       "reevaluate_median, reevaluate_seeds, seed)",
                       key);
    }
    return 1;
}

/* ---- [optimizer NAME] keys: one hyperparameter each ---- */

static int schedule_key(parse_state *ps, const char *value);

static int check_in_valid_range(parse_state *ps, const ol_optim_info *info, const ol_hparam_info *hp,
                                const char *key, const char *value, double v, const char *what) {
    ol_error e2;
    if (ol_hparam_check(info, hp, v, &e2))
        return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: %s %g: %s", key, value, what, v, e2.msg);
    return 1;
}

static int optimizer_key(parse_state *ps, const char *key, const char *value) {
    ol_exp_optimizer *o = ps->current;
    if (!strcmp(key, "loss")) { /* not a hyperparameter: this study's loss instead of the experiment's */
        if (o->loss_set)
            return fail_at(ps, ps->line, OL_EINVAL, "'loss' is set twice in [optimizer %s]", o->name);
        o->loss_set = 1;
        return parse_loss(ps, value, &o->loss);
    }
    if (!strcmp(key, "schedule")) /* not a hyperparameter: the learning-rate schedule (schedule.c) */
        return schedule_key(ps, value);
    const ol_optim_info *info = registry_find(o->name);
    int is_sched = !strncmp(key, "schedule.", 9);
    const ol_hparam_info *hp = is_sched ? NULL : ol_optim_find_hparam(info, key);
    if (is_sched) {
        ol_error e2;
        if (ol_experiment_check_name(key + 9, "schedule key", &e2))
            return fail_at(ps, ps->line, OL_EINVAL, "%s = %s: %s", key, value, e2.msg);
    } else if (!hp) {
        char known[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < info->n_hparams && len < sizeof known - 64; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", info->hparams[i].name);
        return fail_at(ps, ps->line, OL_EINVAL, "unknown hyperparameter '%s' for optimizer %s (known: %s)", key,
                       o->name, known);
    }
    const char *pname = is_sched ? key : hp->name;
    for (int i = 0; i < o->n_params; i++)
        if (!strcmp(o->params[i].name, pname))
            return fail_at(ps, ps->line, OL_EINVAL, "'%s' is set twice in [optimizer %s] (first at line %d)", key,
                           o->name, o->params[i].line);
    if (o->n_params >= OL_EXP_MAX_PARAMS)
        return fail_at(ps, ps->line, OL_EINVAL, "too many hyperparameters in [optimizer %s] (at most %d)", o->name,
                       OL_EXP_MAX_PARAMS);

    ol_exp_param h;
    memset(&h, 0, sizeof h);
    snprintf(h.name, sizeof h.name, "%s", pname);
    h.line = ps->line;
    h.schedule = is_sched;
    /* the search space, by the grammar `optlab ask --param` shares (space.c) */
    ol_error e2;
    if (ol_param_spec_parse(value, 1, &h.spec, &e2))
        return fail_at(ps, ps->line, e2.status, "%s = %s: %s", key, value, e2.msg);
    const ol_distribution *d = &h.spec.dist;
    int ok = 1;
    if (is_sched) { /* its range is checked against the schedule once the section is read (schedule.c) */
        if (!h.spec.fixed && d->kind == OL_DIST_CATEGORICAL && !h.spec.numeric_choices)
            ok = fail_at(ps, ps->line, OL_EINVAL, "%s = %s: a schedule value is a number: write choice A B ...", key,
                         value);
        else if (!h.spec.fixed && d->kind != OL_DIST_CATEGORICAL && d->step != (d->kind == OL_DIST_INT ? 1 : 0))
            ok = fail_at(ps, ps->line, OL_EINVAL, "%s = %s: a step is not supported here", key, value);
    } else if (h.spec.fixed) {
        ok = check_in_valid_range(ps, info, hp, key, value, h.spec.value, "value");
    } else if (d->kind == OL_DIST_CATEGORICAL) {
        if (!h.spec.numeric_choices)
            ok = fail_at(ps, ps->line, OL_EINVAL, "%s = %s: a hyperparameter takes numbers: write choice A B ...", key,
                         value);
        for (size_t i = 0; ok && i < d->n_choices; i++)
            ok = check_in_valid_range(ps, info, hp, key, value, ol_param_spec_choice_value(&h.spec, i), "choice");
    } else {
        if (d->step != (d->kind == OL_DIST_INT ? 1 : 0))
            ok = fail_at(ps, ps->line, OL_EINVAL, "%s = %s: a step is not supported here", key, value);
        if (ok) ok = check_in_valid_range(ps, info, hp, key, value, d->low, "low");
        if (ok) ok = check_in_valid_range(ps, info, hp, key, value, d->high, "high");
        if (ok && hp->kind == OL_HP_BOOL)
            ok = fail_at(ps, ps->line, OL_EINVAL, "%s = %s: %s is true/false: write 0, 1 or choice 0 1", key, value,
                         hp->name);
    }
    if (!ok) {
        ol_param_spec_free(&h.spec);
        return 0;
    }
    o->params[o->n_params++] = h;
    return 1;
}

/* `schedule = NAME` or `schedule = NAME:JSON` (as `optlab train --schedule`); checked once the section is read. */
static int schedule_key(parse_state *ps, const char *value) {
    ol_exp_optimizer *o = ps->current;
    if (o->schedule_line)
        return fail_at(ps, ps->line, OL_EINVAL, "'schedule' is set twice in [optimizer %s] (first at line %d)", o->study,
                       o->schedule_line);
    const char *colon = strchr(value, ':');
    size_t nlen = colon ? (size_t)(colon - value) : strlen(value);
    char name[OL_EXP_NAME_MAX];
    if (nlen == 0 || nlen >= sizeof name)
        return fail_at(ps, ps->line, OL_EINVAL, "schedule = %s: expected NAME or NAME:{JSON keywords}, e.g. "
                       "CosineAnnealingLR:{\"T_max\": 50}", value);
    memcpy(name, value, nlen);
    name[nlen] = '\0';
    char *n = trim(name);
    int known = 0;
    for (size_t i = 0; ol_schedule_kind_name(i); i++) known |= !strcmp(ol_schedule_kind_name(i), n);
    if (!known) {
        char list[400] = "";
        size_t len = 0;
        for (size_t i = 0; ol_schedule_kind_name(i) && len < sizeof list - 40; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", ol_schedule_kind_name(i));
        return fail_at(ps, ps->line, OL_EINVAL, "schedule = %s: unknown schedule '%s' (known: %s)", value, n, list);
    }
    snprintf(o->schedule, sizeof o->schedule, "%s", n);
    if (colon) {
        char *json = strdup(colon + 1);
        if (!json) return fail_at(ps, ps->line, OL_ENOMEM, "out of memory");
        char *t = trim(json);
        memmove(json, t, strlen(t) + 1);
        if (!*json) {
            free(json);
            return fail_at(ps, ps->line, OL_EINVAL, "schedule = %s: nothing after ':' (write NAME alone, or NAME:{...})",
                           value);
        }
        o->schedule_json = json;
    }
    o->schedule_line = ps->line;
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
            if (ol_experiment_check_name(study, "study name", &e2))
                return fail_at(ps, ps->line, OL_EINVAL, "[optimizer %s as %s]: %s", rest, study, e2.msg);
        }
        const ol_optim_info *info = registry_find(rest);
        if (!info)
            return fail_at(ps, ps->line, OL_ENOTFOUND, "unknown optimizer '%s' (`optlab optimizers` lists them)", rest);
        ol_experiment *e = ps->exp;
        const char *study_name = study ? study : info->name;
        for (int i = 0; i < e->n_optimizers; i++)
            if (!strcmp(e->optimizers[i].study, study_name))
                return fail_at(ps, ps->line, OL_EINVAL,
                               "[optimizer %s] appears twice (first at line %d): give one `as STUDY` to keep both",
                               rest, e->optimizers[i].line);
        if (e->n_optimizers >= OL_EXP_MAX_OPTIMIZERS)
            return fail_at(ps, ps->line, OL_EINVAL, "too many optimizer sections (at most %d)", OL_EXP_MAX_OPTIMIZERS);
        ol_exp_optimizer *o = &e->optimizers[e->n_optimizers++];
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
    char key[OL_EXP_NAME_MAX * 2], val[1024];
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

static void set_defaults(ol_experiment *e) {
    memset(e, 0, sizeof *e);
    e->dataset = OL_DATASET_MNIST;
    e->loss = OL_LOSS_SEED; /* the reference loss */
    e->train = 1000;
    e->valid_epoch = 2000;
    e->valid_trial = 5000;
    e->batch_size = 32;
    e->patience = 5;
    e->max_epochs = 65536;
    e->trials = 70;
    e->sampler = OL_EXP_SAMPLER_TPE;
    e->pruner = OL_EXP_PRUNER_NONE;
    e->pruner_startup = 5;
    e->pruner_warmup = 3;
    e->pruner_interval = 1;
    e->reevaluate_seeds = 10;
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

/*
 * The sampler and its options, once the whole file is read: sampler_kwargs must be options the
 * sampler takes (only cmaes has any), and CMA-ES must find two or more searched float/int
 * parameters in every optimizer section (it cannot search categoricals, and Optuna's sampler
 * falls back to random sampling in one dimension): said here, before any trial runs.
 */
static void check_sampler(parse_state *ps) {
    ol_experiment *e = ps->exp;
    ol_error e2;
    /* source studies (cmaes's source_study) are looked up in the storage, before the first trial */
    if (ol_sampler_check_kwargs(ol_exp_sampler_name(e->sampler), e->sampler_kwargs, &e2)) {
        fail_at(ps, ps->kwargs_line, OL_EINVAL, "sampler_kwargs = %s: %s", e->sampler_kwargs ? e->sampler_kwargs : "",
                e2.msg);
        return;
    }
    if (e->sampler != OL_EXP_SAMPLER_CMAES) return;
    for (int i = 0; i < e->n_optimizers; i++) {
        const ol_exp_optimizer *o = &e->optimizers[i];
        int numeric = 0, categorical = 0;
        char names[256] = "";
        for (int k = 0; k < o->n_params; k++) {
            const ol_param_spec *p = &o->params[k].spec;
            if (p->fixed) continue;
            if (p->dist.kind == OL_DIST_CATEGORICAL) {
                categorical++;
                continue;
            }
            numeric++;
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", l ? ", " : "", o->params[k].name);
        }
        if (numeric >= 2) continue;
        fail_at(ps, ps->sampler_line ? ps->sampler_line : o->line, OL_EINVAL,
                "sampler = cmaes: [optimizer %s] (line %d) searches %s%s%s%s; CMA-ES needs two or more float or int "
                "parameters (categorical ones go to its independent sampler): search more of them, or use "
                "sampler = tpe, gp or random",
                o->study, o->line, numeric ? "only one float/int parameter (" : "no float or int parameter",
                numeric ? names : "", numeric ? ")" : "",
                categorical ? (numeric ? " besides categoricals" : ", only categoricals") : "");
        return;
    }
}

ol_status ol_experiment_parse_string(ol_experiment *exp, const char *text, const char *origin, ol_error *err) {
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
        if (ol_experiment_check_name(exp->name, "experiment name (from the file name; set name = ...)", &e2))
            fail_at(&ps, ps.seen_experiment_section, OL_EINVAL, "%s", e2.msg);
    }
    if (!ps.failed && (long)exp->train + exp->valid_epoch + exp->valid_trial > 60000)
        fail_at(&ps, ps.seen_experiment_section, OL_EINVAL,
                "train + valid_epoch + valid_trial = %ld exceeds the 60000 training images of %s",
                (long)exp->train + exp->valid_epoch + exp->valid_trial, ol_exp_dataset_name(exp->dataset));
    for (int i = 0; !ps.failed && i < exp->n_optimizers; i++) {
        ol_exp_optimizer *o = &exp->optimizers[i];
        if (!o->loss_set) o->loss = exp->loss;
        else if (o->loss != exp->loss) { /* two studies of one optimizer must read apart */
            char suffix[32];
            snprintf(suffix, sizeof suffix, ", %s loss", ol_exp_loss_name(o->loss));
            size_t l = strlen(o->label), k = strlen(suffix);
            if (l + k < sizeof o->label) memcpy(o->label + l, suffix, k + 1);
        }
    }
    for (int i = 0; !ps.failed && i < exp->n_optimizers; i++) {
        int line = 0;
        ol_error e2;
        if (exp_schedule_validate(exp, &exp->optimizers[i], &line, &e2))
            fail_at(&ps, line, e2.status, "[optimizer %s]: %s", exp->optimizers[i].study, e2.msg);
    }
    if (!ps.failed) check_sampler(&ps);
    if (!ps.failed && !exp->model) {
        exp->model = strdup(OL_SEED_CNN_SPEC);
        if (!exp->model) fail_at(&ps, 0, OL_ENOMEM, "out of memory");
    }
    if (!ps.failed) { /* also the default model: the limit is the user's */
        double need = 0, limit = ol_model_max_memory();
        ol_error e2;
        if (ol_model_memory(exp->model, 1, 28, 28, exp->batch_size, &need, &e2) == OL_OK && need > limit) {
            const double mb = 1024.0 * 1024, gb = 1024 * mb;
            fail_at(&ps, ps.model_line, OL_EINVAL,
                    "model = %s: needs about %.1f %s for batches of %d, above the limit of %.1f %s "
                    "(set OPTLAB_MAX_MEMORY, e.g. OPTLAB_MAX_MEMORY=16G, to allow more)",
                    exp->model, need >= gb ? need / gb : need / mb, need >= gb ? "GB" : "MB", exp->batch_size,
                    limit >= gb ? limit / gb : limit / mb, limit >= gb ? "GB" : "MB");
        }
    }
    if (ps.failed) {
        ol_experiment_free(exp);
        return err ? err->status : OL_EINVAL;
    }
    return OL_OK;
}

ol_status ol_experiment_load(ol_experiment *exp, const char *path, ol_error *err) {
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
    ol_status st = ol_experiment_parse_string(exp, text, path, err);
    free(text);
    return st;
}

void ol_experiment_free(ol_experiment *exp) {
    if (!exp) return;
    free(exp->model);
    exp->model = NULL;
    free(exp->sampler_kwargs);
    exp->sampler_kwargs = NULL;
    for (int i = 0; i < exp->n_optimizers && i < OL_EXP_MAX_OPTIMIZERS; i++)
        for (int k = 0; k < exp->optimizers[i].n_params && k < OL_EXP_MAX_PARAMS; k++)
            ol_param_spec_free(&exp->optimizers[i].params[k].spec);
    for (int i = 0; i < exp->n_optimizers && i < OL_EXP_MAX_OPTIMIZERS; i++) {
        free(exp->optimizers[i].schedule_json);
        exp->optimizers[i].schedule_json = NULL;
    }
    exp->n_optimizers = 0;
}

const ol_exp_optimizer *ol_experiment_find_optimizer(const ol_experiment *exp, const char *name) {
    for (int i = 0; i < exp->n_optimizers; i++)
        if (!strcmp(exp->optimizers[i].study, name)) return &exp->optimizers[i];
    const ol_optim_info *info = registry_find(name);
    const char *want = info ? info->name : name;
    for (int i = 0; i < exp->n_optimizers; i++)
        if (!strcmp(exp->optimizers[i].name, want)) return &exp->optimizers[i];
    return NULL;
}
