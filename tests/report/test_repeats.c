/*
 * The report's Repetitions section and its statistics (src/report/stats.c,
 * repeats.c). First the statistics against independent computations: the t
 * distribution's tail in the closed forms known for 1, 2 and 3 degrees of
 * freedom, the t quantile against the tail function, Holm's adjustment and
 * the exact sign-flip test on hand-counted cases. Then a stored experiment of
 * 3 optimizers × 4 repetitions (written through the storage API, values
 * chosen so every number is known by hand) whose report must print the means,
 * 95 % intervals, ranking counts, p-values, Holm-adjusted p-values, verdicts,
 * pruned counts and costs computed here.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/report/report_internal.h"
#include "optlab/report.h"
#include "optlab/storage.h"

#include "fixture.h"

/* Closed forms of P(|T| >= t): df 1 (Cauchy), 2, 3. */
static double p_closed(double t, int df) {
    t = fabs(t);
    if (df == 1) return 1 - 2 / M_PI * atan(t);
    if (df == 2) return 1 - t / sqrt(2 + t * t);
    double th = atan(t / sqrt(3.0));
    return 1 - 2 / M_PI * (th + sin(th) * cos(th));
}

Test(stats, t_tail_matches_closed_forms) {
    for (int df = 1; df <= 3; df++)
        for (double t = 0; t < 40; t += 0.37)
            cr_expect(fabs(rp_t_two_sided_p(t, df) - p_closed(t, df)) < 1e-10, "df %d t %g: %.12g vs %.12g", df, t,
                      rp_t_two_sided_p(t, df), p_closed(t, df));
    cr_expect_eq(rp_t_two_sided_p(0, 5), 1.0);
    cr_expect_eq(rp_t_two_sided_p(INFINITY, 5), 0.0);
}

Test(stats, t_quantile_consistent_with_tail) {
    /* the table and the expansion are independent of the tail function: each must give p = 0.05 */
    for (int df = 1; df <= 400; df++) {
        double p = rp_t_two_sided_p(rp_t975(df), df);
        cr_expect(fabs(p - 0.05) < (df <= 30 ? 2e-6 : 2e-5), "df %d: t %.6f gives p %.7f", df, rp_t975(df), p);
    }
    cr_expect(fabs(rp_t975(3) - 3.182446) < 1e-6);
}

Test(stats, holm_and_sign_flip_by_hand) {
    double p[3] = {0.01, 0.04, 0.03}, adj[3];
    rp_holm(p, 3, adj);
    /* sorted 0.01 0.03 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 1*0.04) */
    cr_expect(fabs(adj[0] - 0.03) < 1e-12 && fabs(adj[2] - 0.06) < 1e-12 && fabs(adj[1] - 0.06) < 1e-12,
              "%g %g %g", adj[0], adj[1], adj[2]);
    double big[2] = {0.6, 0.7};
    rp_holm(big, 2, adj);
    cr_expect(adj[0] == 1.0 && adj[1] == 1.0);
    /* all four differences positive: only all-plus and all-minus are as extreme -> 2/16 */
    double a[4] = {1, 2, 3, 4}, b[4] = {0, 0, 0, 0};
    cr_expect(fabs(rp_sign_flip_p(a, b, 4) - 0.125) < 1e-12);
    /* +1 -1 +1 -1: sum 0, every pattern is as extreme */
    double c[4] = {1, -1, 1, -1};
    cr_expect(fabs(rp_sign_flip_p(c, b, 4) - 1.0) < 1e-12);
    /* 2 3 4 -1: sums >= 8 in absolute value: +2+3+4+1, +2+3+4-1 and their negatives -> 4/16 */
    double d[4] = {2, 3, 4, -1};
    cr_expect(fabs(rp_sign_flip_p(d, b, 4) - 0.25) < 1e-12);
    double mean, half, t, pp;
    rp_paired_t(a, b, 4, &mean, &half, &t, &pp);
    /* d = 1 2 3 4: mean 2.5, s = sqrt(5/3), t = 2.5 / (s/2) */
    double s = sqrt(5.0 / 3.0);
    cr_expect(fabs(mean - 2.5) < 1e-12 && fabs(t - 2.5 / (s / 2)) < 1e-9 && fabs(half - 3.182446 * s / 2) < 1e-5);
    cr_expect(fabs(pp - p_closed(t, 3)) < 1e-10);
}

/* ---- a stored experiment with 4 repetitions ---- */

static const char *LABEL[3] = {"Adam", "AdamW", "AdaDelta"}, *NAME[3] = {"adam", "adamw", "adadelta"};
/* test accuracy of each repetition's best trial, [optimizer][repetition] */
static const double TEST[3][4] = {{0.9700, 0.9720, 0.9740, 0.9760},
                                  {0.9680, 0.9690, 0.9700, 0.9770},
                                  {0.9500, 0.9400, 0.9600, 0.9500}};
#define VALID_OFFSET 0.0010 /* best valid-trial accuracy = test + this */

static void add_rep_study(ol_storage *st, int rep, int k) {
    char name[128], json[128];
    if (rep) snprintf(name, sizeof name, "rep#r%d/%s", rep, NAME[k]);
    else snprintf(name, sizeof name, "rep/%s", NAME[k]);
    int64_t sid;
    OK(ol_storage_create_study(st, name, 1, &sid, err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:experiment", "\"rep\"", err));
    snprintf(json, sizeof json, "\"%s\"", LABEL[k]);
    OK(ol_storage_set_study_attr(st, sid, "optlab:label", json, err));
    snprintf(json, sizeof json, "%d", rep);
    OK(ol_storage_set_study_attr(st, sid, "optlab:repeat", json, err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:n_trials", "3", err));
    /* trial 0: a worse complete trial; 1: the best, with its test accuracy; 2: pruned after 2 epochs */
    double best = TEST[k][rep] + VALID_OFFSET;
    for (int i = 0; i < 3; i++) {
        int64_t tid;
        int number;
        OK(ol_storage_create_trial(st, sid, 0, &tid, &number, err));
        int epochs = i == 2 ? 2 : 10;
        for (int e = 0; e < epochs; e++) OK(ol_storage_set_intermediate(st, tid, e, 0.5 + 0.04 * e, err));
        snprintf(json, sizeof json, "%d", epochs);
        OK(ol_storage_set_trial_attr(st, tid, "epochs", json, err));
        OK(ol_storage_set_trial_attr(st, tid, "seconds", i == 2 ? "1.0" : "5.0", err));
        if (i == 2) {
            OK(ol_storage_set_trial_attr(st, tid, "status", "\"pruned\"", err));
            OK(ol_storage_finish_trial(st, tid, OL_TRIAL_PRUNED, NULL, err));
            continue;
        }
        OK(ol_storage_set_trial_attr(st, tid, "status", "\"ok\"", err));
        double value = i == 1 ? best : best - 0.01;
        if (i == 1) {
            snprintf(json, sizeof json, "%.4f", TEST[k][rep]);
            OK(ol_storage_set_trial_attr(st, tid, "test_accuracy", json, err));
        }
        OK(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &value, err));
    }
}

/* The table row starting "| LABEL |" after `after` in md, split into cells (without the label). */
static int row_cells(const char *md, const char *after, const char *label, char cells[][256], int max) {
    const char *r = find_table_row(md, after, label) + strlen(label) + 4; /* past "| LABEL |" */
    int n = 0;
    while (*r && *r != '\n' && n < max) {
        const char *bar = strchr(r, '|');
        if (!bar) break;
        size_t len = (size_t)(bar - r);
        while (len && r[len - 1] == ' ') len--;
        while (len && *r == ' ') r++, len--;
        snprintf(cells[n++], 256, "%.*s", (int)len, r);
        r = bar + 1;
    }
    return n;
}

static void expect_mean_ci(const char *cell, const double *x, int n) {
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += x[i];
    double m = s / n;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    double half = 3.182446 * sqrt(ss / (n - 1)) / sqrt((double)n); /* t(0.975, 3) from the standard table */
    double pm, ph;
    cr_assert_eq(sscanf(cell, "%lf ± %lf %%", &pm, &ph), 2, "cell '%s'", cell);
    cr_expect(fabs(pm - 100 * m) < 0.0051 && fabs(ph - 100 * half) < 0.0051, "'%s' vs %.4f ± %.4f", cell, 100 * m,
              100 * half);
}

/* A memory storage holding experiment "rep": 3 optimizers x 4 repetitions (add_rep_study). */
static ol_storage *four_repetitions(void) {
    ol_storage *st;
    OK(ol_storage_open(&st, "memory:", err));
    for (int rep = 0; rep < 4; rep++)
        for (int k = 0; k < 3; k++) add_rep_study(st, rep, k);
    return st;
}

Test(repeats, four_repetitions_numbers_known_by_hand, .timeout = 60) {
    ol_storage *st = four_repetitions();
    char tmp[] = "/tmp/optlab-repeats-test-XXXXXX";
    cr_assert_not_null(mkdtemp(tmp));
    char out[128], readme[160];
    snprintf(out, sizeof out, "%s/report", tmp);
    ol_report_options opt = {.out_dir = out, .experiment = "rep"};
    ol_report_summary sum;
    OK(ol_report_write(st, &opt, &sum, err));
    cr_expect_eq(sum.n_repetitions, 4);
    snprintf(readme, sizeof readme, "%s/README.md", out);
    char *md = slurp(readme, NULL);
    cr_assert_not_null(md);

    /* per optimizer: mean ± CI of test and valid, ranked first, pruned, epochs, time */
    const int first[3] = {3, 1, 0}; /* by test accuracy: Adam first in reps 0-2, AdamW in rep 3 */
    for (int k = 0; k < 3; k++) {
        char cells[8][256];
        int n = row_cells(md, "## Repetitions", LABEL[k], cells, 8);
        cr_assert_eq(n, 6, "%s: %d cells", LABEL[k], n);
        double valid[4];
        for (int r = 0; r < 4; r++) valid[r] = TEST[k][r] + VALID_OFFSET;
        expect_mean_ci(cells[0], TEST[k], 4);
        expect_mean_ci(cells[1], valid, 4);
        char want[64];
        snprintf(want, sizeof want, "%d / 4", first[k]);
        cr_expect_str_eq(cells[2], want, "%s ranked first", LABEL[k]);
        cr_expect_str_eq(cells[3], "4 / 12", "pruned trials");
        cr_expect_str_eq(cells[4], "88", "epochs: 4 x (10 + 10 + 2)");
        cr_expect_str_eq(cells[5], "44 s", "seconds: 4 x (5 + 5 + 1)");
    }
    /* rankings */
    cr_expect(strstr(md, "| Adam > AdamW > AdaDelta | 3 / 4 |"), "ranking counts");
    cr_expect(strstr(md, "| AdamW > Adam > AdaDelta | 1 / 4 |"), "ranking counts");
    /* pairs on test accuracy: paired t p (closed form, df 3), Holm over the 3 pairs, sign-flip by enumeration */
    double p[3], t[3], diff[3], flip[3];
    const int pa[3] = {0, 0, 1}, pb[3] = {1, 2, 2};
    for (int q = 0; q < 3; q++) {
        double d[4], s = 0, ss = 0;
        for (int r = 0; r < 4; r++) s += d[r] = TEST[pa[q]][r] - TEST[pb[q]][r];
        diff[q] = s / 4;
        for (int r = 0; r < 4; r++) ss += (d[r] - diff[q]) * (d[r] - diff[q]);
        t[q] = diff[q] / (sqrt(ss / 3) / 2);
        p[q] = p_closed(t[q], 3);
        int extreme = 0;
        for (int m = 0; m < 16; m++) {
            double sum = 0;
            for (int r = 0; r < 4; r++) sum += (m >> r & 1) ? -d[r] : d[r];
            extreme += fabs(sum) >= fabs(s) - 1e-12;
        }
        flip[q] = extreme / 16.0;
    }
    /* Holm by hand for these values: p(Adam-AdaDelta) < p(AdamW-AdaDelta) < p(Adam-AdamW) */
    cr_assert(p[1] < p[2] && p[2] < p[0], "%g %g %g", p[0], p[1], p[2]);
    double holm[3];
    holm[1] = fmin(1, 3 * p[1]);
    holm[2] = fmax(holm[1], fmin(1, 2 * p[2]));
    holm[0] = fmax(holm[2], fmin(1, p[0]));
    double fh[3]; /* Holm of the sign-flip p-values, sorted by hand below */
    rp_holm(flip, 3, fh);
    cr_expect(fabs(flip[0] - 0.25) < 1e-12, "Adam-AdamW differences 2 3 4 -1 (x 1e-3): 4 of 16 patterns");
    for (int q = 0; q < 3; q++) {
        char key[128];
        snprintf(key, sizeof key, "%s − %s", LABEL[pa[q]], LABEL[pb[q]]);
        char cells[8][256];
        int n = row_cells(md, "| pair (test accuracy)", key, cells, 8);
        cr_assert_eq(n, 6);
        double printed_diff, pp, ph, pf, pfh;
        cr_assert_eq(sscanf(cells[0], "%lf pp", &printed_diff), 1, "%s", cells[0]);
        cr_expect(fabs(printed_diff - 100 * diff[q]) < 0.0051, "%s: %s vs %.4f", key, cells[0], 100 * diff[q]);
        pp = atof(cells[1]);
        ph = atof(cells[2]);
        pf = atof(cells[3]);
        pfh = atof(cells[4]);
        cr_expect(fabs(pp - p[q]) < 6e-5, "%s: p printed %s, expected %.6f", key, cells[1], p[q]);
        cr_expect(fabs(ph - holm[q]) < 6e-5, "%s: Holm printed %s, expected %.6f", key, cells[2], holm[q]);
        cr_expect(fabs(pf - flip[q]) < 6e-5, "%s: sign-flip printed %s, expected %.4f", key, cells[3], flip[q]);
        cr_expect(fabs(pfh - fh[q]) < 6e-5, "%s: sign-flip Holm printed %s", key, cells[4]);
        int sig = holm[q] < 0.05;
        cr_expect(strstr(cells[5], sig ? "**significant**" : "not significant"), "%s: verdict '%s' (Holm p %.4f)", key,
                  cells[5], holm[q]);
    }
    /* the conclusion speaks from the repetitions: AdamW not significantly below Adam, AdaDelta significantly */
    const char *concl = strstr(md, "## Conclusion");
    const char *next = concl ? strstr(concl + 5, "\n## ") : NULL;
    cr_assert(concl && next);
    char c[4096];
    snprintf(c, sizeof c, "%.*s", (int)(next - concl), concl);
    cr_expect(strstr(c, "Over 4 repetitions"), "%s", c);
    cr_expect(strstr(c, "AdamW: ") && strstr(strstr(c, "AdamW: "), "**not significant**"), "%s", c);
    cr_expect(strstr(c, "AdaDelta: ") && strstr(strstr(c, "AdaDelta: "), "**significant**"), "%s", c);
    cr_expect(strstr(c, "Adam ranked first in 3 of 4 repetitions"), "%s", c);
    /* the figures exist */
    char fig[200];
    snprintf(fig, sizeof fig, "%s/figures/repeats-test.png", out);
    cr_expect_eq(access(fig, F_OK), 0);
    snprintf(fig, sizeof fig, "%s/figures/repeats-valid.svg", out);
    cr_expect_eq(access(fig, F_OK), 0);
    free(md);
    /* Korean: the section and its tables */
    ol_report_options ko = {.out_dir = out, .experiment = "rep", .lang = OL_REPORT_KO};
    OK(ol_report_write(st, &ko, NULL, err));
    md = slurp(readme, NULL);
    cr_assert_not_null(md);
    cr_expect(strstr(md, "## 반복 실험") && strstr(md, "| Adam > AdamW > AdaDelta | 3 / 4 |") &&
                  strstr(md, "실험을 4 번 반복한 결과"),
              "Korean section");
    char *sec = md_section(md, "\n## 반복 실험");
    cr_assert_not_null(sec);
    /* the body is Korean: sentences, table headers, the same numbers */
    cr_expect(strstr(sec, "저장된 반복 4 회 (반복 번호 0, 1, 2, 3)."), "%s", sec);
    cr_expect(strstr(sec, "모든 Optimizer 의 결과가 있는 반복 4 회 (테스트 정확도는 4 회) 가 아래 통계에 들어간다."),
              "%s", sec);
    cr_expect(strstr(sec, "| Optimizer | 테스트 정확도 (평균 ± 95 % CI) |"), "per-optimizer header");
    cr_expect(strstr(sec, "R = 4, 자유도 3, t = 3.182"), "CI sentence");
    cr_expect(strstr(sec, "| 순위 (테스트 정확도 기준) | 반복 횟수 |"), "rankings header");
    for (int q = 0; q < 3; q++) {
        char key[128];
        snprintf(key, sizeof key, "%s − %s", LABEL[pa[q]], LABEL[pb[q]]);
        char cells[8][256];
        int n = row_cells(sec, "| 비교 (테스트 정확도)", key, cells, 8);
        cr_assert_eq(n, 6);
        double printed_diff;
        cr_expect_eq(sscanf(cells[0], "%lf %%p", &printed_diff), 1, "%s: '%s'", key, cells[0]);
        cr_expect(strstr(cells[0], " %p") && !strstr(cells[0], "pp"), "%s: unit in '%s'", key, cells[0]);
        cr_expect(fabs(printed_diff - 100 * diff[q]) < 0.0051, "%s: %s vs %.4f", key, cells[0], 100 * diff[q]);
        cr_expect(fabs(atof(cells[2]) - holm[q]) < 6e-5, "%s: Holm printed %s", key, cells[2]);
        cr_expect_str_eq(cells[5], holm[q] < 0.05 ? "**유의함**" : "유의하지 않음", "%s: verdict", key);
    }
    /* and nothing of the English section is left */
    const char *english[] = {"repetitions of the experiment", "Each reruns", "Statistics need", "Each repetition contributes",
                             "degrees of freedom", "Figures: one dot", "How often each ranking", "ranking by",
                             "Which differences", "mean difference", "verdict", "significant", "assumes", " pp",
                             "per repetition"};
    for (size_t i = 0; i < sizeof english / sizeof english[0]; i++)
        cr_expect(!strstr(sec, english[i]), "English '%s' left in the Korean section", english[i]);
    char run[256];
    cr_expect(!english_run(sec, 4, run, sizeof run), "English prose left in the Korean section: '%s'", run);
    free(sec);
    /* the conclusion drawn from the repetitions, in Korean */
    sec = md_section(md, "\n## 결론");
    cr_assert_not_null(sec);
    cr_expect(strstr(sec, "AdamW: Adam 보다 평균 ") && strstr(strstr(sec, "AdamW: Adam 보다 평균 "), "**유의하지 않음**"),
              "%s", sec);
    cr_expect(strstr(sec, "AdaDelta: Adam 보다 평균 ") && strstr(strstr(sec, "AdaDelta: Adam 보다 평균 "), "**유의한 차이**"),
              "%s", sec);
    cr_expect(strstr(sec, "Adam 의 1 위 횟수는 4 번 중 3 번이다."), "%s", sec);
    cr_expect(strstr(sec, "Adam 보다 유의하게 낮지 않은 Optimizer 는 이 실험만으로는 Adam 대비 우열을 가릴 수 없다."), "%s",
              sec);
    cr_expect(!english_run(sec, 4, run, sizeof run), "English prose left in the Korean conclusion: '%s'", run);
    free(sec);
    /* the figures' labels */
    snprintf(fig, sizeof fig, "%s/figures/repeats-valid.gp", out);
    char *gp = slurp(fig, NULL);
    cr_assert_not_null(gp);
    cr_expect(strstr(gp, "set title \"최고 Valid 정확도 (Trial 단위): 반복 4 회\"") && strstr(gp, "title \"반복\"") &&
                  strstr(gp, "title \"평균 ± 95 % 신뢰구간\""),
              "Korean figure labels");
    cr_expect(!strstr(gp, "title \"repetition\"") && !strstr(gp, "over 4 repetitions"), "English figure labels");
    free(gp);
    free(md);
    ol_storage_close(st);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}

/* --only: the report of two of the three optimizers holds only them, and its one pair's Holm p is its own p
   (a family of one). An unknown or empty name is refused before anything is written. */
Test(repeats, only_reports_the_chosen_optimizers, .timeout = 60) {
    ol_storage *st = four_repetitions();
    char tmp[] = "/tmp/optlab-repeats-only-XXXXXX";
    cr_assert_not_null(mkdtemp(tmp));
    char out[128], readme[160];
    snprintf(out, sizeof out, "%s/report", tmp);
    ol_report_options opt = {.out_dir = out, .experiment = "rep", .only = "adadelta,adam"};
    ol_report_summary sum;
    OK(ol_report_write(st, &opt, &sum, err));
    cr_expect_eq(sum.n_optimizers, 2);
    cr_expect_eq(sum.n_repetitions, 4);
    snprintf(readme, sizeof readme, "%s/README.md", out);
    char *md = slurp(readme, NULL);
    cr_assert_not_null(md);
    cr_expect(strstr(md, "covers only the 2 optimizers chosen with `--only`"), "the header says so");
    cr_expect(strstr(md, "--experiment 'rep' --only 'adadelta,adam'`"), "the rebuild command keeps --only");
    cr_expect(!strstr(md, "AdamW"), "AdamW was not chosen but appears");
    cr_expect(strstr(md, "| Adam > AdaDelta | 4 / 4 |"), "rankings of the two");
    cr_expect(strstr(md, "over the 1 pair (family-wise"), "Holm's family is the one pair");
    double d[4], s = 0, ss = 0;
    for (int r = 0; r < 4; r++) s += d[r] = TEST[0][r] - TEST[2][r];
    double m = s / 4;
    for (int r = 0; r < 4; r++) ss += (d[r] - m) * (d[r] - m);
    double p = p_closed(m / (sqrt(ss / 3) / 2), 3);
    char cells[8][256];
    int n = row_cells(md, "| pair (test accuracy)", "Adam − AdaDelta", cells, 8);
    cr_assert_eq(n, 6);
    cr_expect(fabs(atof(cells[1]) - p) < 6e-5, "p printed %s, expected %.6f", cells[1], p);
    cr_expect(fabs(atof(cells[2]) - p) < 6e-5, "Holm over one pair printed %s, expected %.6f", cells[2], p);
    free(md);
    /* refused: an unknown name (the message lists the studies), an empty name; the report stays as it was */
    ol_error e;
    ol_report_options bad = {.out_dir = out, .experiment = "rep", .only = "adam,nope"};
    cr_expect_eq(ol_report_write(st, &bad, NULL, &e), OL_ENOTFOUND);
    cr_expect(strstr(e.msg, "'nope'") && strstr(e.msg, "adam, adamw, adadelta"), "%s", e.msg);
    bad.only = "adam,,adamw";
    cr_expect_eq(ol_report_write(st, &bad, NULL, &e), OL_EINVAL);
    cr_expect(strstr(e.msg, "empty name"), "%s", e.msg);
    md = slurp(readme, NULL);
    cr_expect(md && strstr(md, "covers only the 2 optimizers"), "a refused --only changed the existing report");
    free(md);
    ol_storage_close(st);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    cr_assert_eq(system(cmd), 0);
}
