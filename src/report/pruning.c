/*
 * pruning.c — an experiment against its baseline (issue 7, question 5: is a
 * pruner a cheaper HPO, and does it change the best results?).
 *
 * `optlab report --experiment pruned --baseline repeat` loads both
 * experiments from one storage. They share the seed, so repetition r of each
 * starts trial k from the same weights and the same first random draws; they
 * differ by what their files change (the pruner, the sampler). Study i of the reported experiment is paired
 * with the baseline's study of the same optimizer, repetition r with r, and
 * for each optimizer the section gives:
 *   - the cost: epochs and training seconds summed over the paired
 *     repetitions, and the saving (1 − pruned/baseline);
 *   - the effect: per metric (test accuracy of the best trial, best
 *     valid-trial accuracy) the mean ± 95 % t CI of each side and of the
 *     paired difference, with the paired t-test and the exact sign-flip test;
 *   - the speed (issue 18.6, another sampler against TPE): the trials each
 *     search needed to come within 0.1 points of its own final best, per
 *     repetition, paired and tested the same way, and the mean best-so-far
 *     curves of both sides (pruning-best-so-far).
 * When the two experiments' stored samplers differ, the text names both and
 * speaks of the sampler; otherwise of the pruner.
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

int rp_baseline_vs(const rp_experiment *ex, size_t i, rp_vs_quantity q, rp_vs *v) {
    rp_pair_set ps;
    rp_pruning_pairs(ex, i, &ps);
    return rp_pairs_vs(ex, &ps, q, v);
}

int rp_pairs_vs(const rp_experiment *ex, const rp_pair_set *ps, rp_vs_quantity q, rp_vs *v) {
    memset(v, 0, sizeof *v);
    v->mean = v->half = v->base_mean = v->base_half = v->diff = v->diff_half = v->p_t = v->p_flip = NAN;
    if (ps->n == 0) return 0;
    v->n = ps->n;
    for (int r = 0; r < ps->n; r++) {
        const rp_rep_cell *c = rp_cell(ex, ps->reps[r], ps->i);
        const rp_rep_cell *cb = rp_cell(ex->baseline, ps->base_reps[r], (size_t)ps->j);
        v->a[r] = q == RP_VS_TEST ? c->test : q == RP_VS_VALID ? c->best_valid : c->to_best;
        v->b[r] = q == RP_VS_TEST ? cb->test : q == RP_VS_VALID ? cb->best_valid : cb->to_best;
    }
    rp_mean_ci(v->a, v->n, &v->mean, &v->half);
    rp_mean_ci(v->b, v->n, &v->base_mean, &v->base_half);
    if (v->n >= 2) {
        double t;
        rp_paired_t(v->a, v->b, v->n, &v->diff, &v->diff_half, &t, &v->p_t);
        v->p_flip = rp_sign_flip_p(v->a, v->b, v->n);
    } else {
        v->diff = v->a[0] - v->b[0];
    }
    return v->n;
}

static void ci_cell(rp_buf *b, double mean, double half, int sign) {
    const char *fmt = sign ? "%+.2f" : "%.2f";
    rp_printf(b, fmt, 100 * mean);
    if (!isnan(half)) rp_printf(b, " ± %.2f", 100 * half);
    rp_printf(b, sign ? " pp" : " %%"); /* a difference of two percentages: percentage points */
}

static double saving(double ours, double base) { return base > 0 ? 1.0 - ours / base : NAN; }

/* The effect table for one metric. */
/* " | P | P' |" and the line's end: a paired t-test's p and the sign-flip test's, "—" where undefined. */
static void p_cells(rp_buf *b, double p, double pf) {
    rp_printf(b, " | ");
    if (isnan(p)) rp_printf(b, "—");
    else rp_printf(b, "%.4f", p);
    rp_printf(b, " | ");
    if (isnan(pf)) rp_printf(b, "—");
    else rp_printf(b, "%.4f", pf);
    rp_printf(b, " |\n");
}

static void effect_table(rp_buf *b, const rp_experiment *ex, rp_metric m, ol_report_lang lang) {
    int ko = KO(lang);
    rp_printf(b, ko ? "\n| Optimizer | 반복 | %s (기준) | %s (%s) | 차이 (평균 ± 95 %% CI, %%p) | paired t p | sign-flip p |\n"
                    : "\n| Optimizer | repetitions | %s (baseline) | %s (%s) | difference (mean ± 95 %% CI, pp) | "
                      "paired t p | sign-flip p |\n",
              m == RP_METRIC_TEST ? (ko ? "테스트 정확도" : "test accuracy") : (ko ? "최고 Valid 정확도" : "best valid-trial accuracy"),
              m == RP_METRIC_TEST ? (ko ? "테스트 정확도" : "test accuracy") : (ko ? "최고 Valid 정확도" : "best valid-trial accuracy"),
              ex->experiment);
    rp_printf(b, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_vs v;
        if (rp_baseline_vs(ex, i, m == RP_METRIC_TEST ? RP_VS_TEST : RP_VS_VALID, &v) == 0) continue;
        rp_printf(b, "| %s | %d | ", ex->studies[i].label, v.n);
        ci_cell(b, v.base_mean, v.base_half, 0);
        rp_printf(b, " | ");
        ci_cell(b, v.mean, v.half, 0);
        rp_printf(b, " | ");
        if (v.n >= 2) {
            ci_cell(b, v.diff, v.diff_half, 1);
            p_cells(b, v.p_t, v.p_flip);
        } else {
            rp_printf(b, "%+.2f pp | — | — |\n", 100 * v.diff);
        }
    }
}

/* Do the two sides name different samplers? (Storages from before issue 18 record none: then no.) */
static int samplers_differ(const rp_experiment *ex) {
    return ex->baseline && ex->sampler && ex->baseline->sampler && strcmp(ex->sampler, ex->baseline->sampler);
}

/* One side's trials-to-best over the pairs: "12, 30, 7; mean 16.3". */
static void to_best_cell(rp_buf *b, const double *x, int n, ol_report_lang lang) {
    double m = 0;
    for (int r = 0; r < n; r++) {
        rp_printf(b, "%s%.0f", r ? ", " : "", x[r]);
        m += x[r];
    }
    rp_printf(b, KO(lang) ? "; 평균 %.1f" : "; mean %.1f", m / n);
}

/*
 * How fast each search got to its own best: per repetition, the trials (the search's, in number order, whatever
 * their outcome; re-evaluation trials never count) up to and including the first whose valid-trial accuracy is
 * within RP_NEAR_BEST (0.1 points) of that study's final best. Paired like the effect tables.
 */
static void to_best_table(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    const rp_experiment *base = ex->baseline;
    char sa[160], sb[160];
    snprintf(sa, sizeof sa, "%s%s%s", ex->experiment, ex->sampler ? ", " : "", ex->sampler ? ex->sampler : "");
    snprintf(sb, sizeof sb, "%s%s%s", base->experiment, base->sampler ? ", " : "", base->sampler ? base->sampler : "");
    rp_printf(b, ko ? "\n### 최고값에 가까워지기까지의 Trial 수\n\n"
                      "반복마다, 탐색의 Trial 을 번호 순서로 (결과가 무엇이든) 세어 그 Study 의 최종 최고 Valid "
                      "정확도에서 0.1 %%p (0.001) 안에 처음 든 Trial 까지의 수. 재평가 Trial 은 세지 않는다. 차이 = "
                      "이 실험 − 기준; 검정은 위와 같다. 값이 작을수록 샘플러가 자기 최고값에 빨리 닿은 것이다 (최고값 "
                      "자체는 양쪽이 다를 수 있다: 위 표).\n"
                    : "\n### Trials to come within 0.1 points of the best\n\n"
                      "Per repetition, the search's trials counted in number order (whatever their outcome) up to and "
                      "including the first whose valid-trial accuracy is within 0.1 points (0.001) of that study's "
                      "final best; re-evaluation trials are never counted. Difference = this experiment − baseline, "
                      "tested as above. Fewer trials means the sampler reached its own best sooner (the bests "
                      "themselves may differ: the tables above).\n");
    rp_printf(b, ko ? "\n| Optimizer | 반복 | Trial 수, 기준 (%s) | Trial 수, 이 실험 (%s) | 차이 (평균 ± 95 %% CI, Trial) | paired t p | sign-flip p |\n"
                    : "\n| Optimizer | repetitions | trials, baseline (%s) | trials, this (%s) | difference (mean ± 95 %% CI, trials) | paired t p | sign-flip p |\n",
              sb, sa);
    rp_printf(b, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_vs v;
        if (rp_baseline_vs(ex, i, RP_VS_TO_BEST, &v) == 0) continue;
        rp_printf(b, "| %s | %d | ", ex->studies[i].label, v.n);
        to_best_cell(b, v.b, v.n, lang);
        rp_printf(b, " | ");
        to_best_cell(b, v.a, v.n, lang);
        rp_printf(b, " | ");
        if (v.n >= 2) {
            rp_printf(b, "%+.1f", v.diff);
            if (!isnan(v.diff_half)) rp_printf(b, " ± %.1f", v.diff_half);
            p_cells(b, v.p_t, v.p_flip);
        } else {
            rp_printf(b, "%+.0f | — | — |\n", v.diff);
        }
    }
    rp_printf(b, "\n![%s](figures/pruning-best-so-far.png)\n",
              ko ? "Trial 별 지금까지의 최고 Valid 정확도, 반복 평균" : "best valid-trial accuracy so far per trial, mean over repetitions");
}

void rp_write_pruning(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    const rp_experiment *base = ex->baseline;
    if (!base) return;
    if (samplers_differ(ex)) {
        if (ko)
            rp_printf(b,
                      "이 실험 (`%s`, 샘플러 `%s`) 을 기준 실험 `%s` (샘플러 `%s`) 와 반복 번호끼리 짝지어 비교한다. 두 "
                      "실험은 시드가 같아서 반복 r 의 Trial k 는 양쪽에서 같은 초기 가중치와 같은 배치 순서로 출발한다; "
                      "다른 점은 샘플러다 (두 실험 파일이 달리 정한 설정이 더 있으면 그것도). 두 샘플러가 다른 "
                      "하이퍼파라미터를 고르는 Trial 부터 두 탐색은 갈라진다.\n",
                      ex->experiment, ex->sampler, base->experiment, base->sampler);
        else
            rp_printf(b,
                      "This experiment (`%s`, sampler `%s`) against the baseline experiment `%s` (sampler `%s`), "
                      "repetition by repetition. Both share the seed, so trial k of repetition r starts from the same "
                      "weights and batch order in both; they differ by the sampler (and by anything else their files "
                      "set differently), so the searches part from the first trial where the samplers choose "
                      "different hyperparameters.\n",
                      ex->experiment, ex->sampler, base->experiment, base->sampler);
    } else {
        if (ko)
            rp_printf(b,
                      "이 실험 (`%s`) 을 기준 실험 `%s` 와 반복 번호끼리 짝지어 비교한다. 두 실험은 시드가 같아서 반복 r 의 "
                      "Trial k 는 같은 초기 가중치와 같은 첫 무작위 탐색에서 출발한다; 다른 점은 Pruner 뿐이다 "
                      "(Pruner 가 Trial 을 멈춘 뒤로는 TPE 가 다른 기록을 보므로 그 다음 Trial 들은 달라진다).",
                      ex->experiment, base->experiment);
        else
            rp_printf(b,
                      "This experiment (`%s`) against the baseline experiment `%s`, repetition by repetition. Both "
                      "share the seed, so trial k of repetition r starts from the same weights and the same first "
                      "random draws in both; they differ only by the pruner (once it stops a trial, TPE sees another "
                      "history, so later trials differ).",
                      ex->experiment, base->experiment);
        if (ex->sampler) rp_printf(b, ko ? " 두 실험 모두 샘플러는 `%s`.\n" : " Both sample with `%s`.\n", ex->sampler);
        else rp_printf(b, "\n");
    }
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
                  "하지 않았다. 신뢰구간이 0 을 포함하면 이 반복 수로는 %s 최고 결과를 바꿨다고 말할 수 없다.\n",
                  samplers_differ(ex) ? "샘플러가" : "Pruner 가");
    else
        rp_printf(b,
                  "\nPer repetition, difference = this experiment − baseline. The **paired t-test** assumes the "
                  "differences are independent and roughly normal; the **sign-flip test** (exact paired permutation "
                  "test) assumes only that, with no effect, each difference is as likely positive as negative (with "
                  "R repetitions its smallest possible p is 2/2^R). Each optimizer is its own question, so no "
                  "correction for multiple comparisons is applied. A CI that contains 0 means these repetitions "
                  "cannot say that the %s changed the best result.\n",
                  samplers_differ(ex) ? "sampler" : "pruner");
    effect_table(b, ex, RP_METRIC_TEST, lang);
    effect_table(b, ex, RP_METRIC_VALID, lang);
    rp_printf(b, "\n![%s](figures/pruning-test.png)\n", ko ? "반복별 테스트 정확도, 기준과 이 실험" : "test accuracy per repetition, baseline and this experiment");
    to_best_table(b, ex, lang);
    /* the verdict, from the numbers above */
    double sv = saving((double)te, (double)tbe);
    int changed = 0, faster = 0, slower = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        rp_vs v;
        if (rp_baseline_vs(ex, i, RP_VS_TEST, &v) < 2) continue;
        if (!isnan(v.p_t) && v.p_t < 0.05) changed++;
        rp_baseline_vs(ex, i, RP_VS_TO_BEST, &v);
        if (!isnan(v.p_t) && v.p_t < 0.05) {
            faster += v.diff < 0;
            slower += v.diff > 0;
        }
    }
    if (samplers_differ(ex)) {
        if (ko)
            rp_printf(b, "\n**요약**: 샘플러 `%s` 와 기준의 `%s` (Optimizer 마다 반복 %d 회 이상 짝). 테스트 정확도가 "
                         "유의하게 (paired t, p < 0.05) 달라진 Optimizer: %d 개. 최고값에서 0.1 %%p 안에 드는 데 유의하게 "
                         "적은 Trial 이 든 Optimizer: %d 개, 많은 Trial 이 든 Optimizer: %d 개. 학습 Epoch 는 기준보다 "
                         "%.0f %% %s.\n",
                      ex->sampler, base->sampler, n_min, changed, faster, slower, fabs(100 * sv), sv >= 0 ? "적다" : "많다");
        else
            rp_printf(b, "\n**In short**: sampler `%s` against the baseline's `%s` (at least %d paired repetitions per "
                         "optimizer). Optimizers whose test accuracy changed significantly (paired t, p < 0.05): %d. "
                         "Optimizers that needed significantly fewer trials to come within 0.1 points of their best: "
                         "%d; significantly more: %d. Epochs trained: %.0f %% %s than the baseline.\n",
                      ex->sampler, base->sampler, n_min, changed, faster, slower, fabs(100 * sv), sv >= 0 ? "fewer" : "more");
        return;
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

/*
 * pruning-best-so-far: per optimizer, the best valid-trial accuracy after each of the search's trials, averaged
 * over the paired repetitions (those with trial k), for the baseline (dashed) and this experiment (solid): where
 * the two searches get, and how fast. Figure writers live in figures.c; this one sits beside its table.
 */
ol_status rp_pruning_best_so_far_figure(const rp_experiment *ex, const ol_report_options *opt, const char *dir,
                                        rp_buf *all, int *n_fig, ol_error *err) {
    static const char *colour[] = {"#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000"};
    const int n_colour = (int)(sizeof colour / sizeof colour[0]);
    ol_report_lang lang = opt->lang;
    int ko = KO(lang);
    const char *name = "pruning-best-so-far";
    rp_buf dat = {0}, gp = {0};
    rp_printf(&dat, "# best valid-trial accuracy so far (%%) after each search trial, mean over the paired repetitions\n"
                    "# two blocks per optimizer: baseline %s, then %s; trial k's value holds over [k, k+1), so each\n"
                    "# block ends with a row at N+1 (repetitions 0) repeating the last value\n",
              ex->baseline->experiment, ex->experiment);
    double lo = 100, hi = 0;
    int block = 0, n_lines = 0, n_max = 1;
    int blocks[RP_MAX_OPT]; /* index of each plotted study's first block, -1 if none */
    for (size_t i = 0; i < ex->n_studies && i < RP_MAX_OPT; i++) {
        rp_pair_set ps;
        blocks[i] = -1;
        if (rp_pruning_pairs(ex, i, &ps) == 0) continue;
        blocks[i] = block;
        for (int side = 0; side < 2; side++) { /* 0 the baseline, 1 this experiment */
            const rp_experiment *e = side ? ex : ex->baseline;
            int longest = 0;
            for (int r = 0; r < ps.n; r++) {
                const rp_rep_cell *c = side ? rp_cell(ex, ps.reps[r], i) : rp_cell(e, ps.base_reps[r], (size_t)ps.j);
                if (c->n_trials > longest) longest = c->n_trials;
            }
            rp_printf(&dat, "%s# block %d: %s, %s\n# trial\tmean_best_so_far_pct\trepetitions\n", block ? "\n\n" : "",
                      block, ex->studies[i].label, e->experiment);
            int any = 0;
            double last = NAN;
            for (int k = 0; k < longest; k++) {
                double s = 0;
                int m = 0;
                for (int r = 0; r < ps.n; r++) {
                    const rp_rep_cell *c =
                        side ? rp_cell(ex, ps.reps[r], i) : rp_cell(e, ps.base_reps[r], (size_t)ps.j);
                    if (k < c->n_trials && isfinite(c->best_so_far[k])) s += c->best_so_far[k], m++;
                }
                if (!m) continue;
                double v = 100 * s / m;
                rp_printf(&dat, "%d\t%.10g\t%d\n", k + 1, v, m);
                last = v;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
                any = 1;
            }
            if (!any) rp_printf(&dat, "NaN\tNaN\t0\n"); /* gnuplot wants the block to exist */
            else rp_printf(&dat, "%d\t%.10g\t0\n", longest + 1, last); /* the last trial's step, drawn to its end */
            if (longest > n_max) n_max = longest;
            block++;
            n_lines++;
        }
    }
    double y0, y1;
    rp_y_range(lo, hi, &y0, &y1);
    rp_fig_begin(&gp, name, "best valid-trial accuracy so far, baseline and this experiment", lang);
    char title[400];
    snprintf(title, sizeof title,
             ko ? "지금까지의 최고 Valid 정확도 (반복 평균): 기준 %s (%s, 점선) 와 %s (%s, 실선)"
                : "Best valid-trial accuracy so far, mean over repetitions:\nbaseline %s (%s, dashed) and %s (%s, solid)",
             ex->baseline->experiment, ex->baseline->sampler ? ex->baseline->sampler : "?", ex->experiment,
             ex->sampler ? ex->sampler : "?");
    rp_printf(&gp, "set title ");
    rp_gp_string(&gp, title);
    rp_printf(&gp, "\nset xlabel ");
    rp_gp_string(&gp, ko ? "Trial (탐색 순서)" : "trial (search order)");
    rp_printf(&gp, "\nset ylabel ");
    rp_gp_string(&gp, ko ? "지금까지의 최고 Valid 정확도 (%)" : "best valid-trial accuracy so far (%)");
    rp_printf(&gp, "\nset xrange [1:%d]\n", n_max + 1);
    if (n_max <= 10) rp_printf(&gp, "set xtics 1\n"); /* whole trials, never 1.5 */
    else rp_printf(&gp, "set format x \"%%.0f\"\n");
    rp_printf(&gp, "set yrange [%.6g:%.6g]\nset format y \"%%.%df\"\n", y0, y1, y1 - y0 < 4 ? 1 : 0);
    int rows = (n_lines + 1) / 2;
    rp_printf(&gp, "set bmargin %.1f\n", rows > 1 ? 6 + 1.5 * (rows - 1) : 6.0);
    rp_printf(&gp, "plot ");
    int first = 1;
    for (size_t i = 0; i < ex->n_studies && i < RP_MAX_OPT; i++) {
        if (blocks[i] < 0) continue;
        for (int side = 0; side < 2; side++) {
            const rp_experiment *e = side ? ex : ex->baseline;
            char key[300];
            snprintf(key, sizeof key, "%s, %s", ex->studies[i].label, e->sampler ? e->sampler : e->experiment);
            rp_printf(&gp, "%s\"%s.dat\" index %d using 1:2 with steps lw 2 dt %d lc rgb \"%s\" title ",
                      first ? "" : ", \\\n     ", name, blocks[i] + side, side ? 1 : 2, colour[i % (size_t)n_colour]);
            rp_gp_string(&gp, key);
            first = 0;
        }
    }
    rp_printf(&gp, "\n");
    rp_fig_end(&gp, name);
    return rp_fig_emit(dir, name, &dat, &gp, all, n_fig, err);
}
