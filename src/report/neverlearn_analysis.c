/*
 * neverlearn_analysis.c — the numbers behind the report's "Trials that never
 * learn" section, with no text or file output (neverlearn.c renders them):
 * which trials count and which failed, bins of a hyperparameter's range,
 * the failure rate per group of each factor and its η² (the correlation
 * ratio Σ n_g (p_g − p)² / (N p (1 − p)): 0 when every group fails alike, 1
 * when the groups separate failed from healthy trials exactly), and the
 * medians of the first epochs' diagnostics in failed against healthy
 * trials. Pure functions of the loaded model (report_internal.h); unit-tested
 * in tests/report/test_never_learn.c.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neverlearn.h"

/* ---- outcomes ---- */

int nl_counted(const rp_trial *t) {
    return t->outcome == RP_OK || t->outcome == RP_NEVER_LEARNED || t->outcome == RP_DIVERGED;
}
int nl_failed(const rp_trial *t) { return t->outcome == RP_NEVER_LEARNED || t->outcome == RP_DIVERGED; }

int nl_param_index(const rp_study *s, const char *name) {
    for (size_t i = 0; i < s->n_params; i++)
        if (!strcmp(s->params[i].name, name)) return (int)i;
    return -1;
}

/* The section needs both a trial that never learned and the diagnostics `optlab run` records
 * (storages written before them get the failures table only). */
int rp_has_never_learn(const rp_experiment *ex) {
    int never = 0, diag = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        never |= s->counts[RP_NEVER_LEARNED] > 0;
        for (size_t j = 0; j < s->n_trials && !diag; j++) diag = s->trials[j].diagnostics != NULL;
    }
    return never && diag;
}

/* ---- bins ---- */



/* Decades for a log range (quarters of a decade range shorter than 2 decades), quarters for a linear one. */
void nl_make_bins(nl_bins *b, double low, double high, int log_scale) {
    b->log_scale = log_scale;
    if (log_scale && low > 0) {
        double e0 = floor(log10(low) + 1e-9), e1 = ceil(log10(high) - 1e-9);
        if (e1 - e0 >= 2 && e1 - e0 <= NL_MAX_BINS) {
            b->n_bins = (int)(e1 - e0);
            for (int k = 0; k <= b->n_bins; k++) b->edge[k] = pow(10, e0 + k);
            b->edge[0] = low, b->edge[b->n_bins] = high;
            return;
        }
        b->n_bins = 4;
        for (int k = 0; k <= 4; k++) b->edge[k] = low * pow(high / low, k / 4.0);
        return;
    }
    b->log_scale = 0;
    b->n_bins = 4;
    for (int k = 0; k <= 4; k++) b->edge[k] = low + (high - low) * k / 4.0;
}

int nl_bin_of(const nl_bins *b, double v) {
    if (!isfinite(v)) return -1;
    for (int k = 0; k < b->n_bins; k++)
        if (v < b->edge[k + 1] || k == b->n_bins - 1) return v >= b->edge[0] * (1 - 1e-12) ? k : -1;
    return -1;
}

double nl_bin_centre(const nl_bins *b, int k) {
    return b->log_scale ? sqrt(b->edge[k] * b->edge[k + 1]) : 0.5 * (b->edge[k] + b->edge[k + 1]);
}

/* A factor: value of a trial (NAN = not in the factor's trials). */




static double trial_param(const rp_study *s, const rp_trial *t, const char *name) {
    int p = nl_param_index(s, name);
    return p < 0 ? NAN : t->params[p];
}

static double factor_value(const nl_factor *f, const rp_study *s, const rp_trial *t) {
    if (f->kind == NL_PARAM) return trial_param(s, t, f->name);
    return trial_param(s, t, "learning_rate") * trial_param(s, t, "weight_decay");
}

void nl_factor_eta2(nl_factor *f, int n_groups) {
    f->N = f->F = 0;
    for (int k = 0; k < n_groups; k++) f->N += f->n[k], f->F += f->fail[k];
    f->eta2 = NAN;
    if (f->N < 2 || f->F == 0 || f->F == f->N) return;
    double p = (double)f->F / f->N, between = 0;
    for (int k = 0; k < n_groups; k++)
        if (f->n[k]) {
            double d = (double)f->fail[k] / f->n[k] - p;
            between += f->n[k] * d * d;
        }
    f->eta2 = between / (f->N * p * (1 - p));
}

/* Pool the trials of every study that searched the factor's parameter(s). */
int nl_build_factor(nl_factor *f, const rp_experiment *ex) {
    int groups = 0;
    if (f->kind == NL_LOSS || f->kind == NL_STUDY) {
        memset(f->n, 0, sizeof f->n), memset(f->fail, 0, sizeof f->fail);
        for (size_t i = 0; i < ex->n_studies; i++) {
            const rp_study *s = &ex->studies[i];
            const char *loss = f->kind == NL_STUDY ? s->label : s->loss ? s->loss : (ex->loss ? ex->loss : "?");
            int g = 0;
            while (g < groups && strcmp(f->group[g], loss)) g++;
            if (g == groups) {
                if (groups == NL_MAX_BINS) continue;
                snprintf(f->group[groups++], sizeof f->group[0], "%s", loss);
            }
            for (size_t j = 0; j < s->n_trials; j++)
                if (nl_counted(&s->trials[j])) f->n[g]++, f->fail[g] += nl_failed(&s->trials[j]);
        }
        nl_factor_eta2(f, groups);
        return groups >= 2;
    }
    /* range: the union of the studies' distributions (product: observed min..max) */
    double lo = INFINITY, hi = -INFINITY;
    int log_scale = 1, found = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (f->kind == NL_PARAM) {
            int p = nl_param_index(s, f->name);
            if (p < 0 || s->params[p].categorical) continue;
            /* the union of the studies' ranges: optimizers may search different decades */
            if (!found) log_scale = s->params[p].log_scale;
            lo = fmin(lo, s->params[p].low), hi = fmax(hi, s->params[p].high);
            found = 1;
        } else {
            if (nl_param_index(s, "learning_rate") < 0 || nl_param_index(s, "weight_decay") < 0) continue;
            for (size_t j = 0; j < s->n_trials; j++) {
                double v = factor_value(f, s, &s->trials[j]);
                if (isfinite(v) && v > 0) lo = fmin(lo, v), hi = fmax(hi, v), found = 1;
            }
        }
    }
    if (!found || !(hi > lo)) return 0;
    nl_make_bins(&f->bins, lo, hi, log_scale);
    memset(f->n, 0, sizeof f->n), memset(f->fail, 0, sizeof f->fail);
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        for (size_t j = 0; j < s->n_trials; j++) {
            const rp_trial *t = &s->trials[j];
            int k = nl_counted(t) ? nl_bin_of(&f->bins, factor_value(f, s, t)) : -1;
            if (k >= 0) f->n[k]++, f->fail[k] += nl_failed(t);
        }
    }
    nl_factor_eta2(f, f->bins.n_bins);
    return 1;
}

/* Rate of one study in bin k of a factor. */
void nl_study_bin(const nl_factor *f, const rp_study *s, int k, int *n, int *fail) {
    *n = *fail = 0;
    for (size_t j = 0; j < s->n_trials; j++) {
        const rp_trial *t = &s->trials[j];
        if (nl_counted(t) && nl_bin_of(&f->bins, factor_value(f, s, t)) == k) (*n)++, *fail += nl_failed(t);
    }
}

/* ---- diagnostics ---- */



/*
 * Label of a parameter layer ("INDEX:TOKEN" in the diagnostics): its token, plus
 * " #k" (its occurrence among layers with that token) when the token is not
 * unique — the seed CNN has two conv64k3 layers.
 */
static void param_label(const cJSON *param_layers, const cJSON *item, char *out, size_t n) {
    const char *colon = cJSON_IsString(item) ? strchr(item->valuestring, ':') : NULL;
    if (!colon) {
        snprintf(out, n, "?");
        return;
    }
    int same = 0, rank = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, param_layers) {
        const char *c = cJSON_IsString(it) ? strchr(it->valuestring, ':') : NULL;
        if (!c || strcmp(c, colon)) continue;
        same++;
        if (it == item) rank = same;
    }
    if (same > 1) snprintf(out, n, "%s #%d", colon + 1, rank);
    else snprintf(out, n, "%s", colon + 1);
}

/* Label of the parameter layer just before layer index `idx` (what a ReLU/sigmoid follows). */
static void layer_before(const cJSON *param_layers, int idx, char *out, size_t n, ol_report_lang lang) {
    snprintf(out, n, nl_t(lang, NL_T_LAYER_X), idx);
    const cJSON *it;
    cJSON_ArrayForEach(it, param_layers) {
        if (cJSON_IsString(it) && atoi(it->valuestring) < idx) param_label(param_layers, it, out, n);
    }
}

/* Measure names (in `lang`) from one trial's diagnostics; 0 if it has none usable. */
static int measures_of(const cJSON *root, nl_measures *m, ol_report_lang lang) {
    m->n = 0;
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(root, "param_layers");
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(root, "relu_layers");
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(root, "sigmoid_layers");
    if (!cJSON_IsArray(pl) || !cJSON_IsArray(rl) || !cJSON_IsArray(sl)) return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, rl) {
        if (m->n >= NL_MAX_MEASURES) break;
        char *after = m->layer[m->n];
        layer_before(pl, cJSON_IsString(it) ? atoi(it->valuestring) : 0, after, sizeof m->layer[0], lang);
        snprintf(m->name[m->n], 96, nl_t(lang, NL_T_DEAD_RELU_UNITS_AFTER_X), after);
        m->is_fraction[m->n++] = 1;
    }
    cJSON_ArrayForEach(it, sl) {
        if (m->n >= NL_MAX_MEASURES) break;
        char *after = m->layer[m->n];
        layer_before(pl, cJSON_IsString(it) ? atoi(it->valuestring) : 0, after, sizeof m->layer[0], lang);
        snprintf(m->name[m->n], 96, nl_t(lang, NL_T_SATURATED_SIGMOID_OUTPUTS_AFTER_X), after);
        m->is_fraction[m->n++] = 1;
    }
    cJSON_ArrayForEach(it, pl) {
        if (m->n >= NL_MAX_MEASURES) break;
        char *label = m->layer[m->n];
        param_label(pl, it, label, sizeof m->layer[0]);
        snprintf(m->name[m->n], 96, nl_t(lang, NL_T_GRADIENT_NORM_OF_X), label);
        m->is_fraction[m->n++] = 0;
    }
    if (m->n < NL_MAX_MEASURES)
        snprintf(m->name[m->n], 96, nl_t(lang, NL_T_GRADIENT_NORM_ALL_LAYERS)),
            m->layer[m->n][0] = '\0', m->is_fraction[m->n++] = 0;
    if (m->n < NL_MAX_MEASURES)
        snprintf(m->name[m->n], 96, nl_t(lang, NL_T_LOSS_ON_THE_BATCH)), m->layer[m->n][0] = '\0',
            m->is_fraction[m->n++] = 0;
    return m->n;
}

/* Values of the measures (order of measures_of) after epoch key `epoch`; 0 if the trial lacks it. */
static int values_of(const cJSON *root, int epoch, const nl_measures *m, double *out) {
    char key[24];
    snprintf(key, sizeof key, "epoch%d", epoch);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsObject(e)) return 0;
    int k = 0;
    const char *arrays[] = {"dead_relu", "saturated_sigmoid", "grad_norm"};
    for (int a = 0; a < 3; a++) {
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(e, arrays[a]), *it;
        cJSON_ArrayForEach(it, arr) if (k < m->n - 2) out[k++] = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    }
    if (k != m->n - 2) return 0; /* another model's layout */
    const cJSON *tot = cJSON_GetObjectItemCaseSensitive(e, "grad_norm_total");
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(e, "loss");
    out[k++] = cJSON_IsNumber(tot) ? tot->valuedouble : NAN;
    out[k++] = cJSON_IsNumber(loss) ? loss->valuedouble : NAN;
    return 1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double nl_median(double *v, int n) {
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) v[m++] = v[i];
    if (!m) return NAN;
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* Medians per measure and epoch for healthy (g = 0) and never-learned (g = 1) trials of a study. */


int nl_study_diag(const rp_study *s, nl_diag *d, ol_report_lang lang) {
    memset(d, 0, sizeof *d);
    double *vals = calloc(s->n_trials * NL_MAX_MEASURES + 1, sizeof *vals);
    char *has = calloc(s->n_trials + 1, 1);
    cJSON **roots = calloc(s->n_trials + 1, sizeof *roots);
    int ok = vals && has && roots;
    for (size_t j = 0; ok && j < s->n_trials; j++) {
        roots[j] = s->trials[j].diagnostics ? cJSON_Parse(s->trials[j].diagnostics) : NULL;
        if (roots[j] && !d->m.n) measures_of(roots[j], &d->m, lang);
    }
    int any = 0;
    for (int e = 0; ok && d->m.n && e < NL_EPOCHS; e++)
        for (int g = 0; g < 2; g++) {
            int n = 0;
            for (size_t j = 0; j < s->n_trials; j++) {
                const rp_trial *t = &s->trials[j];
                if (!roots[j] || t->outcome != (g ? RP_NEVER_LEARNED : RP_OK)) continue;
                if (values_of(roots[j], e, &d->m, vals + (size_t)n * NL_MAX_MEASURES)) n++;
            }
            d->n[e][g] = n;
            any |= n > 0;
            double *col = malloc(((size_t)n + 1) * sizeof *col);
            for (int k = 0; col && k < d->m.n; k++) {
                for (int i = 0; i < n; i++) col[i] = vals[(size_t)i * NL_MAX_MEASURES + k];
                d->med[e][g][k] = nl_median(col, n);
            }
            free(col);
        }
    for (size_t j = 0; roots && j < s->n_trials; j++) cJSON_Delete(roots[j]);
    free(roots), free(has), free(vals);
    return any;
}

