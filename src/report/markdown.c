/*
 * markdown.c — README.md of the report, in the order of the seed note's
 * section 3-2: conclusion, results table, accuracy over the HPO, accuracy
 * against each hyperparameter, learning curves of the best trials, and the
 * trials that failed, diverged or never learned. Every number comes from the
 * model loaded by model.c; the figures it links are the ones figures.c draws
 * (same names, same rp_has_* tests).
 *
 * The conclusion never claims more than the data carries: two accuracies
 * count as different only when they differ by more than twice the binomial
 * standard error of their difference on the test set; the text says so.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define KO(ex_lang) ((ex_lang) == OL_REPORT_KO)

/* Binomial standard error of an accuracy p measured on n items. */
static double binom_se(double p, int n) { return sqrt(p * (1 - p) / n); }

typedef struct {
    const rp_study *s;
    double key; /* test (or valid-trial) accuracy ranked by */
} ranked;

static int cmp_ranked(const void *a, const void *b) {
    double x = ((const ranked *)a)->key, y = ((const ranked *)b)->key;
    return (x < y) - (x > y);
}

static const rp_trial *best_of(const rp_study *s) { return s->best >= 0 ? &s->trials[s->best] : NULL; }

typedef struct {
    const rp_study *s;
    rp_luck_result r;
} reeval_ranked;

static int cmp_reeval(const void *a, const void *b) {
    double x = ((const reeval_ranked *)a)->r.mean_test, y = ((const reeval_ranked *)b)->r.mean_test;
    return (x < y) - (x > y);
}

/* The conclusion's first line when re-evaluation trials exist: the optimizers ranked by
   their re-evaluated result (luck.c), each with its 95 % interval. */
static void reeval_ranking(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    reeval_ranked r[RP_MAX_RANKED];
    size_t n = 0;
    for (size_t i = 0; i < ex->n_studies && n < RP_MAX_RANKED; i++)
        if (rp_luck_result_of(&ex->studies[i], &r[n].r) && r[n].r.n_test > 0) r[n++].s = &ex->studies[i];
    if (!n) return;
    qsort(r, n, sizeof *r, cmp_reeval);
    int ko = KO(lang);
    rp_printf(b, ko ? "* 상위 설정을 새 시드로 재평가한 결과 (아래 \"최고 결과 중 운의 몫\"), 테스트 정확도 평균이 가장 "
                      "높은 Optimizer 는 "
                    : "* Re-evaluated with fresh seeds (see \"How much of the best result is luck\"), the highest mean "
                      "test accuracy is ");
    for (size_t i = 0; i < n; i++) {
        char m[32], h[32] = "";
        rp_pct(m, sizeof m, r[i].r.mean_test);
        if (isfinite(r[i].r.half_test)) snprintf(h, sizeof h, " ± %.2f", 100 * r[i].r.half_test);
        if (i == 0)
            rp_printf(b, ko ? "**%s** (%s %%%s, 시드 %d 개)" : "**%s** (%s %%%s, %d seeds)", r[i].s->label, m, h,
                      r[i].r.n_test);
        else
            rp_printf(b, "%s%s (%s %%%s)", i == 1 ? (ko ? " 이며, 그 다음은 " : "; then ") : ", ", r[i].s->label, m, h);
    }
    rp_printf(b, ko ? "%s 95 %% 신뢰구간이 겹치는 Optimizer 들은 이 재평가만으로는 구별되지 않는다.\n"
                    : "%s Optimizers whose 95 %% intervals overlap are not told apart by the re-evaluation alone.\n",
              ko ? (n > 1 ? " 순이다." : " 이다.") : ".");
}

void rp_single_analyse(const rp_experiment *ex, rp_single_verdict *v) {
    memset(v, 0, sizeof *v);
    ranked r[RP_MAX_RANKED];
    size_t n = 0;
    int all_test = 1;
    for (size_t i = 0; i < ex->n_studies && n < RP_MAX_RANKED; i++) {
        const rp_trial *t = best_of(&ex->studies[i]);
        if (!t) continue;
        all_test &= t->has_test;
        r[n++].s = &ex->studies[i];
    }
    /* rank by test accuracy; by valid-trial accuracy if a best trial lacks its test accuracy */
    int nref = all_test ? ex->n_test : ex->n_valid_trial;
    for (size_t i = 0; i < n; i++) r[i].key = all_test ? best_of(r[i].s)->test_accuracy : best_of(r[i].s)->value;
    qsort(r, n, sizeof *r, cmp_ranked);
    v->all_test = all_test;
    v->nref = nref;
    v->n = n;
    for (size_t i = 0; i < n; i++) {
        v->study[i] = (size_t)(r[i].s - ex->studies);
        v->key[i] = r[i].key;
        if (i == 0) continue;
        double p1 = r[0].key, p2 = r[i].key;
        v->diff[i] = p1 - p2;
        v->noise[i] = 2 * sqrt(binom_se(p1, nref) * binom_se(p1, nref) + binom_se(p2, nref) * binom_se(p2, nref));
        v->within[i] = v->diff[i] < v->noise[i];
        v->n_beyond += !v->within[i];
    }
}

static void conclusion(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    /* with repetitions, the evidence is how the results vary between them (repeats.c) */
    if (rp_has_repetitions(ex)) {
        rp_write_repeated_conclusion(b, ex, lang);
        return;
    }
    rp_single_verdict *v = malloc(sizeof *v);
    if (!v) {
        b->failed = 1;
        return;
    }
    rp_single_analyse(ex, v);
    ranked r[RP_MAX_RANKED];
    size_t n = v->n;
    int all_test = v->all_test, nref = v->nref;
    for (size_t i = 0; i < n; i++) {
        r[i].s = &ex->studies[v->study[i]];
        r[i].key = v->key[i];
    }
    char pct[32];
    int luck = rp_has_luck(ex);
    if (luck) reeval_ranking(b, ex, lang);
    if (!all_test)
        rp_printf(b, ko ? "* 일부 최적 Trial 에 테스트 정확도가 기록되지 않아, Valid 정확도 (Trial 단위) 로 순위를 매겼다.\n"
                        : "* Some best trials have no test accuracy stored, so the ranking uses the valid-trial "
                          "accuracy instead.\n");
    if (ko) {
        rp_printf(b, "* %s이 데이터에서 %s 정확도가 가장 높은 Optimizer 는 **%s** (%s %%)",
                  luck ? "단일 최고 Trial (시드 하나, 원 노트의 방식) 로는 " : "", all_test ? "테스트" : "Valid",
                  r[0].s->label, rp_pct(pct, sizeof pct, r[0].key));
        for (size_t i = 1; i < n; i++)
            rp_printf(b, "%s%s (%s %%)", i == 1 ? " 이며, 그 다음은 " : ", ", r[i].s->label,
                      rp_pct(pct, sizeof pct, r[i].key));
        rp_printf(b, "%s\n", n > 1 ? " 순이다." : " 이다.");
    } else {
        rp_printf(b, "* %sn this data **%s** reached the highest %s accuracy, %s %%",
                  luck ? "By the single best trial (one seed, the seed note's protocol), o" : "O", r[0].s->label,
                  all_test ? "test" : "valid-trial", rp_pct(pct, sizeof pct, r[0].key));
        for (size_t i = 1; i < n; i++)
            rp_printf(b, "%s%s %s %%", i == 1 ? "; then " : ", ", r[i].s->label, rp_pct(pct, sizeof pct, r[i].key));
        rp_printf(b, ".\n");
    }
    int n_beyond = v->n_beyond;
    for (size_t i = 1; i < n; i++) {
        double d = v->diff[i], noise = v->noise[i];
        int within = v->within[i];
        if (ko)
            rp_printf(b, "  * %s: %s 보다 %.2f %%p 낮음 — %s (차이의 표준오차 × 2 = %.2f %%p)\n", r[i].s->label,
                      r[0].s->label, 100 * d, within ? "**노이즈 범위 이내**" : "노이즈 범위보다 큰 차이",
                      100 * noise);
        else
            rp_printf(b, "  * %s: %.2f percentage points below %s — %s (2 × standard error of the difference = %.2f pp)\n",
                      r[i].s->label, 100 * d, r[0].s->label, within ? "**within noise**" : "larger than the noise",
                      100 * noise);
    }
    if (n > 1 && n_beyond == 0)
        rp_printf(b, ko ? "* 어떤 차이도 노이즈 범위를 넘지 않는다: 이 실험만으로는 Optimizer 간 우열을 가릴 수 없다.\n"
                        : "* No difference exceeds the noise: this run alone cannot tell these optimizers apart.\n");
    else if (n > 1 && n_beyond < (int)n - 1)
        rp_printf(b, ko ? "* 노이즈 범위 이내의 Optimizer 들은 이 실험만으로는 서로 구별할 수 없다.\n"
                        : "* Optimizers within noise of the best cannot be told apart from it by this run.\n");
    /* does the valid-trial ranking agree on the winner? */
    if (all_test && n > 1) {
        const rp_study *top_valid = r[0].s;
        for (size_t i = 1; i < n; i++)
            if (best_of(r[i].s)->value > best_of(top_valid)->value) top_valid = r[i].s;
        if (top_valid != r[0].s)
            rp_printf(b,
                      ko ? "* Valid 정확도 (Trial 단위) 로는 %s%s 가장 높아, 테스트 순위와 다르다 — 순위가 노이즈에 "
                           "좌우된다는 또 하나의 신호다.\n"
                         : "* By valid-trial accuracy %s%s comes first, unlike the test ranking — another sign that "
                           "the order is within noise.\n",
                      top_valid->label, ko ? rp_ko_particle(top_valid->label, " 이", " 가") : "");
    }
    /* the spread of each optimizer's top trials: how much the HPO itself moves the best value */
    rp_printf(b, ko ? "* 각 Optimizer 의 상위 5 개 Trial 의 Valid 정확도 범위: " : "* Valid-trial accuracy of each "
                                                                             "optimizer's 5 best trials: ");
    for (size_t i = 0; i < n; i++) {
        const rp_study *s = r[i].s;
        double top[5];
        int k = 0;
        for (size_t j = 0; j < s->n_trials; j++) {
            const rp_trial *t = &s->trials[j];
            if (!t->has_value) continue;
            int pos = k < 5 ? k++ : 5;
            while (pos > 0 && top[pos - 1] < t->value) {
                if (pos < 5) top[pos] = top[pos - 1];
                pos--;
            }
            if (pos < 5) top[pos] = t->value;
        }
        char lo[32], hi[32];
        rp_printf(b, "%s%s %s–%s %%", i ? ", " : "", s->label, rp_pct(lo, sizeof lo, top[k - 1]),
                  rp_pct(hi, sizeof hi, top[0]));
    }
    rp_printf(b, ".\n");
    char nref_text[32];
    rp_thousands(nref_text, sizeof nref_text, nref);
    if (ko)
        rp_printf(b,
                  "* 노이즈 추정: %s %s 장의 이미지로 측정한 정확도 p 의 이항 표준오차 √(p(1−p)/n). 두 정확도의 차이가 "
                  "차이의 표준오차 √(SE₁² + SE₂²) 의 2 배 (약 95 %% 구간) 보다 작으면 노이즈 범위 이내로 본다. "
                  "이는 %s 데이터의 표본 노이즈만 반영한다.\n"
                  "* 각 Optimizer 의 HPO 는 한 번씩만 실행되었다 (저장된 반복 %d 회 중 반복 번호 %d 를 보고). Optuna 의 랜덤성에 "
                  "의해서, 본 실험을 여러 번 반복할 경우 그 결과 간 성능 차이가 있을 수 있음.\n",
                  all_test ? "테스트 데이터" : "Valid 데이터 (Trial 단위)", nref_text, all_test ? "테스트" : "Valid",
                  ex->n_repetitions, ex->repetition);
    else
        rp_printf(b,
                  "* Noise estimate: the binomial standard error of an accuracy p measured on n = %s %s images, "
                  "√(p(1−p)/n); two accuracies are within noise when they differ by less than twice the standard "
                  "error of their difference, √(SE₁² + SE₂²) (about a 95 %% interval). This counts only the %s "
                  "set's sampling noise.\n"
                  "* Each optimizer's HPO ran once (%d repetition%s stored; this is repetition %d). The search is "
                  "random, so repeating the experiment can reorder optimizers that are close.\n",
                  nref_text, all_test ? "test" : "valid-trial", all_test ? "test" : "valid-trial", ex->n_repetitions,
                  ex->n_repetitions == 1 ? "" : "s", ex->repetition);
    if (n < ex->n_studies)
        for (size_t i = 0; i < ex->n_studies; i++)
            if (ex->studies[i].best < 0)
                rp_printf(b, ko ? "* %s: 완료된 Trial 이 없어 순위에서 제외 (%zu 개 모두 실패 또는 미완료).\n"
                                : "* %s: no completed trial, left out of the ranking (all %zu trials failed or "
                                  "unfinished).\n",
                          ex->studies[i].label, ex->studies[i].n_trials);
    free(v);
}

static void hparams_cell(rp_buf *b, const rp_study *s) {
    const rp_trial *t = best_of(s);
    if (!t) {
        rp_printf(b, "—");
        return;
    }
    for (size_t p = 0; p < s->n_params; p++) {
        char v[64];
        rp_printf(b, "%s%s = %s", p ? "<br>" : "", rp_param_label_md(s->params[p].name),
                  rp_format_param(v, sizeof v, &s->params[p], t->params[p]));
    }
    if (s->n_params == 0) rp_printf(b, "—");
}

/* "95.12 % ± 0.21 (#65, 10 seeds)": the study's re-evaluated result (luck.c), or "—" */
static void reeval_cell(rp_buf *b, const rp_study *s, ol_report_lang lang) {
    rp_luck_result r;
    char m[32];
    if (!rp_luck_result_of(s, &r) || r.n_test == 0) {
        rp_printf(b, "—");
        return;
    }
    rp_printf(b, "%s %%", rp_pct(m, sizeof m, r.mean_test));
    if (isfinite(r.half_test)) rp_printf(b, " ± %.2f", 100 * r.half_test);
    rp_printf(b, KO(lang) ? " (#%d, 시드 %d 개)" : " (#%d, %d seeds)", r.number, r.n_test);
}

static void results_table(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int luck = rp_has_luck(ex);
    if (luck)
        rp_printf(b, "| %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---|\n", rp_t(lang, RP_T_COL_OPT),
                  rp_t(lang, RP_T_COL_TEST), rp_t(lang, RP_T_COL_VALID), rp_t(lang, RP_T_COL_REEVAL),
                  rp_t(lang, RP_T_COL_HPARAMS));
    else
        rp_printf(b, "| %s | %s | %s | %s |\n|---|---:|---:|---|\n", rp_t(lang, RP_T_COL_OPT),
                  rp_t(lang, RP_T_COL_TEST), rp_t(lang, RP_T_COL_VALID), rp_t(lang, RP_T_COL_HPARAMS));
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        const rp_trial *t = best_of(s);
        char test[32] = "—", valid[32] = "—";
        if (t && t->has_test) rp_pct(test, sizeof test, t->test_accuracy);
        if (t) rp_pct(valid, sizeof valid, t->value);
        rp_printf(b, "| %s | %s%s | %s%s", s->label, test, t && t->has_test ? " %" : "", valid, t ? " %" : "");
        if (t) rp_printf(b, " (#%d)", t->number);
        rp_printf(b, " | ");
        if (luck) {
            reeval_cell(b, s, lang);
            rp_printf(b, " | ");
        }
        hparams_cell(b, s);
        rp_printf(b, " |\n");
    }
    char n_test[32], n_valid[32];
    rp_thousands(n_test, sizeof n_test, ex->n_test);
    rp_thousands(n_valid, sizeof n_valid, ex->n_valid_trial);
    if (KO(lang))
        rp_printf(b, "\n최종 성능: 각 Optimizer 의 최적 Trial (Valid 정확도가 가장 높은 Trial, Valid 데이터 %s 장) 의 "
                     "최적 Epoch 가중치로 측정한 테스트 정확도 (테스트 데이터 %s 장). (#N) 은 Trial 번호.\n",
                  n_valid, n_test);
    else
        rp_printf(b, "\nFinal accuracy: test accuracy (%s images) of the best-epoch weights of each optimizer's best "
                     "trial, the trial with the highest valid-trial accuracy (%s images); (#N) is its trial number.\n",
                  n_test, n_valid);
    if (luck)
        rp_printf(b,
                  KO(lang) ? "재평가 결과: 탐색이 끝난 뒤 상위 설정들을 새 시드로 다시 학습하여, 시드 평균 Valid 정확도가 "
                             "가장 높은 설정 (#N 은 그 설정을 처음 뽑은 Trial) 의 시드별 테스트 정확도 평균과 95 %% t "
                             "신뢰구간 (아래 \"최고 결과 중 운의 몫\" 참고). 최종 성능 열은 시드 하나로 얻은 단일 최고 "
                             "Trial 의 값이다.\n"
                           : "Re-evaluated: after the search, the best configurations were retrained with fresh seeds; "
                             "this is the mean test accuracy over seeds, with its 95 %% t interval, of the configuration "
                             "with the best mean valid-trial accuracy (#N is the trial that first drew it; see \"How "
                             "much of the best result is luck\" below). The final-accuracy column is the single best "
                             "trial's value, one seed.\n");
}

static void image(rp_buf *b, const char *alt, const char *name) {
    rp_printf(b, "\n![%s](figures/%s.png)\n", alt, name);
}

static void outlier_rule(rp_buf *b, ol_report_lang lang) {
    rp_printf(b,
              KO(lang) ? "이상치: 완료된 Trial 의 Valid 정확도 중 Q1 − 1.5 × IQR (Tukey 의 하한 울타리) 보다 낮은 값. "
                         "이상치가 있는 Optimizer 는 전체 범위 그림과, 이상치를 뺀 범위로 확대한 그림을 함께 싣는다 "
                         "(이상치가 없으면 전체 범위 그림이 이미 확대된 그림이다).\n"
                       : "Outliers: completed trials whose valid-trial accuracy is below Q1 − 1.5 × IQR of the "
                         "completed trials (Tukey's lower fence). Where an optimizer has outliers, its figures come "
                         "twice: all trials, then zoomed to the trials above the fence (with none, the full-range "
                         "figure is already the zoomed one).\n");
}

static void trend_section(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    outlier_rule(b, lang);
    rp_printf(b, KO(lang) ? "파란 점: 각 Trial 의 Valid 정확도; 주황 계단선: 현재까지 최고값; 검은 ×: 값 없이 끝난 (실패 또는 발산) "
                            "Trial; 노란 삼각형: 학습되지 않은 Trial.\n"
                          : "Blue dots: each trial's valid-trial accuracy; vermillion steps: the best so far; black ×: "
                            "trials that ended without a value (failed or diverged); orange triangles: trials that "
                            "never learned.\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        rp_printf(b, "\n### %s\n", s->label);
        if (s->best < 0) {
            rp_printf(b, KO(lang) ? "\n완료된 Trial 없음.\n" : "\nNo completed trial.\n");
            continue;
        }
        char name[160], alt[200];
        snprintf(name, sizeof name, "trend-%s", s->slug);
        snprintf(alt, sizeof alt, "%s: %s", s->label, rp_t(lang, RP_T_ALL_TRIALS));
        image(b, alt, name);
        if (rp_has_zoom(s)) {
            snprintf(name, sizeof name, "trend-%s-zoom", s->slug);
            snprintf(alt, sizeof alt, "%s: %s", s->label, rp_t(lang, RP_T_ZOOMED));
            image(b, alt, name);
        }
    }
}

static void params_section(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    rp_printf(b, ko ? "큰 주황 점: 최적 Trial. 로그 스케일로 탐색한 하이퍼파라미터는 x 축도 로그 스케일.\n"
                    : "Large vermillion dot: the best trial. Hyperparameters searched on a log scale have a log "
                      "x axis.\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        rp_printf(b, "\n### %s\n\n", s->label);
        if (s->best < 0) {
            rp_printf(b, ko ? "완료된 Trial 없음.\n" : "No completed trial.\n");
            continue;
        }
        if (s->n_params == 0) {
            rp_printf(b, ko ? "탐색한 하이퍼파라미터 없음.\n" : "No hyperparameter was searched.\n");
            continue;
        }
        rp_printf(b, "| %s | %s | %s | %s |\n|---|---|---|---|\n", rp_t(lang, RP_T_COL_HPARAM),
                  ko ? "탐색 범위" : "searched range", ko ? "최적값" : "best value", rp_t(lang, RP_T_COL_DIST));
        for (size_t p = 0; p < s->n_params; p++) {
            const rp_param *pp = &s->params[p];
            char lo[64], hi[64], best[64], pslug[96];
            rp_slug(pslug, sizeof pslug, pp->name);
            rp_printf(b, "| %s | ", rp_param_label_md(pp->name));
            if (pp->categorical) {
                for (size_t k = 0; k < pp->n_choices; k++) rp_printf(b, "%s%s", k ? ", " : "", pp->choices[k]);
            } else {
                /* the range's ends as written in the search space */
                rp_printf(b, "%s … %s%s", rp_format_bound(lo, sizeof lo, pp->low), rp_format_bound(hi, sizeof hi, pp->high),
                          pp->log_scale ? (ko ? " (로그)" : " (log)") : "");
            }
            rp_printf(b, " | %s | [%s](figures/param-%s-%s.png)", rp_format_param(best, sizeof best, pp,
                                                                              s->trials[s->best].params[p]),
                      rp_t(lang, RP_T_ALL_TRIALS), s->slug, pslug);
            if (rp_has_zoom(s))
                rp_printf(b, " · [%s](figures/param-%s-%s-zoom.png)", rp_t(lang, RP_T_ZOOMED), s->slug, pslug);
            rp_printf(b, " |\n");
        }
        for (size_t p = 0; p < s->n_params; p++) {
            char name[200], alt[300], pslug[96];
            rp_slug(pslug, sizeof pslug, s->params[p].name);
            snprintf(name, sizeof name, "param-%s-%s", s->slug, pslug);
            snprintf(alt, sizeof alt, "%s, %s: %s", s->label, rp_param_label(s->params[p].name),
                     rp_t(lang, RP_T_ALL_TRIALS));
            image(b, alt, name);
            if (rp_has_zoom(s)) {
                snprintf(name, sizeof name, "param-%s-%s-zoom", s->slug, pslug);
                snprintf(alt, sizeof alt, "%s, %s: %s", s->label, rp_param_label(s->params[p].name),
                         rp_t(lang, RP_T_ZOOMED));
                image(b, alt, name);
            }
        }
    }
}

static void curves_section(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    rp_printf(b, ko ? "Epoch 별 평균 학습 손실 (파란색, 왼쪽 축) 과 Valid 정확도 (Epoch 단위, 주황색, 오른쪽 축). "
                      "점선: 가중치를 저장한 최적 Epoch. Epoch 은 1 부터 센다.\n"
                    : "Mean training loss per epoch (blue, left axis) and valid-epoch accuracy (vermillion, right "
                      "axis). Dashed line: the best epoch, whose weights were kept. Epochs count from 1.\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        const rp_trial *t = best_of(s);
        rp_printf(b, "\n### %s\n", s->label);
        if (!t) {
            rp_printf(b, ko ? "\n완료된 Trial 없음.\n" : "\nNo completed trial.\n");
            continue;
        }
        rp_printf(b, ko ? "\n최적 Trial #%d" : "\nBest trial #%d", t->number);
        if (t->best_epoch >= 0 && t->epochs > 0)
        {
            if (ko) rp_printf(b, ": %d Epoch 중 %d 번째 Epoch 의 가중치", t->epochs, t->best_epoch + 1);
            else rp_printf(b, ": weights of epoch %d of %d", t->best_epoch + 1, t->epochs);
        }
        if (t->seconds >= 0) rp_printf(b, ko ? ", %.1f 초" : ", %.1f s", t->seconds);
        rp_printf(b, ".\n");
        if (rp_has_curves(s)) {
            char name[160], alt[200];
            snprintf(name, sizeof name, "curves-%s", s->slug);
            snprintf(alt, sizeof alt, "%s: %s", s->label, rp_t(lang, RP_T_CURVES));
            image(b, alt, name);
        } else {
            rp_printf(b, ko ? "\nEpoch 별 기록 없음.\n" : "\nNo per-epoch record stored.\n");
        }
    }
}

static void failures_section(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang);
    rp_printf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
              rp_t(lang, RP_T_COL_OPT), ko ? "Trial" : "trials", ko ? "정상 완료" : "completed",
              ko ? "학습 안 됨" : "never learned", ko ? "발산" : "diverged", ko ? "실패" : "failed",
              ko ? "Pruned" : "pruned", ko ? "미완료" : "unfinished");
    int any = 0;
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        rp_printf(b, "| %s | %zu | %d | %d | %d | %d | %d | %d |\n", s->label, s->n_trials, s->counts[RP_OK],
                  s->counts[RP_NEVER_LEARNED], s->counts[RP_DIVERGED], s->counts[RP_FAILED], s->counts[RP_PRUNED],
                  s->counts[RP_UNFINISHED]);
        any |= s->counts[RP_NEVER_LEARNED] | s->counts[RP_DIVERGED] | s->counts[RP_FAILED] | s->counts[RP_PRUNED];
    }
    rp_printf(b, "\n");
    /* what the HPO cost, so a pruner's savings show */
    rp_printf(b, ko ? "| Optimizer | 학습 Epoch (합계) | 학습 시간 (합계) | Pruned Trial 의 Epoch | Trial 당 평균 Epoch |\n"
                      "|---|---:|---:|---:|---:|\n"
                    : "| Optimizer | epochs trained (total) | training time (total) | epochs in pruned trials | "
                      "mean epochs per trial |\n|---|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        long epochs = 0, pruned_epochs = 0;
        double secs = 0;
        int counted = 0;
        for (size_t j = 0; j < s->n_trials; j++) {
            const rp_trial *t = &s->trials[j];
            if (t->epochs > 0) {
                epochs += t->epochs;
                counted++;
                if (t->outcome == RP_PRUNED) pruned_epochs += t->epochs;
            }
            if (t->seconds > 0) secs += t->seconds;
        }
        rp_printf(b, "| %s | %ld | %.0f s | %ld | %.1f |\n", s->label, epochs, secs, pruned_epochs,
                  counted ? (double)epochs / counted : 0.0);
    }
    rp_printf(b, "\n");
    if (!any)
        rp_printf(b, ko ? "모든 Trial 이 정상적으로 학습되었다.\n" : "Every trial trained normally.\n");
    else
        rp_printf(b, ko ? "그림에서: 값 없이 끝난 Trial (실패, 발산) 은 아래쪽 가장자리의 검은 × 로, 학습되지 않은 Trial "
                          "(한 Class 만 예측) 은 노란 삼각형으로 표시했다. 발산한 Trial (NaN/Inf) 이 값을 가지면 그 값 "
                          "그대로 파란 점으로 그렸다.\n"
                        : "In the figures: trials that ended without a value (failed, diverged) are black × at the "
                          "bottom edge; trials that never learned (predicting one class) are orange triangles. A "
                          "diverged trial that still has a value is drawn as a blue dot at that value.\n");
    int any_pruned = 0;
    for (size_t i = 0; i < ex->n_studies; i++) any_pruned |= ex->studies[i].counts[RP_PRUNED] > 0;
    if (any_pruned)
        rp_printf(b, ko ? "Pruned Trial (Pruner 가 조기 중단, Valid 정확도 값 없음) 은 HPO 추이 그림 아래쪽 가장자리의 회색 "
                          "네모로 표시했다.\n"
                        : "Pruned trials (stopped early by the pruner; no valid-trial value) are grey squares at the "
                          "bottom edge of the HPO trend figures.\n");
    /* which trials, by number, so a reader can look them up in storage */
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        int first = 1;
        for (size_t j = 0; j < s->n_trials; j++) {
            const rp_trial *t = &s->trials[j];
            if (t->outcome != RP_NEVER_LEARNED && t->outcome != RP_DIVERGED && t->outcome != RP_FAILED &&
                t->outcome != RP_PRUNED)
                continue;
            if (first) rp_printf(b, "\n* %s: ", s->label);
            rp_printf(b, "%s#%d (%s)", first ? "" : ", ", t->number,
                      t->outcome == RP_NEVER_LEARNED ? (ko ? "학습 안 됨" : "never learned")
                      : t->outcome == RP_DIVERGED    ? (ko ? "발산" : "diverged")
                      : t->outcome == RP_PRUNED      ? (ko ? "Pruned" : "pruned")
                                                     : (ko ? "실패" : "failed"));
            first = 0;
        }
    }
    rp_printf(b, "\n");
}

/* The learning-rate schedule of each study that has one (optlab:schedule), in the setup paragraph. */
static void schedules_line(rp_buf *b, const rp_experiment *ex, ol_report_lang lang) {
    int ko = KO(lang), any = 0;
    for (size_t i = 0; i < ex->n_studies; i++) any |= ex->studies[i].schedule != NULL;
    if (!any) return;
    rp_printf(b, ko ? " 학습률 스케줄 (매 에포크 후, OneCycleLR 은 매 배치 후; `$KEY` 는 탐색한 값):"
                    : " Learning-rate schedules (stepped after every epoch, OneCycleLR after every batch; "
                      "`$KEY` is a searched value):");
    const char *sep = " ";
    for (size_t i = 0; i < ex->n_studies; i++) {
        const rp_study *s = &ex->studies[i];
        rp_printf(b, "%s%s `%s`", sep, s->label, s->schedule ? s->schedule : (ko ? "상수" : "constant"));
        sep = "; ";
    }
    rp_printf(b, ".");
}

ol_status rp_write_markdown(const rp_experiment *ex, const ol_report_options *opt, const char *url,
                            const char *path, ol_error *err) {
    ol_report_lang lang = opt->lang;
    int ko = KO(lang);
    rp_buf b = {0};
    char safe_url[1024];
    rp_redact_url(safe_url, sizeof safe_url, url);
    rp_printf(&b, "# %s%s%s\n\n", rp_t(lang, RP_T_TITLE), ko ? "" : ": ", ko ? "" : ex->experiment);
    if (ko)
        rp_printf(&b, "실험 `%s` (반복 번호 %d, 저장된 반복 %d 회), 저장소 `%s` 에서 `optlab report` 로 생성.",
                  ex->experiment, ex->repetition, ex->n_repetitions, safe_url);
    else
        rp_printf(&b, "Experiment `%s` (repetition %d; %d repetition%s stored), built by `optlab report` from `%s`.",
                  ex->experiment, ex->repetition, ex->n_repetitions, ex->n_repetitions == 1 ? "" : "s", safe_url);
    int budget = ex->n_studies ? ex->studies[0].n_budget : 0;
    if (ex->dataset || budget > 0 || ex->seed >= 0) {
        rp_printf(&b, ko ? " 설정:" : " Setup:");
        const char *sep = " ";
        if (ex->dataset) rp_printf(&b, ko ? "%s데이터셋 %s" : "%sdataset %s", sep, ex->dataset), sep = ", ";
        if (ex->loss) rp_printf(&b, ko ? "%s손실 %s" : "%sloss %s", sep, ex->loss), sep = ", ";
        if (ex->sampler) rp_printf(&b, ko ? "%s샘플러 %s" : "%ssampler %s", sep, ex->sampler), sep = ", ";
        if (budget > 0) rp_printf(&b, ko ? "%sOptimizer 당 %d Trial" : "%s%d trials per optimizer", sep, budget), sep = ", ";
        if (ex->seed >= 0) rp_printf(&b, ko ? "%s시드 %lld" : "%sseed %lld", sep, ex->seed);
        rp_printf(&b, ".");
    }
    schedules_line(&b, ex, lang);
    if (opt->only)
        rp_printf(&b, ko ? " 이 보고서는 `--only` 로 고른 Optimizer %zu 개만 다룬다 (통계와 Holm 보정도 이들만)."
                         : " This report covers only the %zu optimizers chosen with `--only` (its statistics and Holm's "
                           "correction too).",
                  ex->n_studies);
    rp_printf(&b, ko ? " 다시 만들기: `optlab report --storage '%s' --experiment '%s'" : " Rebuild with `optlab report --storage '%s' --experiment '%s'",
              safe_url, ex->experiment);
    if (opt->only) rp_printf(&b, " --only '%s'", opt->only);
    if (ex->baseline) rp_printf(&b, " --baseline '%s'", ex->baseline->experiment);
    rp_printf(&b, ko ? " --lang ko`.\n" : "`.\n");
    rp_printf(&b, ko ? "그림마다 데이터 (`.dat`) 와 gnuplot 스크립트 (`.gp`) 가 `figures/` 에 함께 있어, 스크립트를 고쳐 "
                       "`gnuplot NAME.gp` 로 다시 그릴 수 있다.\n"
                     : "Each figure's data (`.dat`) and gnuplot script (`.gp`) sit beside it in `figures/`: edit the "
                       "script and run `gnuplot NAME.gp` there to redraw it.\n");
    rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_CONCLUSION));
    conclusion(&b, ex, lang);
    rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_TABLE));
    results_table(&b, ex, lang);
    if (ex->n_reps >= 2) {
        rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_REPEATS));
        rp_write_repetitions(&b, ex, lang);
    }
    if (ex->baseline) {
        rp_printf(&b, KO(lang) ? "\n## 기준 실험 `%s` 와 비교\n\n" : "\n## Against the baseline `%s`\n\n",
                  ex->baseline->experiment);
        rp_write_pruning(&b, ex, lang);
    }
    if (rp_has_luck(ex)) {
        rp_printf(&b, "\n## %s\n\n", KO(lang) ? "최고 결과 중 운의 몫" : "How much of the best result is luck");
        rp_write_luck(&b, ex, lang);
    }
    rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_TREND));
    trend_section(&b, ex, lang);
    rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_PARAMS));
    params_section(&b, ex, lang);
    rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_CURVES));
    curves_section(&b, ex, lang);
    rp_printf(&b, "\n## %s\n\n", rp_t(lang, RP_T_FAILURES));
    failures_section(&b, ex, lang);
    if (rp_has_never_learn(ex)) {
        rp_printf(&b, "\n## %s\n\n", KO(lang) ? "학습되지 않는 Trial" : "Trials that never learn");
        rp_write_never_learn(&b, ex, lang);
    }
    ol_status rc = rp_buf_save(&b, path, err);
    rp_buf_free(&b);
    return rc;
}
