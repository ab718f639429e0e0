/*
 * generic.c — the report of a study that is not an optlab experiment: one made
 * by `optlab ask`/`tell`, by Optuna, by any program writing Optuna's schema.
 * Nothing in it is an accuracy: the direction and the values are read from
 * storage and shown in their own units (no percent, no 0–100 % axis, no test
 * set, no noise estimate). It says which trial is best in the study's own
 * direction, lists the best trials, and links the history and one slice
 * figure per parameter (figures.c: history-SLUG, slice-SLUG-PARAM).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"

#define TOP_TRIALS 10

static const rp_study *sort_study; /* for cmp_trials (qsort has no context argument) */

static int cmp_trials(const void *a, const void *b) {
    const rp_trial *x = *(const rp_trial *const *)a, *y = *(const rp_trial *const *)b;
    if (rp_better(sort_study, x->value, y->value)) return -1;
    if (rp_better(sort_study, y->value, x->value)) return 1;
    return (x->number > y->number) - (x->number < y->number);
}

/* A value as stored, with the digits it needs: 6 significant ones. */
static char *fmt_value(char *buf, size_t n, double v) {
    snprintf(buf, n, "%.6g", v);
    return buf;
}

/* A parameter value: a float with 6 significant digits (a generic study's parameters have no
   registry to say how precisely they matter), an int as an int, a choice as its text. */
static char *fmt_param(char *buf, size_t n, const rp_param *p, double value) {
    if (p->categorical || p->is_int || !isfinite(value)) return rp_format_param(buf, n, p, value);
    snprintf(buf, n, "%.6g", value);
    return buf;
}

static void image(rp_buf *b, const char *alt, const char *name) {
    rp_printf(b, "![%s](figures/%s.png)\n\n", alt, name);
}

ol_status rp_write_generic_markdown(const rp_experiment *ex, const ol_report_options *opt, const char *url,
                                    const char *path, ol_error *err) {
    int ko = opt->lang == OL_REPORT_KO;
    const rp_study *s = &ex->studies[0];
    rp_buf b = {0};
    char safe_url[1024], v[64];
    rp_redact_url(safe_url, sizeof safe_url, url);
    const char *dir_en = s->maximize ? "maximize" : "minimize", *dir_ko = s->maximize ? "최대화" : "최소화";
    const char *better_en = s->maximize ? "highest" : "lowest", *better_ko = s->maximize ? "가장 큰" : "가장 작은";

    if (ko) {
        rp_printf(&b, "# Study `%s`\n\n", s->label);
        rp_printf(&b,
                  "저장소 `%s` 의 Study `%s` %s `optlab report` 로 정리했다. 이 Study 는 optlab 실험이 아니므로 "
                  "(`optlab:experiment` 속성 없음: `optlab ask`/`tell`, Optuna 등으로 만든 Study) 값을 정확도로 보지 않고 "
                  "저장된 그대로의 단위로 보인다. 방향 (저장소에서 읽음): **%s**. 다시 만들기: "
                  "`optlab report --storage '%s' --study-name '%s' --lang ko`.\n",
                  safe_url, s->label, rp_ko_particle(s->label, "을", "를"), dir_ko, safe_url, s->label);
    } else {
        rp_printf(&b, "# Study `%s`\n\n", s->label);
        rp_printf(&b,
                  "Study `%s` of `%s`, written by `optlab report`. It is not an optlab experiment (no "
                  "`optlab:experiment` attribute: made by `optlab ask`/`tell`, Optuna or another program), so its "
                  "values are shown as stored, in their own units, not as accuracies. Direction (read from storage): "
                  "**%s**. Rebuild with `optlab report --storage '%s' --study-name '%s'`.\n",
                  s->label, safe_url, dir_en, safe_url, s->label);
    }
    /* counts by state */
    int complete = 0, failed = s->counts[RP_FAILED] + s->counts[RP_DIVERGED], pruned = s->counts[RP_PRUNED],
        running = s->counts[RP_UNFINISHED];
    for (size_t i = 0; i < s->n_trials; i++) complete += s->trials[i].has_value;
    if (ko)
        rp_printf(&b, "\nTrial %zu 개: 완료 (값 있음) %d, 실패 %d, Pruned %d, 진행 중 %d.\n", s->n_trials, complete,
                  failed, pruned, running);
    else
        rp_printf(&b, "\n%zu trial%s: %d complete with a value, %d failed, %d pruned, %d running.\n", s->n_trials,
                  s->n_trials == 1 ? "" : "s", complete, failed, pruned, running);

    const rp_trial *best = s->best >= 0 ? &s->trials[s->best] : NULL;
    rp_printf(&b, ko ? "\n## 최적 Trial\n\n" : "\n## Best trial\n\n");
    if (best) {
        fmt_value(v, sizeof v, best->value);
        if (ko) {
            rp_printf(&b, "최적 Trial: #%d, 값 **%s** (완료된 Trial %d 개 중 %s 값; Study 방향 %s).", best->number, v,
                      complete, better_ko, dir_ko);
        } else {
            rp_printf(&b, "Trial #%d has the %s value, **%s**, of the %d complete trials (the study is to %s).",
                      best->number, better_en, v, complete, dir_en);
        }
        if (s->n_params) {
            rp_printf(&b, ko ? " 파라미터:" : " Parameters:");
            for (size_t p = 0; p < s->n_params; p++) {
                char pv[64];
                fmt_param(pv, sizeof pv, &s->params[p], best->params[p]);
                rp_printf(&b, "%s `%s` = %s", p ? "," : "", s->params[p].name, pv);
            }
            rp_printf(&b, ".");
        }
        rp_printf(&b, "\n");
    }

    /* the best trials, best first */
    const rp_trial **order = malloc((s->n_trials ? s->n_trials : 1) * sizeof *order);
    if (!order) return ol_fail(err, OL_ENOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < s->n_trials; i++)
        if (s->trials[i].has_value) order[m++] = &s->trials[i];
    sort_study = s;
    qsort(order, m, sizeof *order, cmp_trials);
    size_t shown = m < TOP_TRIALS ? m : TOP_TRIALS;
    if (ko)
        rp_printf(&b, "\n## 상위 Trial (값이 %s 순서로 %zu 개)\n\n| Trial | 값 |", better_ko, shown);
    else
        rp_printf(&b, "\n## Top trials (%zu, %s value first)\n\n| trial | value |", shown, better_en);
    for (size_t p = 0; p < s->n_params; p++) rp_printf(&b, " %s |", s->params[p].name);
    rp_printf(&b, "\n|---:|---:|");
    for (size_t p = 0; p < s->n_params; p++) rp_printf(&b, "---:|");
    rp_printf(&b, "\n");
    for (size_t k = 0; k < shown; k++) {
        const rp_trial *t = order[k];
        rp_printf(&b, "| %d | %s |", t->number, fmt_value(v, sizeof v, t->value));
        for (size_t p = 0; p < s->n_params; p++) {
            char pv[64];
            rp_printf(&b, " %s |", fmt_param(pv, sizeof pv, &s->params[p], t->params[p]));
        }
        rp_printf(&b, "\n");
    }
    free(order);

    char name[256];
    rp_printf(&b, ko ? "\n## 목적 함수 값의 추이\n\n" : "\n## History\n\n");
    snprintf(name, sizeof name, "history-%s", s->slug);
    image(&b, ko ? "목적 함수 값의 추이" : "objective value over the trials", name);
    rp_printf(&b, ko ? "파란 점: 완료된 각 Trial 의 값; 주황 계단선: 현재까지의 최적값 (%s). y 축은 데이터 범위를 따른다.\n"
                     : "Blue points: each complete trial's value; orange steps: the best so far (%s). The y axis "
                       "follows the data.\n",
              ko ? better_ko : better_en);
    if (s->n_params) {
        rp_printf(&b, ko ? "\n## 파라미터별 목적 함수 값\n\n" : "\n## Value against each parameter\n\n");
        for (size_t p = 0; p < s->n_params; p++) {
            char pslug[96];
            rp_slug(pslug, sizeof pslug, s->params[p].name);
            snprintf(name, sizeof name, "slice-%s-%s", s->slug, pslug);
            image(&b, s->params[p].name, name);
        }
        rp_printf(&b, ko ? "큰 주황 점: 최적 Trial. 로그 스케일로 탐색한 파라미터는 x 축도 로그 스케일.\n"
                         : "Large orange point: the best trial. A parameter searched on a log scale has a log x "
                           "axis.\n");
    }
    rp_printf(&b, ko ? "\n그림마다 데이터 (`.dat`) 와 gnuplot 스크립트 (`.gp`) 가 `figures/` 에 함께 있다.\n"
                     : "\nEach figure's data (`.dat`) and gnuplot script (`.gp`) sit beside it in `figures/`.\n");
    ol_status rc = rp_buf_save(&b, path, err);
    rp_buf_free(&b);
    return rc;
}
