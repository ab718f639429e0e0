/*
 * pruning.c — an experiment against its baseline (issue 7, question 5: is a
 * pruner a cheaper HPO, and does it change the best results?).
 *
 * `optlab report --experiment pruned --baseline repeat` loads both
 * experiments from one storage. They share the seed, so repetition r of each
 * starts trial k from the same weights and the same first random draws; the
 * only difference is the pruner. Study i of the reported experiment is paired
 * with the baseline's study of the same optimizer, repetition r with r, and
 * for each optimizer the section gives:
 *   - the cost: epochs and training seconds summed over the paired
 *     repetitions, and the saving (1 − pruned/baseline);
 *   - the effect: per metric (test accuracy of the best trial, best
 *     valid-trial accuracy) the mean ± 95 % t CI of each side and of the
 *     paired difference, with the paired t-test and the exact sign-flip test.
 * No multiple-comparison correction: each optimizer's question is separate,
 * and a reader looking for "did anything change" should read the smallest p
 * with that in mind; the text says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/conventions.h"
#include "report_internal.h"

#define KO(l) ((l) == OL_REPORT_KO)

/* The optimizer part of a study name: "pruned#r2/adam" → "adam". */
static const char *opt_key(const char *study_name) { return ol_study_name_parse(study_name, NULL, NULL); }

int rp_pruning_pairs(const rp_experiment *ex, size_t i, rp_pair_set *ps) {
    memset(ps, 0, sizeof *ps);
    ps->i = i;
    ps->j = -1;
    const rp_experiment *base = ex->baseline;
    if (!base || i >= ex->n_studies) return 0;
    for (size_t j = 0; j < base->n_studies; j++)
        if (!strcmp(opt_key(base->studies[j].study_name), opt_key(ex->studies[i].study_name))) ps->j = (int)j;
    if (ps->j < 0) return 0;
    for (int k = 0; k < ex->n_reps; k++) {
        int kb = 0;
        while (kb < base->n_reps && base->rep_index[kb] != ex->rep_index[k]) kb++;
        if (kb == base->n_reps) continue;
        const rp_rep_cell *c = rp_cell(ex, k, i), *cb = rp_cell(base, kb, (size_t)ps->j);
        if (!c->present || !cb->present || !c->has_test || !cb->has_test) continue;
        ps->reps[ps->n] = k;
        ps->base_reps[ps->n] = kb;
        ps->n++;
        ps->epochs += c->epochs;
        ps->base_epochs += cb->epochs;
        ps->seconds += c->seconds;
        ps->base_seconds += cb->seconds;
        ps->pruned += c->n_pruned;
        ps->trials += c->n_trials;
    }
    return ps->n;
}

/* Values of one metric over the pairs: a = this experiment, b = the baseline (fractions). */
static void pair_values(const rp_experiment *ex, const rp_pair_set *ps, rp_metric m, double *a, double *b) {
    for (int r = 0; r < ps->n; r++) {
        const rp_rep_cell *c = rp_cell(ex, ps->reps[r], ps->i);
        const rp_rep_cell *cb = rp_cell(ex->baseline, ps->base_reps[r], (size_t)ps->j);
        a[r] = m == RP_METRIC_TEST ? c->test : c->best_valid;
        b[r] = m == RP_METRIC_TEST ? cb->test : cb->best_valid;
    }
}

static void ci_cell(rp_buf *b, double mean, double half, int sign) {
    const char *fmt = sign ? "%+.2f" : "%.2f";
    rp_printf(b, fmt, 100 * mean);
    if (!isnan(half)) rp_printf(b, " ± %.2f", 100 * half);
    rp_printf(b, sign ? " pp" : " %%"); /* a difference of two percentages: percentage points */
}

static double saving(double ours, double base) { return base > 0 ? 1.0 - ours / base : NAN; }

/* The effect table for one metric. */
static void effect_table(rp_buf *b, const rp_experiment *ex, rp_metric m, ol_report_lang lang) {
    int ko = KO(lang);
    double a[RP_MAX_REPS], c[RP_MAX_REPS];
    rp_printf(b, ko ? "\n| Optimizer | 반복 | %s (기준) | %s (%s) | 차이 (평균 ± 95 %% CI, %%p) | paired t p | sign-flip p |\n"
                    : "\n| Optimizer | repetitions | %s (baseline) | %s (%s) | difference (mean ± 95 %% CI, pp) | "
                      "paired t p | sign-flip p |\n",
              m == RP_METRIC_TEST ? (ko ? "테스트 정확도" : "test accuracy") : (ko ? "최고 Valid 정확도" : "best valid-trial accuracy"),
              m == RP_METRIC_TEST ? (ko ? "테스트 정확도" : "test accuracy") : (ko ? "최고 Valid 정확도" : "best valid-trial accuracy"),
              ex->experiment);
    rp_printf(b, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_pair_set ps;
        if (rp_pruning_pairs(ex, i, &ps) == 0) continue;
        pair_values(ex, &ps, m, a, c);
        double ma, ha, mb, hb, md, hd, t, p;
        rp_mean_ci(a, ps.n, &ma, &ha);
        rp_mean_ci(c, ps.n, &mb, &hb);
        rp_printf(b, "| %s | %d | ", ex->studies[i].label, ps.n);
        ci_cell(b, mb, hb, 0);
        rp_printf(b, " | ");
        ci_cell(b, ma, ha, 0);
        rp_printf(b, " | ");
        if (ps.n >= 2) {
            rp_paired_t(a, c, ps.n, &md, &hd, &t, &p);
            double pf = rp_sign_flip_p(a, c, ps.n);
            ci_cell(b, md, hd, 1);
            rp_printf(b, " | ");
            if (isnan(p)) rp_printf(b, "—");
            else rp_printf(b, "%.4f", p);
            rp_printf(b, " | ");
            if (isnan(pf)) rp_printf(b, "—");
            else rp_printf(b, "%.4f", pf);
            rp_printf(b, " |\n");
        } else {
            rp_printf(b, "%+.2f pp | — | — |\n", 100 * (a[0] - c[0]));
        }
    }
}

void rp_write_pruning(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    const rp_experiment *base = ex->baseline;
    if (!base) return;
    if (ko)
        rp_printf(b,
                  "이 실험 (`%s`) 을 기준 실험 `%s` 와 반복 번호끼리 짝지어 비교한다. 두 실험은 시드가 같아서 반복 r 의 "
                  "Trial k 는 같은 초기 가중치와 같은 첫 무작위 탐색에서 출발한다; 다른 점은 Pruner 뿐이다 "
                  "(Pruner 가 Trial 을 멈춘 뒤로는 TPE 가 다른 기록을 보므로 그 다음 Trial 들은 달라진다).\n",
                  ex->experiment, base->experiment);
    else
        rp_printf(b,
                  "This experiment (`%s`) against the baseline experiment `%s`, repetition by repetition. Both "
                  "share the seed, so trial k of repetition r starts from the same weights and the same first "
                  "random draws in both; they differ only by the pruner (once it stops a trial, TPE sees another "
                  "history, so later trials differ).\n",
                  ex->experiment, base->experiment);
    /* cost */
    rp_printf(b, ko ? "\n### 비용\n\n| Optimizer | 반복 | Pruned Trial | 학습 Epoch (기준 → 이 실험) | 절약 | 학습 시간 (기준 → "
                      "이 실험) | 절약 |\n|---|---:|---:|---:|---:|---:|---:|\n"
                    : "\n### Cost\n\n| Optimizer | repetitions | pruned trials | epochs trained (baseline → this) | "
                      "saved | training time (baseline → this) | saved |\n|---|---:|---:|---:|---:|---:|---:|\n");
    long te = 0, tbe = 0;
    double ts = 0, tbs = 0;
    int any = 0, n_min = RP_MAX_REPS;
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_pair_set ps;
        if (rp_pruning_pairs(ex, i, &ps) == 0) continue;
        any = 1;
        if (ps.n < n_min) n_min = ps.n;
        te += ps.epochs;
        tbe += ps.base_epochs;
        ts += ps.seconds;
        tbs += ps.base_seconds;
        char e0[32], e1[32];
        rp_printf(b, "| %s | %d | %d / %d | %s → %s | %.0f %% | %.0f s → %.0f s | %.0f %% |\n", ex->studies[i].label,
                  ps.n, ps.pruned, ps.trials, rp_thousands(e0, sizeof e0, ps.base_epochs),
                  rp_thousands(e1, sizeof e1, ps.epochs), 100 * saving((double)ps.epochs, (double)ps.base_epochs),
                  ps.base_seconds, ps.seconds, 100 * saving(ps.seconds, ps.base_seconds));
    }
    if (!any) {
        rp_printf(b, ko ? "\n기준 실험과 짝지을 수 있는 반복이 없다 (같은 Optimizer, 같은 반복 번호, 양쪽 모두 테스트 정확도가 "
                          "있어야 한다).\n"
                        : "\nNo repetition pairs with the baseline (same optimizer, same repetition number, a test "
                          "accuracy on both sides).\n");
        return;
    }
    char e0[32], e1[32];
    rp_printf(b, ko ? "| **전체** | | | %s → %s | %.0f %% | %.0f s → %.0f s | %.0f %% |\n"
                    : "| **all** | | | %s → %s | %.0f %% | %.0f s → %.0f s | %.0f %% |\n",
              rp_thousands(e0, sizeof e0, tbe), rp_thousands(e1, sizeof e1, te), 100 * saving((double)te, (double)tbe),
              tbs, ts, 100 * saving(ts, tbs));
    rp_printf(b, ko ? "\n학습 시간은 Trial 마다 기록한 학습 초의 합 (worker 여럿이 나눠 돌린 벽시계 시간이 아니다).\n"
                    : "\nTraining time is the sum of the trials' own seconds (not wall time, which the workers share).\n");
    rp_printf(b, "\n![%s](figures/pruning-epochs.png)\n", ko ? "반복별 학습 Epoch" : "epochs per repetition");
    /* effect */
    rp_printf(b, ko ? "\n### 최고 결과가 바뀌는가\n" : "\n### Do the best results change?\n");
    if (ko)
        rp_printf(b,
                  "\n반복마다 차이 = 이 실험 − 기준. **Paired t-test** 는 차이들이 독립이고 대략 정규분포라고 가정하고, "
                  "**sign-flip test** (정확한 짝 순열 검정) 는 차이가 없다면 각 차이의 부호가 양/음 같은 확률이라는 "
                  "대칭만 가정한다 (반복 R 회이면 가능한 가장 작은 p 는 2/2^R). Optimizer 마다 따로 묻는 질문이라 보정은 "
                  "하지 않았다. 신뢰구간이 0 을 포함하면 이 반복 수로는 Pruner 가 최고 결과를 바꿨다고 말할 수 없다.\n");
    else
        rp_printf(b,
                  "\nPer repetition, difference = this experiment − baseline. The **paired t-test** assumes the "
                  "differences are independent and roughly normal; the **sign-flip test** (exact paired permutation "
                  "test) assumes only that, with no effect, each difference is as likely positive as negative (with "
                  "R repetitions its smallest possible p is 2/2^R). Each optimizer is its own question, so no "
                  "correction for multiple comparisons is applied. A CI that contains 0 means these repetitions "
                  "cannot say that the pruner changed the best result.\n");
    effect_table(b, ex, RP_METRIC_TEST, lang);
    effect_table(b, ex, RP_METRIC_VALID, lang);
    rp_printf(b, "\n![%s](figures/pruning-test.png)\n", ko ? "반복별 테스트 정확도, 기준과 Pruner" : "test accuracy per repetition, baseline and pruner");
    /* the verdict, from the numbers above */
    double sv = saving((double)te, (double)tbe);
    int changed = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_pair_set ps;
        if (rp_pruning_pairs(ex, i, &ps) < 2) continue;
        double a[RP_MAX_REPS], c[RP_MAX_REPS], md, hd, t, p;
        pair_values(ex, &ps, RP_METRIC_TEST, a, c);
        rp_paired_t(a, c, ps.n, &md, &hd, &t, &p);
        if (!isnan(p) && p < 0.05) changed++;
    }
    if (ko)
        rp_printf(b, "\n**요약**: Pruner 는 학습 Epoch 의 %.0f %% 를 줄였다 (반복 %d 회 이상 짝). 테스트 정확도가 "
                     "유의하게 (paired t, p < 0.05) 달라진 Optimizer: %d 개.\n",
                  100 * sv, n_min, changed);
    else
        rp_printf(b, "\n**In short**: the pruner saved %.0f %% of the epochs (at least %d paired repetitions per "
                     "optimizer). Optimizers whose test accuracy changed significantly (paired t, p < 0.05): %d.\n",
                  100 * sv, n_min, changed);
}
