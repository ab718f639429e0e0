/*
 * repeats.c — what R repetitions of an experiment say (issue 7, question 1).
 * A repetition reruns the whole HPO of every optimizer with new sampler and
 * initialisation seeds on the same data splits (`optlab run --repeat r`);
 * model.c summarises each stored repetition's studies into cells (best
 * valid-trial accuracy, its test accuracy, pruned trials, epochs, seconds).
 *
 * From those cells: per optimizer the mean and 95 % t interval over the
 * repetitions, how often each full ranking occurred, and pairwise
 * comparisons. Repetition r of every optimizer shares the splits and the
 * per-trial seeds, so the comparisons are paired by repetition: a paired
 * t-test (assumes independent, roughly normal differences) and the exact
 * sign-flip permutation test (assumes only that a difference is as likely
 * positive as negative when the optimizers are equal), both corrected with
 * Holm's method over all pairs. A difference is called significant when the
 * Holm-adjusted paired t-test p is below 0.05; the conclusion says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define KO(l) ((l) == OL_REPORT_KO)
#define ALPHA RP_ALPHA

static int cell_has(const rp_rep_cell *c, rp_metric m) {
    switch (m) {
    case RP_METRIC_TEST: return c->has_test;
    case RP_METRIC_REEVAL_TEST:
    case RP_METRIC_REEVAL_VALID: return c->has_reeval;
    default: return c->has_best;
    }
}
static double cell_value(const rp_rep_cell *c, rp_metric m) {
    switch (m) {
    case RP_METRIC_TEST: return c->test;
    case RP_METRIC_REEVAL_TEST: return c->reeval_test;
    case RP_METRIC_REEVAL_VALID: return c->reeval_valid;
    default: return c->best_valid;
    }
}

void rp_rep_values(const rp_experiment *ex, const rp_rep_stats *rs, size_t i, double *out) {
    for (int j = 0; j < rs->n; j++) out[j] = cell_value(rp_cell(ex, rs->reps[j], i), rs->metric);
}

/* Order of the studies in repetition k: by the metric, then by valid-trial accuracy, then study order. */
static void rank_rep(const rp_experiment *ex, int k, rp_metric m, size_t n_opt, int *order) {
    for (size_t i = 0; i < n_opt; i++) order[i] = (int)i;
    for (size_t i = 1; i < n_opt; i++)
        for (size_t j = i; j > 0; j--) {
            const rp_rep_cell *a = rp_cell(ex, k, (size_t)order[j - 1]), *b = rp_cell(ex, k, (size_t)order[j]);
            double va = cell_value(a, m), vb = cell_value(b, m);
            int swap = vb > va || (vb == va && b->best_valid > a->best_valid);
            if (!swap) break;
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

int rp_rep_analyse(const rp_experiment *ex, rp_metric metric, rp_rep_stats *rs) {
    memset(rs, 0, sizeof *rs);
    rs->metric = metric;
    rs->n_opt = ex->n_studies < RP_MAX_OPT ? ex->n_studies : RP_MAX_OPT;
    for (int k = 0; k < ex->n_reps; k++) {
        int all = rs->n_opt > 0;
        for (size_t i = 0; i < rs->n_opt; i++) all &= cell_has(rp_cell(ex, k, i), metric);
        if (all) rs->reps[rs->n++] = k;
    }
    if (rs->n < 1) return 0;
    double *v = malloc(sizeof(double) * (size_t)rs->n * rs->n_opt);
    if (!v) {
        rs->n = 0;
        return 0;
    }
    for (size_t i = 0; i < rs->n_opt; i++) {
        rp_rep_values(ex, rs, i, v + i * (size_t)rs->n);
        rp_mean_ci(v + i * (size_t)rs->n, rs->n, &rs->mean[i], &rs->half[i]);
    }
    int order[RP_MAX_OPT] = {0};
    for (int j = 0; j < rs->n; j++) {
        rank_rep(ex, rs->reps[j], metric, rs->n_opt, order);
        rs->first[order[0]]++;
    }
    for (size_t a = 0; a < rs->n_opt; a++)
        for (size_t b = a + 1; b < rs->n_opt && rs->n_pairs < RP_MAX_PAIRS; b++) {
            int q = rs->n_pairs++;
            rs->pa[q] = (int)a;
            rs->pb[q] = (int)b;
            const double *va = v + a * (size_t)rs->n, *vb = v + b * (size_t)rs->n;
            rp_paired_t(va, vb, rs->n, &rs->diff[q], &rs->diff_half[q], &rs->t[q], &rs->p_t[q]);
            rs->p_flip[q] = rp_sign_flip_p(va, vb, rs->n);
        }
    rp_holm(rs->p_t, rs->n_pairs, rs->p_t_holm);
    rp_holm(rs->p_flip, rs->n_pairs, rs->p_flip_holm);
    free(v);
    return rs->n;
}

int rp_has_repetitions(const rp_experiment *ex) {
    rp_rep_stats *rs = malloc(sizeof *rs);
    if (!rs) return 0;
    int n = rp_rep_analyse(ex, RP_METRIC_VALID, rs);
    free(rs);
    return n >= 2;
}

static char *pval(char *buf, size_t n, double p) {
    if (isnan(p)) snprintf(buf, n, "—");
    else snprintf(buf, n, "%.4f", p);
    return buf;
}

/* "97.12 ± 0.15 %" */
static void mean_ci_cell(rp_buf *b, double mean, double half) {
    if (isnan(half)) rp_printf(b, "%.2f %%", 100 * mean);
    else rp_printf(b, "%.2f ± %.2f %%", 100 * mean, 100 * half);
}

static const char *metric_name(rp_metric m, int ko) {
    if (m == RP_METRIC_TEST) return ko ? "테스트 정확도" : "test accuracy";
    if (m == RP_METRIC_REEVAL_TEST) return ko ? "재평가 결과의 평균 테스트 정확도" : "re-evaluated mean test accuracy";
    if (m == RP_METRIC_REEVAL_VALID) return ko ? "재평가 결과의 평균 Valid 정확도" : "re-evaluated mean valid-trial accuracy";
    return ko ? "최고 Valid 정확도 (Trial 단위)" : "best valid-trial accuracy";
}

/* The rankings of one metric and how often each occurred. */
static void rankings_table(rp_buf *b, const rp_experiment *ex, const rp_rep_stats *rs, ol_report_lang lang) {
    int ko = KO(lang);
    char (*names)[512] = calloc((size_t)rs->n, sizeof *names);
    int *count = calloc((size_t)rs->n, sizeof *count);
    if (!names || !count) {
        free(names);
        free(count);
        b->failed = 1;
        return;
    }
    int distinct = 0;
    for (int j = 0; j < rs->n; j++) {
        int order[RP_MAX_OPT] = {0};
        rank_rep(ex, rs->reps[j], rs->metric, rs->n_opt, order);
        char r[512] = "";
        size_t len = 0;
        for (size_t i = 0; i < rs->n_opt && len < sizeof r; i++)
            len += (size_t)snprintf(r + len, sizeof r - len, "%s%s", i ? " > " : "", ex->studies[order[i]].label);
        int k = 0;
        while (k < distinct && strcmp(names[k], r)) k++;
        if (k == distinct) snprintf(names[distinct++], sizeof names[0], "%s", r);
        count[k]++;
    }
    /* most frequent first (stable: first seen first among equals) */
    rp_printf(b, ko ? "\n| 순위 (%s 기준) | 반복 횟수 |\n|---|---:|\n" : "\n| ranking by %s | repetitions |\n|---|---:|\n",
              metric_name(rs->metric, ko));
    int *done = calloc((size_t)distinct + 1, sizeof *done);
    for (int shown = 0; done && shown < distinct; shown++) {
        int best = -1;
        for (int k = 0; k < distinct; k++)
            if (!done[k] && (best < 0 || count[k] > count[best])) best = k;
        done[best] = 1;
        rp_printf(b, "| %s | %d / %d |\n", names[best], count[best], rs->n);
    }
    free(done);
    free(names);
    free(count);
}

static void pairs_table(rp_buf *b, const rp_experiment *ex, const rp_rep_stats *rs, ol_report_lang lang) {
    int ko = KO(lang);
    rp_printf(b,
              ko ? "\n| 비교 (%s) | 평균 차이 (95 %% CI) | Paired t-test p | Holm | Sign-flip p | Holm | 판정 |\n"
                   "|---|---:|---:|---:|---:|---:|---|\n"
                 : "\n| pair (%s) | mean difference (95 %% CI) | paired t-test p | Holm | sign-flip p | Holm | verdict |\n"
                   "|---|---:|---:|---:|---:|---:|---|\n",
              metric_name(rs->metric, ko));
    for (int q = 0; q < rs->n_pairs; q++) {
        char p1[32], p2[32], p3[32], p4[32];
        int sig = rs->p_t_holm[q] < ALPHA;
        /* percentage points: "pp" in English, "%p" as Korean writes them (the conclusion's unit too) */
        rp_printf(b, ko ? "| %s − %s | %+.2f %%p" : "| %s − %s | %+.2f pp", ex->studies[rs->pa[q]].label,
                  ex->studies[rs->pb[q]].label, 100 * rs->diff[q]);
        if (!isnan(rs->diff_half[q]))
            rp_printf(b, " (%+.2f … %+.2f)", 100 * (rs->diff[q] - rs->diff_half[q]),
                      100 * (rs->diff[q] + rs->diff_half[q]));
        rp_printf(b, " | %s | %s | %s | %s | %s |\n", pval(p1, sizeof p1, rs->p_t[q]), pval(p2, sizeof p2, rs->p_t_holm[q]),
                  pval(p3, sizeof p3, rs->p_flip[q]), pval(p4, sizeof p4, rs->p_flip_holm[q]),
                  sig ? (ko ? "**유의함**" : "**significant**") : (ko ? "유의하지 않음" : "not significant"));
    }
}

/* The start of one left-out repetition in write_unfinished's sentence: the sentence's opening before the first,
   a semicolon before the others, then " repetition K (". */
static void unfinished_head(rp_buf *b, int *any, int ko, int rep) {
    if (!(*any)++)
        rp_printf(b, ko ? "\n아래 통계에 들어가지 않은, 보고서를 쓸 때 끝나지 않은 반복:"
                        : "\nNot in these statistics, not finished when this report was written:");
    else
        rp_printf(b, ";");
    rp_printf(b, ko ? " 반복 %d (" : " repetition %d (", rep);
}

/* The stored repetitions left out of rs because a study of theirs had not finished (model.c's finished_of),
   each with how far its unfinished studies had got: "Not in these statistics, not finished when this report
   was written: repetition 3 (AdamW 25 of 70 trials, Adadelta not started)." Nothing when none is. */
static void write_unfinished(rp_buf *b, const rp_experiment *ex, const rp_rep_stats *rs, int reeval, ol_report_lang lang) {
    int ko = KO(lang), any = 0;
    for (int k = 0; k < ex->n_reps; k++) {
        if (rp_rep_stats_uses(rs, k)) continue;
        int parts = 0;
        if (rp_rep_untouched(ex, k)) { /* `optlab run --repeat R` creates every repetition's studies before it starts */
            unfinished_head(b, &any, ko, ex->rep_index[k]);
            rp_printf(b, ko ? "시작 전)" : "not started)");
            continue;
        }
        for (size_t i = 0; i < rs->n_opt; i++) {
            const rp_rep_cell *c = rp_cell(ex, k, i);
            const char *label = ex->studies[i].label;
            rp_rep_stage stage = rp_rep_cell_stage(c, reeval);
            if (stage == RP_STAGE_DONE) continue;
            if (!parts++)
                unfinished_head(b, &any, ko, ex->rep_index[k]);
            else
                rp_printf(b, ", ");
            if (stage == RP_STAGE_NOT_STARTED) rp_printf(b, ko ? "%s 시작 전" : "%s not started", label);
            else if (stage == RP_STAGE_SEARCH) rp_printf(b, ko ? "%s Trial %d / %d" : "%s %d of %d trials", label, c->search_done, c->budget);
            else if (c->reeval_expected > 0)
                rp_printf(b, ko ? "%s 재평가 %d / %d" : "%s re-evaluation %d of %d trials", label, c->reeval_done,
                          c->reeval_expected);
            else rp_printf(b, ko ? "%s 재평가 %d 회 완료" : "%s re-evaluation, %d trials done", label, c->reeval_done);
        }
        if (parts) rp_printf(b, ")");
    }
    if (any) rp_printf(b, ".\n");
}

/* Issue 17.5: the repetitions compared by their re-evaluated results (each repetition's best
   configuration by mean over fresh seeds, luck.c) beside their single best trials. */
static void write_reeval_repetitions(rp_buf *b, const rp_experiment *ex, const rp_rep_stats *re, ol_report_lang lang) {
    int ko = KO(lang);
    rp_printf(b, ko ? "\n### 재평가 결과로 본 반복\n" : "\n### The repetitions by their re-evaluated results\n");
    rp_printf(b,
              ko ? "\n반복 %d 회 모두에서 각 Optimizer 의 상위 설정을 새 시드로 다시 학습했다 (\"최고 결과 중 운의 몫\" 절). "
                   "반복마다 재평가 결과 (시드 평균 Valid 정확도가 가장 높은 설정) 의 평균 테스트 정확도를 쓰고, 같은 반복들의 "
                   "단일 최고 Trial 테스트 정확도를 옆에 둔다. 승자의 저주 = 그 반복의 탐색 최고 Trial 의 Valid 값 − 같은 설정의 "
                   "학습된 시드 재평가 평균 (%%p). 학습 시간: 이 반복들의 Trial `seconds` 합계, 탐색과 재평가 각각.\n"
                 : "\nIn all %d of these repetitions each optimizer's best configurations were retrained with fresh seeds "
                   "(the luck section). Each repetition contributes its re-evaluated result's mean test accuracy (the "
                   "configuration with the best mean valid-trial accuracy over the seeds); the single best trial's test "
                   "accuracy of the same repetitions stands beside it. Winner's curse = the repetition's best search "
                   "trial's valid value − the same configuration's re-evaluated mean over the seeds that learned (points). "
                   "Training time: the trials' "
                   "`seconds` summed over these repetitions, the search's and the re-evaluation's.\n",
              re->n);
    write_unfinished(b, ex, re, 1, lang);
    rp_printf(b, ko ? "\n| Optimizer | 재평가 결과: 테스트 (평균 ± 95 %% CI) | 단일 최고 Trial: 테스트 (평균 ± 95 %% CI) | "
                      "승자의 저주 (평균 ± 95 %% CI, %%p) | 1 위 횟수 (재평가) | 학습 시간: 탐색 / 재평가 (합계) |\n"
                      "|---|---:|---:|---:|---:|---:|\n"
                    : "\n| Optimizer | re-evaluated: test (mean ± 95 %% CI) | single best trial: test (mean ± 95 %% CI) | "
                      "winner's curse (mean ± 95 %% CI, points) | ranked first (re-evaluated) | training time: search / "
                      "re-evaluation (total) |\n|---|---:|---:|---:|---:|---:|\n");
    double single[RP_MAX_REPS], curse[RP_MAX_REPS];
    for (size_t i = 0; i < re->n_opt; i++) {
        double search_s = 0, reeval_s = 0;
        for (int j = 0; j < re->n; j++) {
            const rp_rep_cell *c = rp_cell(ex, re->reps[j], i);
            single[j] = c->has_test ? c->test : NAN;
            curse[j] = 100 * c->reeval_curse;
            search_s += c->seconds;
            reeval_s += c->reeval_seconds;
        }
        double sm, sh, cm, ch;
        int ns = rp_finite_mean_ci(single, re->n, &sm, &sh), nc = rp_finite_mean_ci(curse, re->n, &cm, &ch);
        rp_printf(b, "| %s | ", ex->studies[i].label);
        mean_ci_cell(b, re->mean[i], re->half[i]);
        rp_printf(b, " | ");
        if (ns) mean_ci_cell(b, sm, sh);
        else rp_printf(b, "—");
        if (!nc) rp_printf(b, " | —");
        else if (isnan(ch)) rp_printf(b, " | %+.2f", cm);
        else rp_printf(b, " | %+.2f ± %.2f", cm, ch);
        rp_printf(b, " | %d / %d | %.0f s / %.0f s |\n", re->first[i], re->n, search_s, reeval_s);
    }
    rp_printf(b, "\n![%s](figures/repeats-reeval-test.png)\n",
              ko ? "반복별 재평가 결과의 테스트 정확도" : "re-evaluated test accuracy per repetition");
    rankings_table(b, ex, re, lang);
    pairs_table(b, ex, re, lang);
}

void rp_write_repetitions(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    rp_rep_stats *test = malloc(sizeof *test), *valid = malloc(sizeof *valid);
    if (!test || !valid) {
        free(test);
        free(valid);
        b->failed = 1;
        return;
    }
    rp_rep_analyse(ex, RP_METRIC_TEST, test);
    rp_rep_analyse(ex, RP_METRIC_VALID, valid);
    if (ko) rp_printf(b, "저장된 반복 %d 회 (반복 번호", ex->n_reps);
    else rp_printf(b, "%d repetitions of the experiment are stored (numbers", ex->n_reps);
    for (int k = 0; k < ex->n_reps; k++) rp_printf(b, "%s%d", k ? ", " : " ", ex->rep_index[k]);
    if (ko)
        rp_printf(b, "). 반복마다 같은 데이터 분할에서 HPO 전체를 새 Sampler 시드와 새 초기화 시드로 다시 실행했다 "
                     "(`optlab run --repeat r`). 모든 Optimizer 의 결과가 있는 반복 %d 회 (테스트 정확도는 %d 회) 가 "
                     "아래 통계에 들어간다.\n",
                  valid->n, test->n);
    else
        rp_printf(b, "). Each reruns the whole HPO of every optimizer with new sampler and initialisation seeds on "
                     "the same data splits (`optlab run --repeat r`). The %d repetition%s with a result for every "
                     "optimizer (%d with test accuracies) %s the statistics below.\n",
                  valid->n, valid->n == 1 ? "" : "s", test->n, valid->n == 1 ? "enters" : "enter");
    write_unfinished(b, ex, valid, 0, lang);
    if (valid->n < 2) {
        rp_printf(b, ko ? "\n통계를 내려면 모든 Optimizer 의 결과가 있는 반복이 2 회 이상 필요하다.\n"
                        : "\nStatistics need at least 2 repetitions with a result for every optimizer.\n");
        free(test);
        free(valid);
        return;
    }
    /* per optimizer */
    rp_printf(b, ko ? "\n| Optimizer | 테스트 정확도 (평균 ± 95 %% CI) | 최고 Valid 정확도 (평균 ± 95 %% CI) | 1 위 횟수 | "
                      "Pruned Trial | 학습 Epoch (합계) | 학습 시간 (합계) |\n|---|---:|---:|---:|---:|---:|---:|\n"
                    : "\n| Optimizer | test accuracy (mean ± 95 %% CI) | best valid-trial accuracy (mean ± 95 %% CI) | "
                      "ranked first | pruned trials | epochs trained (total) | training time (total) |\n"
                      "|---|---:|---:|---:|---:|---:|---:|\n");
    const rp_rep_stats *rank_by = test->n >= 2 ? test : valid;
    for (size_t i = 0; i < valid->n_opt; i++) {
        long epochs = 0;
        double secs = 0;
        int pruned = 0, trials = 0;
        for (int j = 0; j < valid->n; j++) {
            const rp_rep_cell *c = rp_cell(ex, valid->reps[j], i);
            epochs += c->epochs;
            secs += c->seconds;
            pruned += c->n_pruned;
            trials += c->n_trials;
        }
        rp_printf(b, "| %s | ", ex->studies[i].label);
        if (test->n >= 1) mean_ci_cell(b, test->mean[i], test->half[i]);
        else rp_printf(b, "—");
        rp_printf(b, " | ");
        mean_ci_cell(b, valid->mean[i], valid->half[i]);
        rp_printf(b, " | %d / %d | %d / %d | %ld | %.0f s |\n", rank_by->first[i], rank_by->n, pruned, trials, epochs,
                  secs);
    }
    char tq[32];
    snprintf(tq, sizeof tq, "%.3f", rp_t975(valid->n - 1));
    if (ko)
        rp_printf(b,
                  "\n각 반복의 값: 그 반복에서 Valid 정확도가 가장 높은 Trial 의 테스트 정확도, 그리고 그 Valid 정확도. "
                  "95 %% 신뢰구간: 평균 ± t(0.975, R−1) · s / √R (R = %d, 자유도 %d, t = %s; t 분위수는 자유도 30 까지 "
                  "표, 그 위로는 Cornish–Fisher 전개). R 개의 값이 서로 독립이고 대략 정규분포를 따른다고 가정한다. "
                  "학습 Epoch 과 시간은 이 반복들의 모든 Trial 합계.\n",
                  valid->n, valid->n - 1, tq);
    else
        rp_printf(b,
                  "\nEach repetition contributes the test accuracy of its best trial (highest valid-trial "
                  "accuracy) and that valid-trial accuracy. 95 %% CI: mean ± t(0.975, R−1) · s/√R with R = %d, "
                  "%d degrees of freedom, t = %s (Student's t from a table up to 30 degrees of freedom, the "
                  "Cornish–Fisher expansion above); it assumes the R values are independent and roughly normal. "
                  "Epochs and time are totals over all trials of these repetitions.\n",
                  valid->n, valid->n - 1, tq);
    rp_printf(b, "\n![%s](figures/repeats-valid.png)\n", ko ? "반복별 최고 Valid 정확도" : "best valid-trial accuracy per repetition");
    if (test->n >= 2)
        rp_printf(b, "\n![%s](figures/repeats-test.png)\n", ko ? "반복별 테스트 정확도" : "test accuracy per repetition");
    rp_printf(b, ko ? "\n그림: 점 하나가 반복 하나, 가로 막대와 오차 막대는 평균과 95 %% 신뢰구간.\n"
                    : "\nFigures: one dot per repetition; the bar and whiskers are the mean and its 95 %% CI.\n");
    /* rankings */
    rp_printf(b, ko ? "\n### 순위가 나온 횟수\n" : "\n### How often each ranking occurred\n");
    rankings_table(b, ex, rank_by, lang);
    /* pairs */
    rp_printf(b, ko ? "\n### Optimizer 간 차이의 유의성\n" : "\n### Which differences are significant\n");
    int min_exact = valid->n <= RP_MAX_EXACT;
    if (ko)
        rp_printf(b,
                  "\n반복 r 의 모든 Optimizer 는 같은 데이터 분할과 같은 Trial 별 초기화·배치 순서 시드를 쓰므로, "
                  "반복 안에서 차이를 구해 짝지어 (paired) 비교한다. **Paired t-test**: R 개의 차이가 독립이고 대략 "
                  "정규분포를 따른다고 가정한다. **Sign-flip test** (정확한 짝 순열 검정): 차이들의 부호를 바꾼 2^R "
                  "가지 경우를 모두 세며, 두 Optimizer 가 같다면 각 차이가 양수일 확률과 음수일 확률이 같다 (대칭) "
                  "는 것만 가정한다%s. 두 검정 모두 %d 쌍에 대해 **Holm 보정**을 했다 (쌍 전체의 1 종 오류율 ≤ 5 %%). "
                  "판정: Holm 보정한 paired t-test p < 0.05 이면 유의함.\n",
                  min_exact ? "; R 이 작으면 가능한 가장 작은 p 가 2/2^R 이라 유의해지기 어렵다" : "", valid->n_pairs);
    else
        rp_printf(b,
                  "\nRepetition r of every optimizer uses the same data splits and the same per-trial initialisation "
                  "and batch-order seeds, so differences are taken within each repetition (paired). **Paired "
                  "t-test**: assumes the R differences are independent and roughly normal. **Sign-flip test** "
                  "(exact paired permutation test): counts all 2^R sign patterns of the differences and assumes "
                  "only that, were the optimizers equal, each difference would be as likely positive as negative "
                  "(symmetry)%s. Both are corrected with **Holm's method** over the %d pair%s (family-wise error "
                  "rate ≤ 5 %%). Verdict: significant when the Holm-adjusted paired t-test p < 0.05.\n",
                  min_exact ? "; with few repetitions its smallest possible p is 2/2^R, so it is conservative" : "",
                  valid->n_pairs, valid->n_pairs == 1 ? "" : "s");
    if (test->n >= 2) pairs_table(b, ex, test, lang);
    pairs_table(b, ex, valid, lang);
    /* the same repetitions' re-evaluated results, when every repetition has them */
    if (rp_rep_analyse(ex, RP_METRIC_REEVAL_TEST, test) >= 2) write_reeval_repetitions(b, ex, test, lang);
    free(test);
    free(valid);
}

void rp_rep_order(const rp_rep_stats *rs, int *order) {
    for (size_t i = 0; i < rs->n_opt; i++) order[i] = (int)i;
    for (size_t i = 1; i < rs->n_opt; i++)
        for (size_t j = i; j > 0 && rs->mean[order[j]] > rs->mean[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

int rp_rep_verdict(const rp_experiment *ex, rp_rep_stats *rs, int *order) {
    if (rp_rep_analyse(ex, RP_METRIC_TEST, rs) < 2) rp_rep_analyse(ex, RP_METRIC_VALID, rs);
    rp_rep_order(rs, order);
    return rs->n;
}

int rp_rep_pair(const rp_rep_stats *rs, int a, int b) {
    for (int q = 0; q < rs->n_pairs; q++)
        if ((rs->pa[q] == a && rs->pb[q] == b) || (rs->pa[q] == b && rs->pb[q] == a)) return q;
    return -1;
}

void rp_write_repeated_conclusion(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    rp_rep_stats *rs = malloc(sizeof *rs);
    if (!rs) {
        b->failed = 1;
        return;
    }
    int order[RP_MAX_OPT] = {0};
    rp_rep_verdict(ex, rs, order);
    const char *what = metric_name(rs->metric, ko);
    int top = order[0];
    if (ko) rp_printf(b, "* 실험을 %d 번 반복한 결과, 평균 %s 순위: ", rs->n, what);
    else rp_printf(b, "* Over %d repetitions of the experiment, by mean %s: ", rs->n, what);
    for (size_t i = 0; i < rs->n_opt; i++) {
        rp_printf(b, i ? ", " : "**");
        rp_printf(b, "%s", ex->studies[order[i]].label);
        rp_printf(b, i ? " " : "** ");
        mean_ci_cell(b, rs->mean[order[i]], rs->half[order[i]]);
    }
    /* Korean: the particles after a label are ones that do not depend on how it ends (의, 보다, 대비,
       이다) — "Adam 는" / "Adam 와" would be wrong, and a label's pronunciation is unknown here */
    rp_printf(b, ko ? " (평균 ± 95 %% 신뢰구간). %s 의 1 위 횟수는 %d 번 중 %d 번이다.\n"
                    : " (mean ± 95 %% CI). %s ranked first in %d of %d repetitions.\n",
              ex->studies[top].label, ko ? rs->n : rs->first[top], ko ? rs->first[top] : rs->n);
    int n_sig = 0;
    for (size_t i = 1; i < rs->n_opt; i++) {
        int o = order[i];
        int q = rp_rep_pair(rs, top, o);
        if (q < 0) continue;
        double d = rs->pa[q] == top ? rs->diff[q] : -rs->diff[q];
        int sig = rs->p_t_holm[q] < ALPHA;
        n_sig += sig;
        char p1[32], p2[32];
        if (ko)
            rp_printf(b, "  * %s: %s 보다 평균 %.2f %%p 낮음 — %s (paired t-test p = %s, Holm 보정 p = %s)\n",
                      ex->studies[o].label, ex->studies[top].label, 100 * d,
                      sig ? "**유의한 차이**" : "**유의하지 않음**", pval(p1, sizeof p1, rs->p_t[q]),
                      pval(p2, sizeof p2, rs->p_t_holm[q]));
        else
            rp_printf(b, "  * %s: %.2f percentage points below %s on average — %s (paired t-test p = %s, Holm-adjusted p = %s)\n",
                      ex->studies[o].label, 100 * d, ex->studies[top].label,
                      sig ? "**significant**" : "**not significant**", pval(p1, sizeof p1, rs->p_t[q]),
                      pval(p2, sizeof p2, rs->p_t_holm[q]));
    }
    if (rs->n_opt > 1) {
        if (n_sig == (int)rs->n_opt - 1)
            rp_printf(b, ko ? "* 따라서 이 데이터에서 가장 좋은 Optimizer 는 **%s** 이다: 다른 모든 Optimizer 와의 "
                              "차이가 HPO 의 랜덤성 (반복 간 차이) 보다 크다.\n"
                            : "* So on this data **%s** is the best optimizer: its lead over every other one is "
                              "larger than what the HPO's randomness moves between repetitions.\n",
                      ex->studies[top].label);
        else if (n_sig == 0)
            rp_printf(b, ko ? "* 어떤 차이도 유의하지 않다: HPO 의 랜덤성을 고려하면 이 실험으로는 Optimizer 간 우열을 "
                              "가릴 수 없다.\n"
                            : "* No difference is significant: given the HPO's randomness, this experiment cannot "
                              "tell these optimizers apart.\n");
        else
            rp_printf(b, ko ? "* %s 보다 유의하게 낮지 않은 Optimizer 는 이 실험만으로는 %s 대비 우열을 가릴 수 없다.\n"
                            : "* The optimizers not significantly below %s cannot be told apart from it by this "
                              "experiment.\n",
                      ex->studies[top].label, ex->studies[top].label);
    }
    if (rp_rep_analyse(ex, RP_METRIC_REEVAL_TEST, rs) >= 2) { /* issue 17.5: the same question, re-evaluated */
        rp_rep_order(rs, order);
        int rtop = order[0];
        rp_printf(b, ko ? "* 재평가 결과 (반복마다 상위 설정을 새 시드로 다시 학습해 고른 설정의 평균 테스트 정확도) 로는: "
                        : "* By re-evaluated results (each repetition's configuration chosen by retraining its best ones "
                          "with fresh seeds, its mean test accuracy): ");
        for (size_t i = 0; i < rs->n_opt; i++) {
            rp_printf(b, i ? ", %s " : "**%s** ", ex->studies[order[i]].label);
            mean_ci_cell(b, rs->mean[order[i]], rs->half[order[i]]);
        }
        rp_printf(b, ko ? ". %s 대비:" : ". Against %s:", ex->studies[rtop].label);
        for (size_t i = 1; i < rs->n_opt; i++) {
            int q = rp_rep_pair(rs, rtop, order[i]);
            if (q < 0) continue;
            double d = rs->pa[q] == rtop ? rs->diff[q] : -rs->diff[q];
            int sig = rs->p_t_holm[q] < ALPHA;
            char p2[32];
            rp_printf(b, ko ? " %s %.2f %%p 낮음 (%s, Holm 보정 p = %s)%s" : " %s %.2f points below (%s, Holm-adjusted p = %s)%s",
                      ex->studies[order[i]].label, 100 * d,
                      sig ? (ko ? "**유의함**" : "**significant**") : (ko ? "유의하지 않음" : "not significant"),
                      pval(p2, sizeof p2, rs->p_t_holm[q]), i + 1 < rs->n_opt ? ";" : ".\n");
        }
    }
    rp_printf(b, ko ? "* 검정과 가정, 순위 빈도는 아래 \"반복 실험\" 절에 있다. 결과 표와 그림은 반복 번호 %d 의 것이다.\n"
                    : "* Tests, their assumptions and the ranking frequencies are in the Repetitions section below. "
                      "The results table and figures show repetition %d.\n",
              ex->repetition);
    free(rs);
}
