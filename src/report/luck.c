/*
 * luck.c — the report section "How much of the best result is luck" (issue 17),
 * made from the re-evaluation trials (optlab:reeval) of each study: the best
 * configurations of the search, and a few around its median, retrained with R
 * fresh seeds each (docs/experiments.md, "Re-evaluation").
 *
 * Per optimizer it gives: a strip figure of every re-evaluated configuration's R
 * seeds beside its original single-trial value; the winner's curse (how far the
 * search's best trial falls when retrained); the re-evaluated result (the
 * configuration with the best mean valid-trial accuracy over seeds, with a 95 %
 * t interval on its test accuracy); a one-way random-effects decomposition of
 * valid-trial and test accuracy into between-configuration and within-
 * configuration (seed) variance; and whether the optimizers' ranking changes,
 * by paired tests across seeds between the re-evaluated winners (seed k starts
 * every configuration of every optimizer from the same weights when the
 * experiment's init is paired). Statistics come from stats.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define KO(l) ((l) == OL_REPORT_KO)

/* One re-evaluated configuration of a study. */
typedef struct {
    int source;       /* the search trial's number */
    double original;  /* its single-trial valid value */
    double orig_test; /* its test accuracy if recorded, else NAN */
    int n_seeds;      /* seeds with a value */
    double *valid, *test; /* [R] by seed index, NAN where missing */
    unsigned char *never; /* [R]: that seed's trial never learned */
    double mean_valid, mean_test, half_test;
    double learned_valid; /* mean valid-trial accuracy over the seeds that learned (NAN if none) */
} luck_cfg;

typedef struct {
    int r;               /* seeds: 1 + the highest seed index */
    int n;
    luck_cfg *cfg;       /* ordered by original value, best first */
    int winner;          /* index of the best mean valid, -1 if none */
    int search_best;     /* index of the search's best trial among cfg, -1 if not re-evaluated */
} luck_study;

static int by_original(const void *a, const void *b) {
    const luck_cfg *x = a, *y = b;
    if (x->original != y->original) return x->original < y->original ? 1 : -1;
    return (x->source > y->source) - (x->source < y->source);
}

static void luck_free(luck_study *ls) {
    for (int i = 0; i < ls->n; i++) {
        free(ls->cfg[i].valid);
        free(ls->cfg[i].test);
        free(ls->cfg[i].never);
    }
    free(ls->cfg);
    memset(ls, 0, sizeof *ls);
}

/* x[j] of configuration c as used by decompose: NAN when missing, or when skip_never and that seed never learned */
static double seed_value(const luck_cfg *g, int test, int skip_never, int j) {
    if (skip_never && g->never[j]) return NAN;
    return test ? g->test[j] : g->valid[j];
}

/* Gather a study's re-evaluation trials by configuration. 0 when it has none (or out of memory). */
static int luck_collect(const rp_study *s, luck_study *ls) {
    memset(ls, 0, sizeof *ls);
    ls->winner = ls->search_best = -1;
    for (size_t i = 0; i < s->n_reevals; i++)
        if (s->reevals[i].seed_index + 1 > ls->r) ls->r = s->reevals[i].seed_index + 1;
    if (!s->n_reevals || ls->r <= 0 || ls->r > 100000) return 0;
    ls->cfg = calloc(s->n_reevals, sizeof *ls->cfg);
    if (!ls->cfg) return 0;
    for (size_t i = 0; i < s->n_reevals; i++) {
        const rp_reeval *q = &s->reevals[i];
        if (q->seed_index < 0) continue;
        int c = 0;
        while (c < ls->n && ls->cfg[c].source != q->source) c++;
        if (c == ls->n) {
            luck_cfg *g = &ls->cfg[ls->n];
            g->source = q->source;
            g->original = g->orig_test = NAN;
            for (size_t t = 0; t < s->n_trials; t++)
                if (s->trials[t].number == q->source) {
                    g->original = s->trials[t].value;
                    if (s->trials[t].has_test) g->orig_test = s->trials[t].test_accuracy;
                }
            g->valid = malloc((size_t)ls->r * sizeof *g->valid);
            g->test = malloc((size_t)ls->r * sizeof *g->test);
            g->never = calloc((size_t)ls->r, 1);
            ls->n++;
            if (!g->valid || !g->test || !g->never) {
                luck_free(ls);
                return 0;
            }
            for (int k = 0; k < ls->r; k++) g->valid[k] = g->test[k] = NAN;
        }
        if (q->has_value) ls->cfg[c].valid[q->seed_index] = q->value;
        if (q->has_test) ls->cfg[c].test[q->seed_index] = q->test_accuracy;
        if (q->never_learned) ls->cfg[c].never[q->seed_index] = 1;
    }
    qsort(ls->cfg, (size_t)ls->n, sizeof *ls->cfg, by_original);
    int best_number = s->best >= 0 ? s->trials[s->best].number : -1;
    for (int c = 0; c < ls->n; c++) {
        luck_cfg *g = &ls->cfg[c];
        double half;
        g->n_seeds = rp_finite_mean_ci(g->valid, ls->r, &g->mean_valid, &half);
        rp_finite_mean_ci(g->test, ls->r, &g->mean_test, &g->half_test);
        g->learned_valid = NAN; /* out of memory: no mean rather than the one with the collapses */
        double *x = malloc((size_t)ls->r * sizeof *x);
        if (x) {
            for (int k = 0; k < ls->r; k++) x[k] = seed_value(g, 0, 1, k);
            rp_finite_mean_ci(x, ls->r, &g->learned_valid, &half);
        }
        free(x);
        if (g->n_seeds > 0 && (ls->winner < 0 || g->mean_valid > ls->cfg[ls->winner].mean_valid)) ls->winner = c;
        if (g->source == best_number) ls->search_best = c;
    }
    return ls->n > 0;
}

int rp_has_luck(const rp_experiment *ex) {
    for (size_t i = 0; i < ex->n_studies; i++)
        if (ex->studies[i].n_reevals > 0) return 1;
    return 0;
}

int rp_luck_result_of(const rp_study *s, rp_luck_result *out) {
    luck_study ls;
    memset(out, 0, sizeof *out);
    out->number = out->search_best = -1;
    out->mean_valid = out->mean_test = out->half_test = out->curse = NAN;
    if (!luck_collect(s, &ls)) return 0;
    if (ls.search_best >= 0) {
        const luck_cfg *sb = &ls.cfg[ls.search_best];
        out->search_best = sb->source;
        out->curse = sb->original - sb->learned_valid; /* as the luck table's winner's-curse column */
    }
    int ok = ls.winner >= 0;
    if (ok) {
        const luck_cfg *g = &ls.cfg[ls.winner];
        out->number = g->source;
        out->n_seeds = g->n_seeds;
        out->mean_valid = g->mean_valid;
        out->n_test = rp_finite_mean_ci(g->test, ls.r, &out->mean_test, &out->half_test);
    }
    luck_free(&ls);
    return ok;
}

/*
 * One-way random-effects decomposition over the configurations (groups) and
 * their seeds: within = MSW, between = max(0, (MSB − MSW) / n0) with n0 the
 * usual group-size for unequal groups. Variances in squared points. 0 if there
 * are fewer than 2 configurations or no replication.
 */
static int decompose(const luck_study *ls, int test, int skip_never, double *between, double *within) {
    int k = 0, N = 0;
    double sum = 0, sum_n2 = 0;
    for (int c = 0; c < ls->n; c++) {
        int m = 0;
        for (int j = 0; j < ls->r; j++) {
            double x = seed_value(&ls->cfg[c], test, skip_never, j);
            if (isfinite(x)) m++, sum += 100 * x;
        }
        if (m > 0) k++, N += m, sum_n2 += (double)m * m;
    }
    if (k < 2 || N <= k) return 0;
    double grand = sum / N, ssw = 0, ssb = 0;
    for (int c = 0; c < ls->n; c++) {
        double s = 0;
        int m = 0;
        for (int j = 0; j < ls->r; j++) {
            double x = seed_value(&ls->cfg[c], test, skip_never, j);
            if (isfinite(x)) m++, s += 100 * x;
        }
        if (!m) continue;
        double mean = s / m;
        for (int j = 0; j < ls->r; j++) {
            double x = seed_value(&ls->cfg[c], test, skip_never, j);
            if (isfinite(x)) ssw += (100 * x - mean) * (100 * x - mean);
        }
        ssb += m * (mean - grand) * (mean - grand);
    }
    double msw = ssw / (N - k), msb = ssb / (k - 1), n0 = (N - sum_n2 / N) / (k - 1);
    *within = msw;
    *between = msb > msw ? (msb - msw) / n0 : 0;
    return 1;
}

/* How many of the study's re-evaluation trials never learned. */
static int n_never(const luck_study *ls) {
    int n = 0;
    for (int c = 0; c < ls->n; c++)
        for (int j = 0; j < ls->r; j++) n += ls->cfg[c].never[j];
    return n;
}

static void pts(char *buf, size_t n, double v) {
    if (!isfinite(v)) snprintf(buf, n, "–");
    else snprintf(buf, n, "%+.2f", v);
}

void rp_write_luck(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    luck_study *ls = calloc(ex->n_studies ? ex->n_studies : 1, sizeof *ls);
    if (!ls) {
        b->failed = 1;
        return;
    }
    int r_max = 0;
    for (size_t i = 0; i < ex->n_studies; i++)
        if (luck_collect(&ex->studies[i], &ls[i]) && ls[i].r > r_max) r_max = ls[i].r;
    rp_printf(b,
              ko ? "탐색이 끝난 뒤 각 옵티마이저의 상위 설정과 중앙값 부근의 설정을 새 시드 %d 개 (초기 가중치와 배치 순서; "
                   "분할은 같음) 로 다시 학습했다 (`reevaluate_top`, `reevaluate_median`, `reevaluate_seeds`). 이 재평가 "
                   "Trial 은 같은 Study 에 `optlab:reeval` 표시와 함께 저장되며 TPE 는 이를 학습하지 않는다. 시드 k 는 "
                   "모든 설정과 옵티마이저에서 같은 초기 가중치로 시작한다 (`init = paired`).\n\n"
                 : "After the search, each optimizer's best configurations and a few around its median were retrained "
                   "with %d fresh seeds (initial weights and batch order; the same split) (`reevaluate_top`, "
                   "`reevaluate_median`, `reevaluate_seeds`). These re-evaluation trials are stored in the same study, "
                   "marked `optlab:reeval`; TPE never learns from them. With `init = paired` seed k starts every "
                   "configuration of every optimizer from the same weights.\n\n",
              r_max);
    /* 1. the single best trial against its re-evaluation, and the re-evaluated result */
    rp_printf(b, ko ? "| 옵티마이저 | 탐색의 최고 Trial: Valid / 테스트 | 재평가 평균 Valid (학습된 시드) | 승자의 저주 (Valid, %%p) | "
                      "재평가 결과: Trial | 평균 Valid | 평균 테스트 ± 95 %% CI |\n"
                    : "| Optimizer | search's best trial: valid / test | its re-evaluated mean valid (seeds that learned) | winner's curse "
                      "(valid, points) | re-evaluated result: trial | mean valid | mean test ± 95 %% CI |\n");
    rp_printf(b, "|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        const luck_study *l = &ls[i];
        if (!l->n) continue;
        char v1[32] = "–", t1[32] = "–", m1[32] = "–", curse[32] = "–", wv[32] = "–", wt[32] = "–", wh[32] = "";
        const luck_cfg *sb = l->search_best >= 0 ? &l->cfg[l->search_best] : NULL;
        if (sb) {
            rp_pct(v1, sizeof v1, sb->original);
            if (isfinite(sb->orig_test)) rp_pct(t1, sizeof t1, sb->orig_test);
            if (isfinite(sb->learned_valid)) rp_pct(m1, sizeof m1, sb->learned_valid);
            pts(curse, sizeof curse, 100 * (sb->original - sb->learned_valid));
        }
        const luck_cfg *w = l->winner >= 0 ? &l->cfg[l->winner] : NULL;
        if (w) {
            rp_pct(wv, sizeof wv, w->mean_valid);
            if (isfinite(w->mean_test)) rp_pct(wt, sizeof wt, w->mean_test);
            if (isfinite(w->half_test)) snprintf(wh, sizeof wh, " ± %.2f", 100 * w->half_test);
        }
        rp_printf(b, "| %s | %s %% / %s %% | %s %% | %s | #%d (%d %s) | %s %% | %s %%%s |\n", ex->studies[i].label, v1,
                  t1, m1, curse, w ? w->source : -1, w ? w->n_seeds : 0, ko ? "시드" : "seeds", wv, wt, wh);
    }
    rp_printf(b,
              ko ? "\n승자의 저주 = 탐색의 최고 Trial 의 단일 값 − 같은 설정을 새 시드로 다시 학습한 평균 (양수: 최고 "
                   "Trial 의 값 일부가 운이었다). 평균은 학습된 시드만으로 낸다: 학습되지 않은 시드 (우연 수준으로 "
                   "무너짐) 는 작은 값이 아니라 다른 결과이며, 있으면 아래에 따로 적는다.\n"
                 : "\nWinner's curse = the search's best trial's single value − the mean of the same configuration "
                   "retrained with fresh seeds, over the seeds that learned (positive: part of the best trial's value "
                   "was luck). A seed stuck near chance is a different outcome, not a smaller value: it is left out of this "
                   "mean (and listed below when there is one).\n");
    /* the stage's cost beside the search's: training seconds summed over trials */
    rp_printf(b, ko ? "\n학습 시간 (Trial 의 `seconds` 합): " : "\nTraining time (sum of the trials' `seconds`): ");
    int first = 1;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        if (!ls[i].n) continue;
        double search = 0, re = 0;
        for (size_t t = 0; t < s->n_trials; t++)
            if (s->trials[t].seconds > 0) search += s->trials[t].seconds;
        for (size_t t = 0; t < s->n_reevals; t++)
            if (s->reevals[t].seconds > 0) re += s->reevals[t].seconds;
        rp_printf(b, ko ? "%s%s 탐색 %.0f 초 (Trial %zu 개), 재평가 %.0f 초 (Trial %zu 개)"
                        : "%s%s search %.0f s (%zu trials), re-evaluation %.0f s (%zu trials)",
                  first ? "" : "; ", s->label, search, s->n_trials, re, s->n_reevals);
        first = 0;
    }
    rp_printf(b, ".\n");
    /* 2. variance decomposition */
    rp_printf(b, ko ? "\n| 옵티마이저 | 지표 | 설정 간 SD (%%p) | 시드 (설정 내) SD (%%p) | 시드 몫 |\n"
                    : "\n| Optimizer | metric | between-configuration SD (points) | within-configuration (seed) SD "
                      "(points) | seed's share of variance |\n");
    rp_printf(b, "|---|---|---|---|---|\n");
    int any_never = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        int nn = ls[i].n ? n_never(&ls[i]) : 0;
        any_never |= nn > 0;
        /* with never-learning seeds, the same decomposition without them: a collapse to chance is
           a different outcome, and a few of them would otherwise make up most of the seed variance */
        for (int skip = 0; skip <= (nn > 0); skip++)
            for (int test = 0; test <= 1; test++) {
                double bv, wv;
                if (!ls[i].n || !decompose(&ls[i], test, skip, &bv, &wv)) continue;
                const char *metric = test ? (ko ? "테스트" : "test") : (ko ? "Valid (Trial)" : "valid-trial");
                rp_printf(b, "| %s | %s%s | %.2f | %.2f | %.0f %% |\n", ex->studies[i].label, metric,
                          skip ? (ko ? ", 학습되지 않은 시드 제외" : ", never-learning seeds left out") : "", sqrt(bv),
                          sqrt(wv), bv + wv > 0 ? 100 * wv / (bv + wv) : 0.0);
            }
    }
    rp_printf(b,
              ko ? "\n재평가한 설정들 (상위와 중앙값 부근) 에 대한 일원 랜덤효과 분해: 설정 내 분산은 같은 설정을 시드만 "
                   "바꿔 다시 학습했을 때의 흩어짐이다.\n"
                 : "\nOne-way random-effects decomposition over the re-evaluated configurations (top and median): the "
                   "within-configuration variance is the spread of one configuration retrained with other seeds.\n");
    if (any_never) {
        rp_printf(b, ko ? "학습되지 않은 재평가 Trial (우연 수준에 머묾): " : "Re-evaluation trials that never learned "
                                                                        "(they stayed near chance): ");
        int first = 1;
        for (size_t i = 0; i < ex->n_studies; i++)
            for (int c = 0; c < ls[i].n; c++) {
                int k = 0;
                for (int j = 0; j < ls[i].r; j++) k += ls[i].cfg[c].never[j];
                if (!k) continue;
                rp_printf(b, ko ? "%s%s #%d 의 시드 %d 개" : "%s%s #%d, %d seed%s", first ? "" : ", ",
                          ex->studies[i].label, ls[i].cfg[c].source, k, ko ? "" : (k == 1 ? "" : "s"));
                first = 0;
            }
        rp_printf(b, ko ? ". 이들이 시드 분산의 대부분을 차지할 수 있어, 이들을 뺀 분해도 함께 싣는다.\n"
                        : ". Such collapses can make up most of the seed variance, so the decomposition is also "
                          "given without them.\n");
    }
    /* 3. the ranking: single trial against re-evaluated, with paired tests across seeds */
    int order_single[64], order_re[64], m = 0;
    for (size_t i = 0; i < ex->n_studies && m < 64; i++)
        if (ls[i].winner >= 0 && ls[i].search_best >= 0 && isfinite(ls[i].cfg[ls[i].search_best].orig_test) &&
            isfinite(ls[i].cfg[ls[i].winner].mean_test))
            order_single[m] = order_re[m] = (int)i, m++;
    for (int a = 0; a < m; a++)
        for (int c = a + 1; c < m; c++) {
            const luck_study *x = &ls[order_single[a]], *y = &ls[order_single[c]];
            if (y->cfg[y->search_best].orig_test > x->cfg[x->search_best].orig_test) {
                int t = order_single[a];
                order_single[a] = order_single[c];
                order_single[c] = t;
            }
            x = &ls[order_re[a]], y = &ls[order_re[c]];
            if (y->cfg[y->winner].mean_test > x->cfg[x->winner].mean_test) {
                int t = order_re[a];
                order_re[a] = order_re[c];
                order_re[c] = t;
            }
        }
    if (m >= 2) {
        int same = !memcmp(order_single, order_re, (size_t)m * sizeof *order_re);
        rp_printf(b, ko ? "\n테스트 정확도 순위 — 단일 최고 Trial: " : "\nRanking by test accuracy — single best trial: ");
        for (int a = 0; a < m; a++) rp_printf(b, "%s%s", a ? " > " : "", ex->studies[order_single[a]].label);
        rp_printf(b, ko ? "; 재평가 결과: " : "; re-evaluated: ");
        for (int a = 0; a < m; a++) rp_printf(b, "%s%s", a ? " > " : "", ex->studies[order_re[a]].label);
        rp_printf(b, ko ? " (%s).\n\n" : " (%s).\n\n",
                  same ? (ko ? "순위 같음" : "the same order") : (ko ? "순위가 바뀜" : "the order changes"));
        rp_printf(b, ko ? "| 비교 (재평가 결과, 시드별 짝) | 시드 | 테스트 차이 평균 ± 95 %% CI (%%p) | t 검정 p | 부호 뒤집기 p |\n"
                        : "| comparison (re-evaluated results, paired by seed) | seeds | mean test difference ± 95 %% CI "
                          "(points) | paired t p | sign-flip p |\n");
        rp_printf(b, "|---|---|---|---|---|\n");
        double *xa = malloc((size_t)(r_max ? r_max : 1) * sizeof *xa), *xb = malloc((size_t)(r_max ? r_max : 1) * sizeof *xb);
        for (int a = 0; xa && xb && a + 1 < m; a++) {
            const luck_study *x = &ls[order_re[a]], *y = &ls[order_re[a + 1]];
            int n = 0;
            for (int k = 0; k < x->r && k < y->r; k++) {
                double u = x->cfg[x->winner].test[k], v = y->cfg[y->winner].test[k];
                if (isfinite(u) && isfinite(v)) xa[n] = u, xb[n] = v, n++;
            }
            double md = NAN, half = NAN, t = NAN, p = NAN, pf = NAN;
            if (n >= 2) {
                rp_paired_t(xa, xb, n, &md, &half, &t, &p);
                pf = rp_sign_flip_p(xa, xb, n);
            }
            rp_printf(b, "| %s − %s | %d | %+.2f ± %.2f | %.3g | %.3g |\n", ex->studies[order_re[a]].label,
                      ex->studies[order_re[a + 1]].label, n, 100 * md, 100 * half, p, pf);
        }
        free(xa);
        free(xb);
    }
    for (size_t i = 0; i < ex->n_studies; i++)
        if (ls[i].n)
            rp_printf(b, "\n![%s](figures/luck-%s.png)\n", ko ? "재평가한 설정의 시드별 정확도" : "re-evaluated configurations, one dot per seed",
                      ex->studies[i].slug);
    for (size_t i = 0; i < ex->n_studies; i++) luck_free(&ls[i]);
    free(ls);
}

/* x of seed k of configuration c in the luck figure: its strip, 0.3 wide around c */
static double strip_x(int c, int k, int r) { return c + (r > 1 ? 0.3 * ((double)k / (r - 1) - 0.5) : 0); }

/* Per optimizer: each re-evaluated configuration's R seeds as a strip, its mean, and its original single-trial value. */
ol_status rp_luck_figures(const rp_experiment *ex, const ol_report_options *opt, const char *dir, rp_buf *all,
                          int *n_figures, ol_error *err) {
    ol_report_lang lang = opt->lang;
    ol_status rc = OL_OK;
    for (size_t i = 0; i < ex->n_studies && !rc; i++) {
        const rp_study *s = &ex->studies[i];
        luck_study ls;
        if (!luck_collect(s, &ls)) continue;
        char name[160];
        snprintf(name, sizeof name, "luck-%s", s->slug);
        rp_buf dat = {0}, gp = {0};
        rp_printf(&dat, "# %s: re-evaluated configurations (x = rank by original value), valid-trial accuracy %%\n",
                  s->label);
        /* Seeds that never learned sit near chance, 85 points below the rest: drawn on the axis's
         * range they would squash every learned seed into one line. So the y range is the learned
         * seeds' and the original values', the never-learned seeds are marked at its foot (block 2,
         * with their real values), and the mean is over the seeds that learned (the table gives the
         * decomposition both ways). */
        int any_never = n_never(&ls) > 0;
        rp_printf(&dat, "# block 0: x\tseed_value_pct\tseed_index\tsource_trial (seeds that learned)\n");
        double lo = 100, hi = 0;
        for (int c = 0; c < ls.n; c++)
            for (int k = 0; k < ls.r; k++) {
                double v = ls.cfg[c].valid[k];
                if (!isfinite(v) || ls.cfg[c].never[k]) continue;
                double x = strip_x(c, k, ls.r);
                rp_printf(&dat, "%.4f\t%.10g\t%d\t%d\n", x, 100 * v, k, ls.cfg[c].source);
                if (100 * v < lo) lo = 100 * v;
                if (100 * v > hi) hi = 100 * v;
            }
        rp_printf(&dat, "\n\n# block 1: x\toriginal_value_pct\tmean_over_seeds_pct\tsource_trial%s\n",
                  any_never ? " (mean over the seeds that learned)" : "");
        for (int c = 0; c < ls.n; c++) {
            /* with never-learning seeds, the mean decompose's "never-learning seeds left out" uses */
            double o = 100 * ls.cfg[c].original, mv = 100 * (any_never ? ls.cfg[c].learned_valid : ls.cfg[c].mean_valid);
            rp_printf(&dat, "%d\t%.10g\t%.10g\t%d\n", c, o, mv, ls.cfg[c].source);
            if (isfinite(o) && o < lo) lo = o;
            if (isfinite(o) && o > hi) hi = o;
        }
        rp_printf(&dat, "\n\n# block 2: x\tseed_value_pct\tseed_index\tsource_trial (seeds that never learned)\n");
        for (int c = 0; c < ls.n; c++)
            for (int k = 0; k < ls.r; k++)
                if (isfinite(ls.cfg[c].valid[k]) && ls.cfg[c].never[k])
                    rp_printf(&dat, "%.4f\t%.10g\t%d\t%d\n",
                              strip_x(c, k, ls.r), 100 * ls.cfg[c].valid[k], k,
                              ls.cfg[c].source);
        if (!any_never) rp_printf(&dat, "NaN\tNaN\tNaN\tNaN\n"); /* gnuplot wants a block to exist */
        double y0, y1;
        rp_y_range(lo, hi, &y0, &y1);
        rp_fig_begin(&gp, name, "re-evaluated configurations: seeds against the original single trial", lang);
        char title[256];
        snprintf(title, sizeof title, KO(lang) ? "%s: 재평가한 설정 (시드 %d 개) 과 원래 단일 Trial 값"
                                               : "%s: re-evaluated configurations (%d seeds) and their original trial",
                 s->label, ls.r);
        rp_printf(&gp, "set title ");
        rp_gp_string(&gp, title);
        rp_printf(&gp, "\nset ylabel ");
        rp_gp_string(&gp, KO(lang) ? "Valid 정확도, Trial 단위 (%)" : "valid-trial accuracy (%)");
        rp_printf(&gp, "\nset xlabel ");
        rp_gp_string(&gp, KO(lang) ? "설정 (원래 Trial 번호, 원래 값 순)" : "configuration (original trial, by original value)");
        rp_printf(&gp, "\nset xrange [-0.5:%.1f]\nset yrange [%.6g:%.6g]\nset xtics (", ls.n - 0.5, y0, y1);
        for (int c = 0; c < ls.n; c++) rp_printf(&gp, "%s\"#%d\" %d", c ? ", " : "", ls.cfg[c].source, c);
        rp_printf(&gp, ")\nset bmargin %s\n", any_never ? "9.5" : "7.5"); /* a fourth key line */
        rp_printf(&gp, "plot \"%s.dat\" index 0 using 1:2 with points pt 7 ps 0.9 lc rgb \"#0072B2\" title ", name);
        rp_gp_string(&gp, KO(lang) ? "새 시드 하나" : "one fresh seed");
        rp_printf(&gp, ", \\\n     \"\" index 1 using 1:3 with points pt 13 ps 1.8 lc rgb \"#009E73\" title ");
        rp_gp_string(&gp, any_never ? (KO(lang) ? "학습된 시드의 평균" : "mean of the seeds that learned")
                                    : (KO(lang) ? "시드 평균" : "mean over seeds"));
        rp_printf(&gp, ", \\\n     \"\" index 1 using 1:2 with points pt 3 ps 2.2 lw 2 lc rgb \"#D55E00\" title ");
        rp_gp_string(&gp, KO(lang) ? "원래 단일 Trial" : "original single trial");
        if (any_never) {
            /* at the foot of the range, whatever their value (near chance, far below it) */
            rp_printf(&gp, ", \\\n     \"\" index 2 using 1:(%.6g) with points pt 11 ps 1.4 lc rgb \"#CC79A7\" title ",
                      y0 + 0.03 * (y1 - y0));
            rp_gp_string(&gp, KO(lang) ? "학습되지 않음 (우연 수준, 축 밖)" : "never learned (at chance, off the axis)");
        }
        rp_printf(&gp, "\n");
        rp_fig_end(&gp, name);
        rc = rp_fig_emit(dir, name, &dat, &gp, all, n_figures, err);
        luck_free(&ls);
    }
    return rc;
}
