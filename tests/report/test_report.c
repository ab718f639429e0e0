/*
 * Report layer: a small stored experiment (3 optimizers × 12 trials with a
 * failed, a diverged, a never-learning and an outlying trial each) is written
 * through the storage API, the report is built from it, and every number in
 * the Markdown tables and the conclusion is checked against what storage
 * holds, recomputed here independently (best trial, counts, noise); every
 * figure must be a PNG / SVG of 800×500 with its .dat and .gp beside it.
 * Then the ways it must refuse: no studies, an empty study, only failed
 * trials, a missing or foreign storage file, a directory that is not a
 * report, a gnuplot that fails — each a clear error and no half-written
 * report (an existing one stays intact).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optlab/report.h"
#include "optlab/storage.h"

#include "fixture.h"

/* ---- helpers ---- */

static void make_tmpdir(char *out, size_t n) {
    snprintf(out, n, "/tmp/optlab-report-test-XXXXXX");
    cr_assert_not_null(mkdtemp(out));
}

/* OPTLAB_TEST_KEEP=1 keeps the reports for a person to look at (the path goes to the log). */
static void rm_rf(const char *path) {
    if (getenv("OPTLAB_TEST_KEEP")) {
        cr_log_warn("kept %s", path);
        return;
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    cr_assert_eq(system(cmd), 0);
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- the stored experiment ---- */

typedef struct {
    const char *label, *name;
    int n_params;
    const char *pnames[4];
    double lo[4], hi[4];
    int log[4];
    double top_value, top_test; /* the best trial's valid-trial and test accuracy */
} opt_spec;

static const opt_spec SPECS[3] = {
    {"Adam", "adam", 3, {"learning_rate", "beta1", "beta2"}, {1e-4, 0.8, 0.99}, {1e-2, 0.95, 0.9999}, {1, 0, 0},
     0.9748, 0.9712},
    {"AdamW", "adamw", 4, {"learning_rate", "beta1", "beta2", "weight_decay"}, {1e-4, 0.8, 0.99, 1e-4},
     {1e-2, 0.95, 0.9999, 2e-2}, {1, 0, 0, 1}, 0.9736, 0.9705},
    {"AdaDelta", "adadelta", 1, {"p"}, {0.5}, {0.999}, {0}, 0.9550, 0.9400},
};
#define N_TRIALS 12

static void dist_json(char *buf, size_t n, double lo, double hi, int log) {
    snprintf(buf, n, "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": %.17g, \"high\": %.17g, \"log\": %s}}",
             lo, hi, log ? "true" : "false");
}

/*
 * One study: 12 trials; #3 FAIL (failed), #6 FAIL (diverged), #8 COMPLETE but never learned (0.1135),
 * #10 an outlier (0.80), #7 the best; the rest spread between top-2.6 pp and top-0.2 pp.
 * trial_kinds: 0 normal, 'F' failed, 'D' diverged, 'N' never learned, 'O' outlier, 'B' best.
 */
static void add_study(ol_storage *st, const char *experiment, int repeat, const opt_spec *sp, int n_trials,
                      const char *kinds) {
    char name[128], json[512];
    if (repeat) snprintf(name, sizeof name, "%s#r%d/%s", experiment, repeat, sp->name);
    else snprintf(name, sizeof name, "%s/%s", experiment, sp->name);
    int64_t sid;
    OK(ol_storage_create_study(st, name, 1, &sid, err));
    snprintf(json, sizeof json, "\"%s\"", experiment);
    OK(ol_storage_set_study_attr(st, sid, "optlab:experiment", json, err));
    snprintf(json, sizeof json, "\"%s\"", sp->name);
    OK(ol_storage_set_study_attr(st, sid, "optlab:optimizer", json, err));
    snprintf(json, sizeof json, "\"%s\"", sp->label);
    OK(ol_storage_set_study_attr(st, sid, "optlab:label", json, err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:dataset", "\"mnist\"", err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:n_trials", "12", err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:seed", "20250228", err));
    snprintf(json, sizeof json, "%d", repeat);
    OK(ol_storage_set_study_attr(st, sid, "optlab:repeat", json, err));
    ol_rng rng;
    ol_rng_derive(&rng, 7, sp->name);
    double best = -1;
    for (int i = 0; i < n_trials; i++) {
        char kind = kinds ? kinds[i] : 0;
        int64_t tid;
        int number;
        OK(ol_storage_create_trial(st, sid, 0, &tid, &number, err));
        cr_assert_eq(number, i);
        for (int p = 0; p < sp->n_params; p++) {
            double u = ol_rng_uniform(&rng);
            double v = sp->log[p] ? sp->lo[p] * pow(sp->hi[p] / sp->lo[p], u) : sp->lo[p] + u * (sp->hi[p] - sp->lo[p]);
            dist_json(json, sizeof json, sp->lo[p], sp->hi[p], sp->log[p]);
            OK(ol_storage_set_param(st, tid, sp->pnames[p], v, json, err));
        }
        if (kind == 'F' || kind == 'D') {
            OK(ol_storage_set_trial_attr(st, tid, "status", kind == 'D' ? "\"diverged\"" : "\"ok\"", err));
            OK(ol_storage_finish_trial(st, tid, OL_TRIAL_FAIL, NULL, err));
            continue;
        }
        /* valid-trial accuracy: a multiple of 1/5000, as measured on 5,000 images */
        double value;
        if (kind == 'B') value = sp->top_value;
        else if (kind == 'N') value = 0.1135;
        else if (kind == 'O') value = 0.80;
        else value = round((sp->top_value - 0.002 - 0.024 * ol_rng_uniform(&rng)) * 5000) / 5000;
        int epochs = 6 + (int)ol_rng_below(&rng, 5), best_epoch = epochs - 6;
        char loss[512] = "[";
        for (int e = 0; e < epochs; e++) {
            double acc = value - 0.05 / (1 + e) + (e == best_epoch ? 0.01 : 0);
            OK(ol_storage_set_intermediate(st, tid, e, round(acc * 2000) / 2000, err));
            size_t l = strlen(loss);
            snprintf(loss + l, sizeof loss - l, "%s%.4f", e ? ", " : "", 1.5 + 0.8 / (1 + e));
        }
        strcat(loss, "]");
        OK(ol_storage_set_trial_attr(st, tid, "train_loss", loss, err));
        snprintf(json, sizeof json, "%d", best_epoch);
        OK(ol_storage_set_trial_attr(st, tid, "best_epoch", json, err));
        snprintf(json, sizeof json, "%d", epochs);
        OK(ol_storage_set_trial_attr(st, tid, "epochs", json, err));
        OK(ol_storage_set_trial_attr(st, tid, "seconds", "4.25", err));
        OK(ol_storage_set_trial_attr(st, tid, "status", kind == 'N' ? "\"never_learned\"" : "\"ok\"", err));
        if (value > best) { /* the study's best when it finished: its test accuracy is recorded */
            best = value;
            double test = kind == 'B' ? sp->top_test : round((value - 0.003) * 10000) / 10000;
            snprintf(json, sizeof json, "%.4f", test);
            OK(ol_storage_set_trial_attr(st, tid, "test_accuracy", json, err));
        }
        OK(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &value, err));
    }
}

static const char *KINDS = "000F00DBN0O0"; /* 12 trials */

static void populate(ol_storage *st, const char *experiment) {
    for (int k = 0; k < 3; k++) add_study(st, experiment, 0, &SPECS[k], N_TRIALS, KINDS);
}

/* ---- what the report must say, recomputed from storage ---- */

typedef struct {
    int best_number;
    double best_value, test;
    int n_params;
    char pname[4][64];
    double pval[4];
    int counts[6]; /* trials, completed ok, never learned, diverged, failed, pruned */
} expected;

static void expect_from_storage(ol_storage *st, const char *study, expected *x) {
    memset(x, 0, sizeof *x);
    int64_t sid;
    int maximize;
    OK(ol_storage_find_study(st, study, &sid, &maximize, err));
    ol_trial_rec *tr;
    size_t n;
    OK(ol_storage_get_trials(st, sid, &tr, &n, err));
    int best = -1;
    x->counts[0] = (int)n;
    for (size_t i = 0; i < n; i++) {
        const char *status = ol_attr_find(tr[i].user_attrs, tr[i].n_user_attrs, "status");
        int diverged = status && strstr(status, "diverged");
        if (tr[i].state == OL_TRIAL_COMPLETE) {
            if (status && strstr(status, "never_learned")) x->counts[2]++;
            else if (diverged) x->counts[3]++;
            else x->counts[1]++;
            if (best < 0 || tr[i].value > tr[best].value) best = (int)i;
        } else if (tr[i].state == OL_TRIAL_FAIL) {
            x->counts[diverged ? 3 : 4]++;
        } else if (tr[i].state == OL_TRIAL_PRUNED) {
            x->counts[5]++;
        }
    }
    cr_assert_geq(best, 0);
    x->best_number = tr[best].number;
    x->best_value = tr[best].value;
    const char *t = ol_attr_find(tr[best].user_attrs, tr[best].n_user_attrs, "test_accuracy");
    cr_assert_not_null(t);
    x->test = atof(t);
    x->n_params = (int)tr[best].n_params;
    for (size_t k = 0; k < tr[best].n_params; k++) {
        snprintf(x->pname[k], sizeof x->pname[k], "%s", tr[best].params[k].name);
        x->pval[k] = tr[best].params[k].value;
    }
    ol_trials_free(tr, n);
}

/* A number as printed, and half a unit of its last digit (the rounding it may carry). */
static double parse_printed(const char *s, double *half_ulp) {
    char *end;
    double v = strtod(s, &end);
    cr_assert(end != s, "no number in '%s'", s);
    const char *dot = memchr(s, '.', (size_t)(end - s));
    const char *e = NULL;
    for (const char *c = s; c < end; c++)
        if (*c == 'e' || *c == 'E') e = c;
    int decimals = 0;
    if (dot) decimals = (int)((e ? e : end) - dot - 1);
    int exp10 = e ? atoi(e + 1) : 0;
    *half_ulp = 0.5 * pow(10, exp10 - decimals) * (1 + 1e-9);
    return v;
}

/* The cells of the table row that starts with "| LABEL |" after the line starting with `header`. */
static int table_row(const char *md, const char *header, const char *label, char cells[][512], int max) {
    const char *row = find_table_row(md, header, label) + 1;
    const char *eol = strchr(row, '\n');
    int n = 0;
    const char *c = row;
    while (c < eol && n < max) {
        const char *bar = memchr(c, '|', (size_t)(eol - c));
        if (!bar) break;
        if (bar > c) {
            const char *a = c, *b = bar;
            while (a < b && *a == ' ') a++;
            while (b > a && b[-1] == ' ') b--;
            snprintf(cells[n], 512, "%.*s", (int)(b - a), a);
            n++;
        }
        c = bar + 1;
    }
    return n;
}

static void check_numbers(ol_storage *st, const char *experiment, const char *md, int korean) {
    const char *results_header = korean ? "| Optimizer | 최종 성능" : "| Optimizer | Final accuracy (test)";
    const char *fail_header = korean ? "| Optimizer | Trial | 정상 완료" : "| Optimizer | trials | completed";
    expected x[3];
    for (int k = 0; k < 3; k++) {
        char study[128];
        snprintf(study, sizeof study, "%s/%s", experiment, SPECS[k].name);
        expect_from_storage(st, study, &x[k]);
        char cells[8][512];
        int n = table_row(md, results_header, SPECS[k].label, cells, 8);
        cr_assert_eq(n, 4, "results row of %s has %d cells", SPECS[k].label, n);
        double h, v = parse_printed(cells[1], &h);
        cr_assert(fabs(v - 100 * x[k].test) <= h, "%s test accuracy printed %s, stored %.6f", SPECS[k].label,
                  cells[1], x[k].test);
        cr_assert(strstr(cells[1], " %"), "test accuracy without its unit: %s", cells[1]);
        v = parse_printed(cells[2], &h);
        cr_assert(fabs(v - 100 * x[k].best_value) <= h, "%s valid-trial printed %s, stored %.6f", SPECS[k].label,
                  cells[2], x[k].best_value);
        char num[32];
        snprintf(num, sizeof num, "(#%d)", x[k].best_number);
        cr_assert(strstr(cells[2], num), "%s: best trial is %s, table says %s", SPECS[k].label, num, cells[2]);
        /* hyperparameters: "label = value" joined by <br>, in the study's order */
        char *save = NULL, *item = strtok_r(cells[3], "<", &save);
        int p = 0;
        for (; item; item = strtok_r(NULL, "<", &save)) {
            if (!strncmp(item, "br>", 3)) item += 3;
            char *eq = strstr(item, " = ");
            cr_assert_not_null(eq, "hyperparameter cell item '%s' has no ' = '", item);
            cr_assert_lt(p, x[k].n_params);
            double hv, pv = parse_printed(eq + 3, &hv);
            cr_assert(fabs(pv - x[k].pval[p]) <= hv, "%s %s printed %s, stored %.10g", SPECS[k].label,
                      x[k].pname[p], eq + 3, x[k].pval[p]);
            /* rounded as a person writes it: at most 4 significant digits */
            double rel = fabs(pv - x[k].pval[p]) / fabs(x[k].pval[p]);
            cr_assert_lt(rel, 1e-2, "%s %s: %s is too far from %.10g", SPECS[k].label, x[k].pname[p], eq + 3,
                         x[k].pval[p]);
            p++;
        }
        cr_assert_eq(p, x[k].n_params, "%s: %d hyperparameters printed, %d stored", SPECS[k].label, p,
                     x[k].n_params);
        /* outcome counts */
        n = table_row(md, fail_header, SPECS[k].label, cells, 8);
        cr_assert_eq(n, 8);
        for (int c = 0; c < 6; c++)
            cr_assert_eq(atoi(cells[1 + c]), x[k].counts[c], "%s: count column %d printed %s, stored %d",
                         SPECS[k].label, c, cells[1 + c], x[k].counts[c]);
    }
    /* conclusion: the ranking and the noise verdicts, recomputed */
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (x[order[j]].test > x[order[i]].test) {
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
    const char *concl = strstr(md, korean ? "## 결론" : "## Conclusion");
    cr_assert_not_null(concl);
    char line[256];
    snprintf(line, sizeof line, korean ? "**%s** (%.2f %%)" : "**%s** reached the highest test accuracy, %.2f %%",
             SPECS[order[0]].label, 100 * x[order[0]].test);
    cr_assert(strstr(concl, line), "conclusion lacks '%s'", line);
    for (int i = 1; i < 3; i++) {
        double p1 = x[order[0]].test, p2 = x[order[i]].test, n = 10000;
        double noise = 2 * sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n);
        int within = p1 - p2 < noise;
        if (korean)
            snprintf(line, sizeof line, "* %s: %s 보다 %.2f %%p 낮음 — %s (차이의 표준오차 × 2 = %.2f %%p)",
                     SPECS[order[i]].label, SPECS[order[0]].label, 100 * (p1 - p2),
                     within ? "**노이즈 범위 이내**" : "노이즈 범위보다 큰 차이", 100 * noise);
        else
            snprintf(line, sizeof line, "* %s: %.2f percentage points below %s — %s (2 × standard error of the difference = %.2f pp)",
                     SPECS[order[i]].label, 100 * (p1 - p2), SPECS[order[0]].label,
                     within ? "**within noise**" : "larger than the noise", 100 * noise);
        cr_assert(strstr(concl, line), "conclusion lacks '%s'", line);
    }
    /* the data was built so that the top two are within noise and the third is not */
    cr_assert(strstr(concl, korean ? "노이즈 범위 이내" : "within noise"));
    cr_assert(strstr(concl, korean ? "노이즈 범위보다 큰 차이" : "larger than the noise"));
}

static unsigned be32(const unsigned char *p) {
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* Every figure: PNG of 800×500, SVG of 800×500, with .dat and .gp beside it; every image the README links exists. */
static int check_figures(const char *dir, const char *md) {
    char figs[600];
    snprintf(figs, sizeof figs, "%s/figures", dir);
    DIR *d = opendir(figs);
    cr_assert_not_null(d);
    struct dirent *e;
    int n_png = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".png")) continue;
        char base[300], path[1000];
        snprintf(base, sizeof base, "%.*s", (int)(l - 4), e->d_name);
        snprintf(path, sizeof path, "%s/%s.png", figs, base);
        size_t len;
        unsigned char *png = (unsigned char *)slurp(path, &len);
        cr_assert(len > 33, "%s is too short", path);
        static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
        cr_assert(!memcmp(png, sig, 8), "%s lacks the PNG signature", path);
        cr_assert(!memcmp(png + 12, "IHDR", 4), "%s: first chunk is not IHDR", path);
        cr_assert_eq(be32(png + 16), 800u, "%s width", path);
        cr_assert_eq(be32(png + 20), 500u, "%s height", path);
        free(png);
        snprintf(path, sizeof path, "%s/%s.svg", figs, base);
        char *svg = slurp(path, &len);
        cr_assert_not_null(svg, "%s missing", path);
        char *root = strstr(svg, "<svg");
        cr_assert_not_null(root, "%s has no <svg> root", path);
        char *close = strchr(root, '>');
        cr_assert_not_null(close);
        *close = '\0';
        cr_assert(strstr(root, "width=\"800\"") && strstr(root, "height=\"500\""), "%s root: %s", path, root);
        cr_assert(strstr(close + 1, "</svg>"), "%s is not closed", path);
        free(svg);
        snprintf(path, sizeof path, "%s/%s.dat", figs, base);
        cr_assert(exists(path), "%s missing", path);
        snprintf(path, sizeof path, "%s/%s.gp", figs, base);
        cr_assert(exists(path), "%s missing", path);
        n_png++;
    }
    closedir(d);
    /* every image the Markdown shows exists */
    for (const char *p = strstr(md, "](figures/"); p; p = strstr(p + 1, "](figures/")) {
        char rel[300], path[1000];
        snprintf(rel, sizeof rel, "%.*s", (int)strcspn(p + 2, ")"), p + 2);
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        cr_assert(exists(path), "README links %s, which is missing", rel);
    }
    return n_png;
}

/* ---- tests ---- */

TestSuite(report, .timeout = 60);

Test(report, memory_storage_english_numbers_and_figures) {
    ol_storage *st;
    OK(ol_storage_open(&st, "memory:", err));
    populate(st, "tst");
    char tmp[256], out[300], readme[400];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(out, sizeof out, "%s/report", tmp);
    ol_report_options opt = {.out_dir = out};
    ol_report_summary sum;
    OK(ol_report_write(st, &opt, &sum, err));
    cr_assert_str_eq(sum.experiment, "tst");
    cr_assert_eq(sum.n_optimizers, 3);
    cr_assert_eq(sum.n_trials, 36);
    cr_assert_eq(sum.n_repetitions, 1);
    snprintf(readme, sizeof readme, "%s/README.md", out);
    char *md = slurp(readme, NULL);
    cr_assert_not_null(md);
    check_numbers(st, "tst", md, 0);
    /* sections in the seed note's order */
    const char *order[] = {"## Conclusion", "## Final (test) accuracy", "## Accuracy over the HPO",
                           "## Accuracy against each hyperparameter", "## Learning curves", "## Failed, diverged"};
    const char *prev = md;
    for (int i = 0; i < 6; i++) {
        const char *h = strstr(md, order[i]);
        cr_assert(h && h > prev, "section '%s' missing or out of order", order[i]);
        prev = h;
    }
    /* 3 studies with outliers: trend ×2, each param ×2, curves */
    int n_png = check_figures(out, md);
    cr_assert_eq(n_png, sum.n_figures);
    cr_assert_eq(n_png, (2 + 1) + (2 * 3 + 2 * 4 + 2 * 1) + 2 * 3, "figures: %d", n_png);
    /* the log-scale search shows as a log axis */
    char gp[600];
    snprintf(gp, sizeof gp, "%s/figures/param-adam-learning-rate.gp", out);
    char *script = slurp(gp, NULL);
    cr_assert(script && strstr(script, "set logscale x"));
    free(script);
    snprintf(gp, sizeof gp, "%s/figures/param-adam-beta1.gp", out);
    script = slurp(gp, NULL);
    cr_assert(script && !strstr(script, "set logscale x"));
    free(script);
    /* nothing left beside DIR */
    DIR *d = opendir(tmp);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(d))) entries += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
    closedir(d);
    cr_assert_eq(entries, 1, "temporary files left beside the report");
    free(md);
    ol_storage_close(st);
    rm_rf(tmp);
}

Test(report, sqlite_storage_korean_with_repetitions_and_two_experiments) {
    char tmp[256], db[300], url[320], out[300], readme[400];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(db, sizeof db, "%s/optlab.db", tmp);
    snprintf(url, sizeof url, "sqlite:///%s", db);
    ol_storage *st;
    OK(ol_storage_open(&st, url, err));
    add_study(st, "other", 0, &SPECS[2], 3, "0B0");
    populate(st, "tst");
    add_study(st, "tst", 1, &SPECS[2], 3, "0B0"); /* a second repetition: counted, not reported */
    snprintf(out, sizeof out, "%s/report-ko", tmp);
    ol_report_options opt = {.out_dir = out, .lang = OL_REPORT_KO, .experiment = "tst"};
    ol_report_summary sum;
    OK(ol_report_write(st, &opt, &sum, err));
    cr_assert_str_eq(sum.experiment, "tst");
    cr_assert_eq(sum.n_experiments, 2);
    cr_assert_str_eq(sum.others, "other");
    cr_assert_eq(sum.n_repetitions, 2);
    cr_assert_eq(sum.n_optimizers, 3);
    snprintf(readme, sizeof readme, "%s/README.md", out);
    char *md = slurp(readme, NULL);
    const char *headings[] = {"# 3-2. 실험 결과", "## 결론", "## 각 Optimizer 별 테스트 데이터셋 최종 성능 및 최적 하이퍼파라미터",
                              "## 각 Optimizer 별 HPO 정확도 추이", "## 각 Optimizer 별 특정 하이퍼파라미터의 값에 따른 성능 분포"};
    for (int i = 0; i < 5; i++) cr_assert(strstr(md, headings[i]), "missing heading %s", headings[i]);
    cr_assert(strstr(md, "| 최적 하이퍼파라미터 |"));
    check_numbers(st, "tst", md, 1);
    check_figures(out, md);
    /* axis labels in Korean in the scripts */
    char gp[600];
    snprintf(gp, sizeof gp, "%s/figures/trend-adam.gp", out);
    char *script = slurp(gp, NULL);
    cr_assert(script && strstr(script, "Trial 번호") && strstr(script, "Noto Sans CJK KR"));
    free(script);
    free(md);
    /* the default experiment is the latest created: tst (its repetition 1 came last) */
    ol_report_options opt2 = {.out_dir = out, .lang = OL_REPORT_KO, .gnuplot = "false"};
    ol_error e;
    cr_assert_neq(ol_report_write(st, &opt2, &sum, &e), OL_OK); /* gnuplot fails: the old report stays */
    cr_assert(strstr(e.msg, "gnuplot"), "%s", e.msg);
    md = slurp(readme, NULL);
    cr_assert(md && strstr(md, "# 3-2. 실험 결과"), "a failed rebuild damaged the existing report");
    free(md);
    ol_report_options opt3 = {.out_dir = out, .experiment = "nope"};
    cr_assert_eq(ol_report_write(st, &opt3, NULL, &e), OL_ENOTFOUND);
    cr_assert(strstr(e.msg, "nope") && strstr(e.msg, "tst"), "%s", e.msg);
    ol_storage_close(st);
    rm_rf(tmp);
}

Test(report, rebuild_replaces_a_report_but_not_other_directories) {
    ol_storage *st;
    OK(ol_storage_open(&st, "memory:", err));
    add_study(st, "small", 0, &SPECS[2], 4, "0B00");
    char tmp[256], out[300], path[400];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(out, sizeof out, "%s/r", tmp);
    ol_report_options opt = {.out_dir = out};
    ol_report_summary sum;
    OK(ol_report_write(st, &opt, &sum, err));
    cr_assert_eq(sum.n_figures, 3); /* trend, one param, curves; no outliers so no zoom */
    snprintf(path, sizeof path, "%s/stale.txt", out);
    FILE *f = fopen(path, "w");
    fputs("x", f);
    fclose(f);
    OK(ol_report_write(st, &opt, &sum, err)); /* replaces the whole directory */
    cr_assert(!exists(path), "the rebuilt report kept a stale file");
    snprintf(path, sizeof path, "%s/README.md", out);
    cr_assert(exists(path));
    /* a directory that is not a report is refused and untouched */
    snprintf(out, sizeof out, "%s/mine", tmp);
    mkdir(out, 0755);
    snprintf(path, sizeof path, "%s/notes.txt", out);
    f = fopen(path, "w");
    fputs("keep me", f);
    fclose(f);
    ol_error e;
    ol_report_options mine = {.out_dir = out};
    cr_assert_eq(ol_report_write(st, &mine, &sum, &e), OL_EINVAL);
    cr_assert(strstr(e.msg, "not an optlab report"), "%s", e.msg);
    char *kept = slurp(path, NULL);
    cr_assert_str_eq(kept, "keep me");
    free(kept);
    snprintf(path, sizeof path, "%s/README.md", out);
    cr_assert(!exists(path));
    ol_storage_close(st);
    rm_rf(tmp);
}

/* Run a failing report and check: the status, a word of the message, and that nothing was created. */
static void refuses(ol_storage *st, const char *url, ol_status want, const char *words) {
    char tmp[256], out[300];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(out, sizeof out, "%s/report", tmp);
    ol_report_options opt = {.out_dir = out};
    ol_error e;
    ol_error_clear(&e);
    ol_status s = st ? ol_report_write(st, &opt, NULL, &e) : ol_report_write_url(url, &opt, NULL, &e);
    cr_assert_eq(s, want, "status %d (%s), wanted %d", s, e.msg, want);
    cr_assert(strstr(e.msg, words), "message '%s' lacks '%s'", e.msg, words);
    DIR *d = opendir(tmp);
    struct dirent *ent;
    int n = 0;
    while ((ent = readdir(d))) n += strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..");
    closedir(d);
    cr_assert_eq(n, 0, "a refused report left files in %s", tmp);
    rm_rf(tmp);
}

Test(report, refuses_empty_storage_empty_study_and_only_failed) {
    ol_storage *st;
    OK(ol_storage_open(&st, "memory:", err));
    refuses(st, NULL, OL_ENOTFOUND, "holds no studies");
    int64_t sid;
    OK(ol_storage_create_study(st, "e/adam", 1, &sid, err));
    refuses(st, NULL, OL_ENOTFOUND, "no trials yet");
    ol_storage_close(st);
    OK(ol_storage_open(&st, "memory:", err));
    add_study(st, "f", 0, &SPECS[0], 3, "FDF");
    refuses(st, NULL, OL_ENOTFOUND, "none of its 3 trials completed (2 failed, 1 diverged");
    ol_storage_close(st);
}

Test(report, refuses_missing_and_foreign_storage) {
    char tmp[256], path[300], url[320];
    make_tmpdir(tmp, sizeof tmp);
    snprintf(path, sizeof path, "%s/absent.db", tmp);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    refuses(NULL, url, OL_ENOTFOUND, "does not exist");
    cr_assert(!exists(path), "the report created the storage file it was asked to read");
    /* a text file */
    snprintf(path, sizeof path, "%s/notes.db", tmp);
    FILE *f = fopen(path, "w");
    fputs("these are not the studies you are looking for\n", f);
    fclose(f);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    refuses(NULL, url, OL_EFORMAT, "notes.db");
    /* a SQLite database of another program */
    snprintf(path, sizeof path, "%s/other.db", tmp);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'CREATE TABLE songs(title TEXT); INSERT INTO songs VALUES (\"x\");'",
             path);
    cr_assert_eq(system(cmd), 0);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    refuses(NULL, url, OL_EFORMAT, "other.db");
    refuses(NULL, "mysql://x", OL_EINVAL, "unknown scheme");
    rm_rf(tmp);
}

Test(report, hyperparameters_written_as_people_write_them) {
    char b[64];
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 0.00123456, 1, 0, 1e-4, 1e-2), "0.00123");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 0.000123456, 1, 0, 1e-4, 1e-2), "1.23e-4");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 0.0000250, 1, 0, 1e-6, 1e-2), "2.5e-5");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 0.998765, 0, 0, 0.99, 0.9999), "0.9988");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 0.87312, 0, 0, 0.8, 0.95), "0.873");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 0.95321, 0, 0, 0.5, 0.999), "0.953");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, 37, 0, 1, 1, 100), "37");
    cr_assert_str_eq(ol_report_format_hparam(b, sizeof b, NAN, 0, 0, 0, 1), "—");
}
