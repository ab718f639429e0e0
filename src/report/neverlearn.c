/*
 * neverlearn.c — the report's "Trials that never learn" section (issue 7,
 * question 3): how often trials end stuck (status never_learned) or diverge,
 * against the learning rate, the weight decay, their product and the loss,
 * and what the first epochs' diagnostics (attribute "diagnostics", written
 * by `optlab run`, docs/never-learn.md) look like in failed against healthy
 * trials.
 *
 * Which factor explains the failures is computed, never written in advance:
 * for each factor the trials are grouped (decades of a log-searched value,
 * quarters of a linear one, one group per loss) and the share of the
 * variance of the 0/1 failure indicator that the groups' rates account for
 * is its η² (the correlation ratio: Σ n_g (p_g − p)² / (N p (1 − p))), 0 when
 * the rate is the same in every group, 1 when the groups separate failed from
 * healthy trials exactly. The text ranks the factors by it.
 *
 * Reads only the loaded model (report_internal.h); figures go through the
 * same files-and-gnuplot path as figures.c (NAME.dat, NAME.gp, listed in
 * redraw-all.gp).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/conventions.h"
#include "report_internal.h"

#define KO(lang) ((lang) == OL_REPORT_KO)
#define NL_MAX_BINS 16
#define NL_MAX_MEASURES 48
#define NL_EPOCHS OL_DIAG_EPOCHS /* diagnostics keys epoch0, epoch1 (optlab/conventions.h) */
/* a bin of fewer trials is shown but not used for the text's "from .. to" rates */
#define NL_MIN_BIN 5

static const char *C_SERIES[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                                 "#56B4E9", "#000000", "#F0E442", "#7f7f7f", "#882255"};

/* ---- outcomes ---- */

static int counted(const rp_trial *t) {
    return t->outcome == RP_OK || t->outcome == RP_NEVER_LEARNED || t->outcome == RP_DIVERGED;
}
static int failed(const rp_trial *t) { return t->outcome == RP_NEVER_LEARNED || t->outcome == RP_DIVERGED; }

static int param_index(const rp_study *s, const char *name) {
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

typedef struct {
    int n_bins;
    int log_scale;
    double edge[NL_MAX_BINS + 1];
} nl_bins;

/* Decades for a log range (quarters of a decade range shorter than 2 decades), quarters for a linear one. */
static void make_bins(nl_bins *b, double low, double high, int log_scale) {
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

static int bin_of(const nl_bins *b, double v) {
    if (!isfinite(v)) return -1;
    for (int k = 0; k < b->n_bins; k++)
        if (v < b->edge[k + 1] || k == b->n_bins - 1) return v >= b->edge[0] * (1 - 1e-12) ? k : -1;
    return -1;
}

static double bin_centre(const nl_bins *b, int k) {
    return b->log_scale ? sqrt(b->edge[k] * b->edge[k + 1]) : 0.5 * (b->edge[k] + b->edge[k + 1]);
}

/* A factor: value of a trial (NAN = not in the factor's trials). */
typedef enum { NL_PARAM, NL_PRODUCT, NL_LOSS, NL_STUDY } nl_kind;

typedef struct {
    nl_kind kind;
    const char *name;  /* parameter name, or "lr×wd" / "loss" */
    nl_bins bins;
    int n[NL_MAX_BINS], fail[NL_MAX_BINS];
    char group[NL_MAX_BINS][64]; /* NL_LOSS: the losses; NL_STUDY: the studies' labels */
    int N, F;
    double eta2;
} nl_factor;

static double trial_param(const rp_study *s, const rp_trial *t, const char *name) {
    int p = param_index(s, name);
    return p < 0 ? NAN : t->params[p];
}

static double factor_value(const nl_factor *f, const rp_study *s, const rp_trial *t) {
    if (f->kind == NL_PARAM) return trial_param(s, t, f->name);
    return trial_param(s, t, "learning_rate") * trial_param(s, t, "weight_decay");
}

static void factor_eta2(nl_factor *f, int n_groups) {
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
static int build_factor(nl_factor *f, const rp_experiment *ex) {
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
                if (counted(&s->trials[j])) f->n[g]++, f->fail[g] += failed(&s->trials[j]);
        }
        factor_eta2(f, groups);
        return groups >= 2;
    }
    /* range: the union of the studies' distributions (product: observed min..max) */
    double lo = INFINITY, hi = -INFINITY;
    int log_scale = 1, found = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (f->kind == NL_PARAM) {
            int p = param_index(s, f->name);
            if (p < 0 || s->params[p].categorical) continue;
            /* the union of the studies' ranges: optimizers may search different decades */
            if (!found) log_scale = s->params[p].log_scale;
            lo = fmin(lo, s->params[p].low), hi = fmax(hi, s->params[p].high);
            found = 1;
        } else {
            if (param_index(s, "learning_rate") < 0 || param_index(s, "weight_decay") < 0) continue;
            for (size_t j = 0; j < s->n_trials; j++) {
                double v = factor_value(f, s, &s->trials[j]);
                if (isfinite(v) && v > 0) lo = fmin(lo, v), hi = fmax(hi, v), found = 1;
            }
        }
    }
    if (!found || !(hi > lo)) return 0;
    make_bins(&f->bins, lo, hi, log_scale);
    memset(f->n, 0, sizeof f->n), memset(f->fail, 0, sizeof f->fail);
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        for (size_t j = 0; j < s->n_trials; j++) {
            const rp_trial *t = &s->trials[j];
            int k = counted(t) ? bin_of(&f->bins, factor_value(f, s, t)) : -1;
            if (k >= 0) f->n[k]++, f->fail[k] += failed(t);
        }
    }
    factor_eta2(f, f->bins.n_bins);
    return 1;
}

/* Rate of one study in bin k of a factor. */
static void study_bin(const nl_factor *f, const rp_study *s, int k, int *n, int *fail) {
    *n = *fail = 0;
    for (size_t j = 0; j < s->n_trials; j++) {
        const rp_trial *t = &s->trials[j];
        if (counted(t) && bin_of(&f->bins, factor_value(f, s, t)) == k) (*n)++, *fail += failed(t);
    }
}

static void fmt_bound(char *out, size_t n, double v) { rp_format_bound(out, n, v); }

/* A factor's name in running text and table headers; hyperparameters keep the names the rest of
   the report gives them (English in both languages, as the seed note writes them). */
static const char *factor_label(const nl_factor *f, ol_report_lang lang) {
    if (f->kind == NL_LOSS) return KO(lang) ? "손실 함수" : "loss";
    if (f->kind == NL_STUDY) return KO(lang) ? "Optimizer (Study)" : "optimizer (study)";
    if (f->kind == NL_PRODUCT) return "learning rate × weight decay";
    return rp_param_label(f->name);
}

/* ---- diagnostics ---- */

typedef struct {
    int n;
    char name[NL_MAX_MEASURES][96];  /* in the report's language */
    char layer[NL_MAX_MEASURES][48]; /* the layer a per-layer measure is about ("" for the totals) */
    int is_fraction[NL_MAX_MEASURES];
} nl_measures;

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
    snprintf(out, n, KO(lang) ? "레이어 %d" : "layer %d", idx);
    const cJSON *it;
    cJSON_ArrayForEach(it, param_layers) {
        if (cJSON_IsString(it) && atoi(it->valuestring) < idx) param_label(param_layers, it, out, n);
    }
}

/* Measure names (in `lang`) from one trial's diagnostics; 0 if it has none usable. */
static int measures_of(const cJSON *root, nl_measures *m, ol_report_lang lang) {
    int ko = KO(lang);
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
        snprintf(m->name[m->n], 96, ko ? "%s 뒤의 죽은 ReLU 유닛" : "dead ReLU units after %s", after);
        m->is_fraction[m->n++] = 1;
    }
    cJSON_ArrayForEach(it, sl) {
        if (m->n >= NL_MAX_MEASURES) break;
        char *after = m->layer[m->n];
        layer_before(pl, cJSON_IsString(it) ? atoi(it->valuestring) : 0, after, sizeof m->layer[0], lang);
        snprintf(m->name[m->n], 96, ko ? "%s 뒤의 포화된 sigmoid 출력" : "saturated sigmoid outputs after %s", after);
        m->is_fraction[m->n++] = 1;
    }
    cJSON_ArrayForEach(it, pl) {
        if (m->n >= NL_MAX_MEASURES) break;
        char *label = m->layer[m->n];
        param_label(pl, it, label, sizeof m->layer[0]);
        snprintf(m->name[m->n], 96, ko ? "%s 의 gradient norm" : "gradient norm of %s", label);
        m->is_fraction[m->n++] = 0;
    }
    if (m->n < NL_MAX_MEASURES)
        snprintf(m->name[m->n], 96, ko ? "전체 레이어의 gradient norm" : "gradient norm, all layers"),
            m->layer[m->n][0] = '\0', m->is_fraction[m->n++] = 0;
    if (m->n < NL_MAX_MEASURES)
        snprintf(m->name[m->n], 96, ko ? "batch 의 손실" : "loss on the batch"), m->layer[m->n][0] = '\0',
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

static double median(double *v, int n) {
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) v[m++] = v[i];
    if (!m) return NAN;
    qsort(v, (size_t)m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

/* Medians per measure and epoch for healthy (g = 0) and never-learned (g = 1) trials of a study. */
typedef struct {
    nl_measures m;
    double med[NL_EPOCHS][2][NL_MAX_MEASURES];
    int n[NL_EPOCHS][2];
} nl_diag;

static int study_diag(const rp_study *s, nl_diag *d, ol_report_lang lang) {
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
                d->med[e][g][k] = median(col, n);
            }
            free(col);
        }
    for (size_t j = 0; roots && j < s->n_trials; j++) cJSON_Delete(roots[j]);
    free(roots), free(has), free(vals);
    return any;
}

static void fmt_measure(char *out, size_t n, double v, int fraction) {
    if (!isfinite(v)) snprintf(out, n, "–");
    else if (fraction) snprintf(out, n, "%.1f %%", 100 * v);
    else if (v != 0 && (fabs(v) < 1e-3 || fabs(v) >= 1e4)) snprintf(out, n, "%.2e", v);
    else snprintf(out, n, "%.4g", v);
}

/* ---- the section ---- */

static void rate_cell(rp_buf *b, int n, int fail) {
    if (!n) rp_printf(b, " – |");
    else rp_printf(b, " %.0f %% (%d/%d) |", 100.0 * fail / n, fail, n);
}

static void factor_table(rp_buf *b, const rp_experiment *ex, const nl_factor *f, ol_report_lang lang) {
    rp_printf(b, "| %s |", factor_label(f, lang));
    int cols = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (f->kind == NL_PARAM && param_index(s, f->name) < 0) continue;
        if (f->kind == NL_PRODUCT && (param_index(s, "learning_rate") < 0 || param_index(s, "weight_decay") < 0))
            continue;
        rp_printf(b, " %s |", s->label);
        cols++;
    }
    rp_printf(b, " %s |\n|---|", KO(lang) ? "전체" : "all");
    for (int c = 0; c <= cols; c++) rp_printf(b, "---:|");
    rp_printf(b, "\n");
    for (int k = 0; k < f->bins.n_bins; k++) {
        char lo[32], hi[32];
        fmt_bound(lo, sizeof lo, f->bins.edge[k]);
        fmt_bound(hi, sizeof hi, f->bins.edge[k + 1]);
        rp_printf(b, "| [%s, %s%s |", lo, hi, k == f->bins.n_bins - 1 ? "]" : ")");
        for (size_t i = 0; i < ex->n_studies; i++) {
            const rp_study *s = &ex->studies[i];
            if (f->kind == NL_PARAM && param_index(s, f->name) < 0) continue;
            if (f->kind == NL_PRODUCT && (param_index(s, "learning_rate") < 0 || param_index(s, "weight_decay") < 0))
                continue;
            int n, fl;
            study_bin(f, s, k, &n, &fl);
            rate_cell(b, n, fl);
        }
        rate_cell(b, f->n[k], f->fail[k]);
        rp_printf(b, "\n");
    }
    rp_printf(b, "\n");
}

static void eta_text(char *out, size_t n, double eta2) {
    if (isfinite(eta2)) snprintf(out, n, "%.2f", eta2);
    else snprintf(out, n, "–");
}

void rp_write_never_learn(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    nl_factor factors[5];
    int nf = 0;
    const char *names[] = {"learning_rate", "weight_decay"};
    for (int k = 0; k < 2; k++) {
        memset(&factors[nf], 0, sizeof factors[nf]);
        factors[nf].kind = NL_PARAM, factors[nf].name = names[k];
        if (build_factor(&factors[nf], ex)) nf++;
    }
    int have_lr = nf > 0 && factors[0].kind == NL_PARAM && !strcmp(factors[0].name, "learning_rate");
    memset(&factors[nf], 0, sizeof factors[nf]);
    factors[nf].kind = NL_PRODUCT, factors[nf].name = "lr×wd";
    if (build_factor(&factors[nf], ex)) nf++;
    memset(&factors[nf], 0, sizeof factors[nf]);
    factors[nf].kind = NL_LOSS, factors[nf].name = "loss";
    if (build_factor(&factors[nf], ex)) nf++;
    /* the optimizers themselves, when the studies differ by more than their loss (pooling
       the learning rates of different optimizers mixes their scales: this factor shows it) */
    size_t n_losses = 0; /* distinct losses among the studies */
    for (size_t i = 0; i < ex->n_studies; i++) {
        int seen = 0;
        for (size_t k = 0; k < i; k++)
            seen |= (ex->studies[i].loss && ex->studies[k].loss && !strcmp(ex->studies[i].loss, ex->studies[k].loss)) ||
                    (!ex->studies[i].loss && !ex->studies[k].loss);
        n_losses += !seen;
    }
    if (n_losses < ex->n_studies) {
        memset(&factors[nf], 0, sizeof factors[nf]);
        factors[nf].kind = NL_STUDY, factors[nf].name = "study";
        if (build_factor(&factors[nf], ex)) nf++;
    }

    int N = 0, F = 0, never = 0, diverged = 0;
    for (size_t i = 0; i < ex->n_studies; i++)
        for (size_t j = 0; j < ex->studies[i].n_trials; j++) {
            const rp_trial *t = &ex->studies[i].trials[j];
            if (!counted(t)) continue;
            N++, F += failed(t), never += t->outcome == RP_NEVER_LEARNED, diverged += t->outcome == RP_DIVERGED;
        }
    if (ko)
        rp_printf(b,
                  "Trial 이 *학습에 실패했다* 는 것은 학습이 한 Class 에 멈춘 채 끝났거나 (상태 `never_learned`: "
                  "Valid 정확도 (Epoch 단위) 의 최고값이 항상 가장 많은 Class 로 답했을 때의 정확도와 1 %%p 이내) "
                  "발산한 (NaN/Inf) 경우를 말한다. 끝난 Trial %d 개 (정상 완료, 학습 안 됨, 발산) 중 %d 개 (%.0f %%) "
                  "가 실패했다: 학습 안 됨 %d 개, 발산 %d 개.\n\n",
                  N, F, N ? 100.0 * F / N : 0.0, never, diverged);
    else
        rp_printf(b,
                  "A trial *fails to learn* when it ends stuck (status `never_learned`: its best valid-epoch accuracy "
                  "is within one point of always answering the most frequent class) or diverges (NaN/Inf). "
                  "Of %d finished trials, %d failed (%.0f %%): %d never learned, %d diverged.\n\n",
                  N, F, N ? 100.0 * F / N : 0.0, never, diverged);

    /* the factors, ranked */
    int order[5];
    for (int k = 0; k < nf; k++) order[k] = k;
    /* η² of factors measured on different trials do not compare: a factor that only some studies
       searched (weight decay, lr × wd in a multi-optimizer experiment) ranks after the full ones */
#define NL_KEY(f) ((f).N == N ? 2.0 : 0.0) + (isfinite((f).eta2) ? (f).eta2 : -1)
    for (int a = 0; a < nf; a++)
        for (int c = a + 1; c < nf; c++) {
            double ea = NL_KEY(factors[order[a]]);
            double ec = NL_KEY(factors[order[c]]);
            if (ec > ea) {
                int tmp = order[a];
                order[a] = order[c], order[c] = tmp;
            }
        }
    if (nf > 0 && F > 0 && F < N) {
        rp_printf(b, ko ? "**무엇이 실패를 설명하는가.** 요인마다 Trial 을 그룹으로 나누고 (로그 스케일로 탐색한 값은 "
                          "10 배 구간별로, 손실 함수는 종류별로), 실패/정상을 나타내는 0/1 지표의 분산 중 그룹별 "
                          "실패율이 설명하는 비율을 η² 로 구했다 (0: 모든 그룹의 실패율이 같음, 1: 그룹이 실패한 "
                          "Trial 과 정상 Trial 을 정확히 가름):"
                        : "**What explains the failures.** For each factor the trials are grouped (decades of a "
                          "log-searched value, one group per loss) and η² is the share of the variance of the "
                          "failed/healthy indicator that the groups' failure rates account for (0: the same rate in "
                          "every group; 1: the groups separate failed from healthy trials exactly):");
        for (int a = 0; a < nf; a++) {
            char e[16];
            eta_text(e, sizeof e, factors[order[a]].eta2);
            rp_printf(b, "%s %s %s", a ? "," : "", factor_label(&factors[order[a]], lang), e);
            if (factors[order[a]].N != N)
                rp_printf(b, ko ? " (이를 탐색한 Trial %d 개만 대상)" : " (only the %d trials that searched it)",
                          factors[order[a]].N);
        }
        rp_printf(b, ".");
        const nl_factor *top = &factors[order[0]];
        double second = nf > 1 && factors[order[1]].N == top->N && isfinite(factors[order[1]].eta2)
                            ? factors[order[1]].eta2 : 0;
        if (!isfinite(top->eta2) || top->eta2 < 0.05) {
            rp_printf(b, ko ? " 실패를 설명하는 요인은 없다: 가장 큰 η² 도 0.05 미만이며, 모든 그룹에서 실패율이 거의 "
                              "같다.\n\n"
                            : " No factor explains the failures: the largest η² is below 0.05, the failure rate is "
                              "about the same in every group.\n\n");
        } else {
            rp_printf(b, ko ? " **실패를 가장 잘 설명하는 요인은 %s 이다**" : " **The %s explains the failures best**",
                      factor_label(top, lang));
            if (second > 0 && top->eta2 < 1.5 * second)
                rp_printf(b, ko ? " (근소한 차이로 그다음은 %s)" : " (closely followed by the %s)",
                          factor_label(&factors[order[1]], lang));
            /* the lowest and highest rate among groups with enough trials */
            int lo = -1, hi = -1, groups = top->kind >= NL_LOSS ? NL_MAX_BINS : top->bins.n_bins;
            for (int k = 0; k < groups; k++) {
                if (top->n[k] < NL_MIN_BIN) continue;
                double r = (double)top->fail[k] / top->n[k];
                if (lo < 0 || r < (double)top->fail[lo] / top->n[lo]) lo = k;
                if (hi < 0 || r > (double)top->fail[hi] / top->n[hi]) hi = k;
            }
            if (lo >= 0 && hi >= 0 && lo != hi) {
                char glo[80], ghi[80];
                for (int w = 0; w < 2; w++) {
                    int k = w ? hi : lo;
                    char *g = w ? ghi : glo;
                    /* Korean: a group names its trials ("… 인 Trial"), so the sentence needs no particle
                       after a label whose pronunciation it cannot know */
                    if (top->kind == NL_LOSS)
                        snprintf(g, 80, ko ? "손실 함수가 %s 인 Trial" : "the %s loss", top->group[k]);
                    else if (top->kind == NL_STUDY) snprintf(g, 80, ko ? "%s 의 Trial" : "%s", top->group[k]);
                    else {
                        char x[32], y[32];
                        fmt_bound(x, sizeof x, top->bins.edge[k]);
                        fmt_bound(y, sizeof y, top->bins.edge[k + 1]);
                        snprintf(g, 80, ko ? "%s ∈ [%s, %s] 인 Trial" : "%s in [%s, %s]", factor_label(top, lang), x, y);
                    }
                }
                if (ko)
                    rp_printf(b, ". %s 중 %.0f %% 가 실패한 반면, %s 중에서는 %.0f %% 가 실패했다", ghi,
                              100.0 * top->fail[hi] / top->n[hi], glo, 100.0 * top->fail[lo] / top->n[lo]);
                else
                    rp_printf(b, ": %.0f %% of trials fail with %s against %.0f %% with %s",
                              100.0 * top->fail[hi] / top->n[hi], ghi, 100.0 * top->fail[lo] / top->n[lo], glo);
            }
            rp_printf(b, ".");
            /* the loss: paired comparison when two studies differ only in their loss */
            rp_printf(b, "\n\n");
        }
    }
    /* paired loss comparison: studies of one optimizer with different losses share trial numbers' draws */
    for (size_t i = 0; i < ex->n_studies; i++)
        for (size_t k = i + 1; k < ex->n_studies; k++) {
            const rp_study *a = &ex->studies[i], *c = &ex->studies[k];
            if (!a->loss || !c->loss || !strcmp(a->loss, c->loss)) continue;
            int only_a = 0, only_c = 0, both = 0, pairs = 0;
            for (size_t x = 0; x < a->n_trials; x++)
                for (size_t y = 0; y < c->n_trials; y++) {
                    const rp_trial *ta = &a->trials[x], *tc = &c->trials[y];
                    if (ta->number != tc->number || !counted(ta) || !counted(tc)) continue;
                    pairs++;
                    if (failed(ta) && failed(tc)) both++;
                    else if (failed(ta)) only_a++;
                    else if (failed(tc)) only_c++;
                }
            if (pairs && ko)
                rp_printf(b,
                          "Trial 번호로 짝지은 비교, %s 대 %s (두 Study 가 시드를 공유하면 같은 번호의 Trial 은 "
                          "하이퍼파라미터 추출값과 초기 가중치가 같다): %d 쌍 중 둘 다 실패 %d, %s 만 실패 %d, "
                          "%s 만 실패 %d.\n\n",
                          a->label, c->label, pairs, both, a->label, only_a, c->label, only_c);
            else if (pairs)
                rp_printf(b,
                          "Paired by trial number (the same draw of hyperparameters and the same initial weights when "
                          "both studies share the seed), %s and %s: %d pairs; both failed %d, only %s %d, only %s "
                          "%d.\n\n",
                          a->label, c->label, pairs, both, a->label, only_a, c->label, only_c);
        }
    for (int k = 0; k < nf; k++) {
        if (factors[k].kind >= NL_LOSS) continue;
        rp_printf(b, ko ? "%s 구간별 실패율 (구간마다 실패한 Trial / 끝난 Trial):\n\n"
                        : "Failure rate against the %s (failed/finished trials per range):\n\n",
                  factor_label(&factors[k], lang));
        factor_table(b, ex, &factors[k], lang);
        if (factors[k].kind == NL_PARAM) {
            char slug[64];
            rp_slug(slug, sizeof slug, factors[k].name);
            rp_printf(b, ko ? "![%s 구간별 실패율](figures/nl-rate-%s.png)\n\n"
                            : "![failure rate against %s](figures/nl-rate-%s.png)\n\n",
                      factor_label(&factors[k], lang), slug);
        }
    }
    if (have_lr) {
        for (size_t i = 0; i < ex->n_studies; i++) {
            const rp_study *s = &ex->studies[i];
            if (param_index(s, "learning_rate") < 0 || param_index(s, "weight_decay") < 0) continue;
            rp_printf(b, ko ? "![%s: learning rate × weight decay, 실패한 Trial 표시](figures/nl-scatter-%s.png)\n\n"
                            : "![%s: learning rate × weight decay, failed trials marked](figures/nl-scatter-%s.png)\n\n",
                      s->label, s->slug);
        }
    }

    /* diagnostics of failed against healthy trials */
    int any_diag = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (!s->counts[RP_NEVER_LEARNED]) continue;
        nl_diag *d = malloc(sizeof *d);
        if (!d) continue;
        if (!study_diag(s, d, lang) || !d->n[0][1]) {
            free(d);
            continue;
        }
        if (!any_diag)
            rp_printf(b, ko ? "**초기 Epoch 의 진단값** (속성 `diagnostics`, Epoch 1 과 2 가 끝난 뒤 고정된 학습 이미지 "
                              "batch 하나로 측정): 정상 (`ok`) Trial 과 학습 안 된 Trial 각각의 중앙값. batch 의 어떤 "
                              "이미지에도 활성화되지 않는 ReLU 유닛을 *죽은 (dead)* 유닛이라 하고, sigmoid 출력이 0.01 "
                              "미만이거나 0.99 초과이면 *포화 (saturated)* 되었다고 한다 (이때 기울기 y(1−y) 는 0.0099 "
                              "미만).\n\n"
                            : "**Diagnostics of the first epochs** (attribute `diagnostics`, measured on one fixed "
                              "batch of training images after epochs 1 and 2): medians over healthy (`ok`) and "
                              "never-learned trials. A ReLU unit is *dead* when no image of the batch activates it; a "
                              "sigmoid output is *saturated* below 0.01 or above 0.99 (its slope y(1−y) is then under "
                              "0.0099).\n\n");
        any_diag = 1;
        rp_printf(b, ko ? "%s:\n\n| 측정값 | 정상, Epoch 1 (n=%d) | 학습 안 됨, Epoch 1 (n=%d) | 정상, Epoch 2 (n=%d) | "
                          "학습 안 됨, Epoch 2 (n=%d) |\n|---|---:|---:|---:|---:|\n"
                        : "%s:\n\n| measure | healthy, epoch 1 (n=%d) | never learned, epoch 1 (n=%d) | healthy, "
                          "epoch 2 (n=%d) | never learned, epoch 2 (n=%d) |\n|---|---:|---:|---:|---:|\n",
                  s->label, d->n[0][0], d->n[0][1], d->n[1][0], d->n[1][1]);
        int big = -1;
        double big_diff = 0;
        for (int k = 0; k < d->m.n; k++) {
            rp_printf(b, "| %s |", d->m.name[k]);
            for (int e = 0; e < NL_EPOCHS; e++)
                for (int g = 0; g < 2; g++) {
                    char v[32];
                    fmt_measure(v, sizeof v, d->med[e][g][k], d->m.is_fraction[k]);
                    rp_printf(b, " %s |", v);
                }
            rp_printf(b, "\n");
            double diff = fabs(d->med[0][1][k] - d->med[0][0][k]);
            if (d->m.is_fraction[k] && isfinite(diff) && diff > big_diff) big_diff = diff, big = k;
        }
        rp_printf(b, "\n");
        int tot = d->m.n - 2; /* "gradient norm, all layers" */
        double gh = d->med[0][0][tot], gf = d->med[0][1][tot];
        if (d->n[0][0] && isfinite(gh) && isfinite(gf) && gh > 0) {
            if (ko)
                rp_printf(b, "Epoch 1 뒤 학습 안 된 Trial 의 전체 gradient norm 은 정상 Trial 의 %.2g× 이다 "
                             "(중앙값: 학습 안 됨 %.3g, 정상 %.3g)",
                          gf / gh, gf, gh);
            else
                rp_printf(b, "After epoch 1 the never-learned trials' total gradient norm is %.2g× the healthy "
                             "trials' (median %.3g against %.3g)",
                          gf / gh, gf, gh);
            if (big >= 0) {
                char x[32], y[32];
                fmt_measure(x, sizeof x, d->med[0][1][big], 1);
                fmt_measure(y, sizeof y, d->med[0][0][big], 1);
                rp_printf(b, ko ? "; 비율 측정값 중 차이가 가장 큰 것은 %s 이다 (학습 안 됨 %s, 정상 %s)"
                                : "; the largest difference among the fractions is in %s: %s against %s",
                          d->m.name[big], x, y);
            }
            rp_printf(b, ".");
            /* layers whose gradient all but vanished in the never-learned trials */
            int first = 1;
            for (int k = 0; k < tot; k++) {
                if (d->m.is_fraction[k]) continue;
                double h = d->med[0][0][k], f = d->med[0][1][k];
                if (!(isfinite(h) && isfinite(f) && h > 0 && f < 0.01 * h)) continue;
                rp_printf(b, "%s%s",
                          !first ? ", "
                          : ko   ? " gradient 가 정상 Trial 중앙값의 1 % 미만인 레이어: "
                                 : " Gradients below 1 % of the healthy trials' median reach: ",
                          d->m.layer[k]);
                first = 0;
            }
            if (!first) rp_printf(b, ko ? " — 이 레이어들은 더 이상 학습되지 않는다." : " — those layers no longer learn.");
            rp_printf(b, "\n\n");
        }
        free(d);
    }
}

/* ---- figures ---- */

static ol_status nl_write(const char *dir, const char *name, const char *ext, const rp_buf *b, ol_error *err) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    if (b->failed) return ol_fail(err, OL_ENOMEM, "out of memory writing %s", path);
    FILE *f = fopen(path, "w");
    if (!f) return ol_fail(err, OL_EIO, "cannot create %s: %s", path, strerror(errno));
    int bad = b->len && fwrite(b->s, 1, b->len, f) != b->len;
    if (fclose(f) != 0) bad = 1;
    return bad ? ol_fail(err, OL_EIO, "cannot write %s: %s", path, strerror(errno)) : OL_OK;
}

static void nl_preamble(rp_buf *gp, const char *name, const char *what, ol_report_lang lang, int n_keys) {
    rp_printf(gp,
              "# %s.gp — %s.\n"
              "# Draws %s.png and %s.svg from %s.dat: run `gnuplot %s.gp` in this directory.\n"
              "# Written by `optlab report` (neverlearn.c); edit freely (colours: Okabe–Ito).\n"
              "set encoding utf8\n"
              "font = \"%s,13\"\n"
              "set terminal pngcairo size 800,500 noenhanced font font linewidth 1.2\n"
              "set output \"%s.png\"\n"
              "set grid lc rgb \"#d9d9d9\" lw 1\n"
              "set key at screen 0.5, screen 0.015 center bottom horizontal Left reverse samplen 2 width 2 maxcols 3\n"
              "set bmargin %s\n"
              "set tics out nomirror\n"
              "set datafile missing \"NaN\"\n",
              name, what, name, name, name, name, KO(lang) ? "Noto Sans CJK KR" : "DejaVu Sans", name,
              n_keys > 3 ? "8.5" : "6");
}

static void nl_postamble(rp_buf *gp, const char *name) {
    rp_printf(gp,
              "set terminal svg size 800,500 noenhanced font font linewidth 1.2 background \"white\"\n"
              "set output \"%s.svg\"\nreplot\nunset output\n",
              name);
}

static ol_status nl_emit(const char *dir, const char *name, rp_buf *dat, rp_buf *gp, rp_buf *all, int *n_fig,
                         ol_error *err) {
    ol_status rc = nl_write(dir, name, "dat", dat, err);
    if (!rc) rc = nl_write(dir, name, "gp", gp, err);
    if (!rc) rp_printf(all, "reset session\nload \"%s.gp\"\n", name), (*n_fig)++;
    rp_buf_free(dat);
    rp_buf_free(gp);
    return rc;
}

static ol_status rate_figure(const rp_experiment *ex, const nl_factor *f, ol_report_lang lang, const char *dir,
                             rp_buf *all, int *n_fig, ol_error *err) {
    char slug[64], name[96];
    rp_slug(slug, sizeof slug, f->name);
    snprintf(name, sizeof name, "nl-rate-%s", slug);
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# failure rate (never learned or diverged) per range of %s\n# bin_low bin_high centre", f->name);
    int cols[64], nc = 0;
    for (size_t i = 0; i < ex->n_studies && nc < 64; i++)
        if (param_index(&ex->studies[i], f->name) >= 0) {
            cols[nc++] = (int)i;
            rp_printf(&dat, " rate_%s n_%s", ex->studies[i].slug, ex->studies[i].slug);
        }
    rp_printf(&dat, " rate_all n_all\n");
    for (int k = 0; k < f->bins.n_bins; k++) {
        rp_printf(&dat, "%.6g %.6g %.6g", f->bins.edge[k], f->bins.edge[k + 1], bin_centre(&f->bins, k));
        for (int c = 0; c < nc; c++) {
            int n, fl;
            study_bin(f, &ex->studies[cols[c]], k, &n, &fl);
            if (n) rp_printf(&dat, " %.4f %d", 100.0 * fl / n, n);
            else rp_printf(&dat, " NaN 0");
        }
        if (f->n[k]) rp_printf(&dat, " %.4f %d\n", 100.0 * f->fail[k] / f->n[k], f->n[k]);
        else rp_printf(&dat, " NaN 0\n");
    }
    char what[160];
    snprintf(what, sizeof what, "failure rate against %s", rp_param_label(f->name));
    nl_preamble(&gp, name, what, lang, nc + 1);
    /* the scripts' comments stay English (as figures.c's); what the figure shows follows the report */
    int ko = KO(lang);
    rp_printf(&gp, ko ? "set title \"%s 구간별 학습에 실패한 Trial\"\n" : "set title \"Trials that fail to learn, by %s\"\n",
              rp_param_label(f->name));
    rp_printf(&gp, "set xlabel \"%s\"\nset ylabel \"%s\"\nset yrange [0:105]\n", rp_param_label(f->name),
              ko ? "실패한 Trial (%)" : "failed trials (%)");
    if (f->bins.log_scale) rp_printf(&gp, "set logscale x\nset format x \"%%.0e\"\n");
    rp_printf(&gp, "set xrange [%.6g:%.6g]\nplot ", f->bins.edge[0], f->bins.edge[f->bins.n_bins]);
    for (int c = 0; c < nc; c++)
        rp_printf(&gp, "\"%s.dat\" using 3:%d with linespoints lw 2 pt 7 ps 1.2 lc rgb \"%s\" title \"%s\", ", name,
                  4 + 2 * c, C_SERIES[c % 10], ex->studies[cols[c]].label);
    rp_printf(&gp, "\"%s.dat\" using 3:%d with linespoints lw 1 dt 2 pt 6 lc rgb \"#7f7f7f\" title \"%s\"\n", name,
              4 + 2 * nc, ko ? "전체" : "all");
    nl_postamble(&gp, name);
    return nl_emit(dir, name, &dat, &gp, all, n_fig, err);
}

static ol_status scatter_figure(const rp_study *s, ol_report_lang lang, const char *dir, rp_buf *all, int *n_fig,
                                ol_error *err) {
    char name[160];
    snprintf(name, sizeof name, "nl-scatter-%s", s->slug);
    int plr = param_index(s, "learning_rate"), pwd = param_index(s, "weight_decay");
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# %s: one row per finished trial\n# number learning_rate weight_decay outcome "
                    "(0 healthy, 1 never learned, 2 diverged)\n",
              s->label);
    for (size_t j = 0; j < s->n_trials; j++) {
        const rp_trial *t = &s->trials[j];
        if (!counted(t)) continue;
        rp_printf(&dat, "%d %.6g %.6g %d\n", t->number, t->params[plr], t->params[pwd],
                  t->outcome == RP_OK ? 0 : t->outcome == RP_NEVER_LEARNED ? 1 : 2);
    }
    nl_preamble(&gp, name, "learning rate against weight decay, failed trials marked", lang, 3);
    int ko = KO(lang);
    rp_printf(&gp, ko ? "set title \"%s: 어떤 Trial 이 학습에 실패하는가\"\n" : "set title \"%s: which trials fail to learn\"\n",
              s->label);
    rp_printf(&gp, "set xlabel \"%s\"\nset ylabel \"%s\"\n", rp_param_label("learning_rate"),
              rp_param_label("weight_decay"));
    const rp_param *x = &s->params[plr], *y = &s->params[pwd];
    if (x->log_scale) rp_printf(&gp, "set logscale x\nset format x \"%%.0e\"\n");
    if (y->log_scale) rp_printf(&gp, "set logscale y\nset format y \"%%.0e\"\n");
    rp_printf(&gp, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]\n", x->low, x->high, y->low, y->high);
    rp_printf(&gp,
              "plot \"%s.dat\" using 2:($4==0 ? $3 : NaN) with points pt 7 ps 0.9 lc rgb \"#0072B2\" title "
              "\"%s\", \\\n"
              "     \"%s.dat\" using 2:($4==1 ? $3 : NaN) with points pt 9 ps 1.3 lc rgb \"#E69F00\" title "
              "\"%s\", \\\n"
              "     \"%s.dat\" using 2:($4==2 ? $3 : NaN) with points pt 2 ps 1.2 lc rgb \"#000000\" title "
              "\"%s\"\n",
              name, ko ? "정상" : "healthy", name, rp_t(lang, RP_T_KEY_NEVER), name, ko ? "발산" : "diverged");
    nl_postamble(&gp, name);
    return nl_emit(dir, name, &dat, &gp, all, n_fig, err);
}

ol_status rp_never_learn_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                                 rp_buf *all, int *n_figures, ol_error *err) {
    if (!rp_has_never_learn(ex)) return OL_OK;
    ol_status rc = OL_OK;
    const char *names[] = {"learning_rate", "weight_decay"};
    for (int k = 0; k < 2 && !rc; k++) {
        nl_factor f;
        memset(&f, 0, sizeof f);
        f.kind = NL_PARAM, f.name = names[k];
        if (build_factor(&f, ex)) rc = rate_figure(ex, &f, opt->lang, dir, all, n_figures, err);
    }
    for (size_t i = 0; i < ex->n_studies && !rc; i++) {
        const rp_study *s = &ex->studies[i];
        if (param_index(s, "learning_rate") < 0 || param_index(s, "weight_decay") < 0) continue;
        rc = scatter_figure(s, opt->lang, dir, all, n_figures, err);
    }
    return rc;
}
