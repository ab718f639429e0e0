/*
 * The report's "Trials that never learn" section (src/report/neverlearn.c)
 * from a stored experiment with a known failure pattern: AdamW under two
 * losses, 40 paired trials each (the same learning rate and weight decay for
 * trial k in both studies). Under the seed loss a trial fails exactly when
 * its learning rate is at least 1e-2; under the logits loss only the
 * even-numbered ones of those do. The section's counts, rates per decade,
 * η² per factor, the factor it names, the paired loss comparison and the
 * diagnostics medians are all recomputed here from the same rule; its
 * figures must exist beside the Markdown that links them.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "optlab/report.h"
#include "optlab/storage.h"

#include "fixture.h"

#define N 40
static double LR[N], WD[N];

static int fails(int logits, int k) { return LR[k] >= 1e-2 && (!logits || k % 2 == 0); }

static const char *DIST_LR = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0001, "
                             "\"high\": 0.1, \"log\": true}}";
static const char *DIST_WD = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 1e-05, "
                             "\"high\": 0.1, \"log\": true}}";

static void diag_json(char *buf, size_t n, int failed) {
    /* the seed CNN's layout; failed trials: saturated sigmoid 90 %, dead ReLUs 50 %, tiny gradients */
    double sat = failed ? 0.9 : 0.1, dead = failed ? 0.5 : 0.2, g = failed ? 1e-4 : 0.05;
    snprintf(buf, n,
             "{\"batch\": 32, \"sigmoid_saturated\": [0.01, 0.99], \"param_layers\": [\"0:conv32k3p1\", "
             "\"3:conv64k3\", \"6:conv64k3\", \"9:linear64\", \"11:linear10\"], \"relu_layers\": [\"1:relu\", "
             "\"4:relu\", \"7:relu\"], \"sigmoid_layers\": [\"10:sigmoid\"], "
             "\"epoch0\": {\"loss\": 2.3, \"grad_norm\": [%g, %g, %g, %g, %g], \"dead_relu\": [%g, %g, %g], "
             "\"zero_relu\": [0.6, 0.6, 0.6], \"saturated_sigmoid\": [%g], \"grad_norm_total\": %g}}",
             g, g, g, g, g, dead, dead, dead, sat, sqrt(5) * g);
}

static void add_study(ol_storage *st, const char *name, const char *label, const char *loss) {
    int64_t sid;
    char json[2048];
    OK(ol_storage_create_study(st, name, 1, &sid, err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:experiment", "\"nl\"", err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:optimizer", "\"adamw\"", err));
    snprintf(json, sizeof json, "\"%s\"", label);
    OK(ol_storage_set_study_attr(st, sid, "optlab:label", json, err));
    snprintf(json, sizeof json, "\"%s\"", loss);
    OK(ol_storage_set_study_attr(st, sid, "optlab:loss", json, err));
    OK(ol_storage_set_study_attr(st, sid, "optlab:n_trials", "40", err));
    int logits = !strcmp(loss, "logits");
    for (int k = 0; k < N; k++) {
        int64_t tid;
        int number;
        OK(ol_storage_create_trial(st, sid, 0, &tid, &number, err));
        OK(ol_storage_set_param(st, tid, "learning_rate", LR[k], DIST_LR, err));
        OK(ol_storage_set_param(st, tid, "weight_decay", WD[k], DIST_WD, err));
        int f = fails(logits, k);
        double value = f ? 0.1135 : 0.95 + 0.0002 * k;
        for (int e = 0; e < 6; e++) OK(ol_storage_set_intermediate(st, tid, e, f ? 0.1135 : value - 0.01 / (1 + e), err));
        OK(ol_storage_set_trial_attr(st, tid, "status", f ? "\"never_learned\"" : "\"ok\"", err));
        OK(ol_storage_set_trial_attr(st, tid, "epochs", "6", err));
        OK(ol_storage_set_trial_attr(st, tid, "best_epoch", "0", err));
        OK(ol_storage_set_trial_attr(st, tid, "train_loss", "[2.3, 2.2, 2.1, 2.0, 1.9, 1.8]", err));
        diag_json(json, sizeof json, f);
        OK(ol_storage_set_trial_attr(st, tid, "diagnostics", json, err));
        OK(ol_storage_finish_trial(st, tid, OL_TRIAL_COMPLETE, &value, err));
    }
}

/* η² of the failure indicator grouped by decade of x (edges lo * 10^k), over both studies. */
static double eta2_by_decade(const double *x, double lo, int n_bins) {
    int n[16] = {0}, f[16] = {0}, NN = 0, FF = 0;
    for (int logits = 0; logits < 2; logits++)
        for (int k = 0; k < N; k++) {
            int b = (int)floor(log10(x[k] / lo));
            if (b >= n_bins) b = n_bins - 1;
            n[b]++, f[b] += fails(logits, k), NN++, FF += fails(logits, k);
        }
    double p = (double)FF / NN, between = 0;
    for (int b = 0; b < n_bins; b++)
        if (n[b]) between += n[b] * pow((double)f[b] / n[b] - p, 2);
    return between / (NN * p * (1 - p));
}

/* The experiment both tests report on: draws LR and WD, stores the two studies in memory. */
static ol_storage *nl_storage(void) {
    ol_rng rng;
    ol_rng_derive(&rng, 11, "draws");
    for (int k = 0; k < N; k++) {
        LR[k] = 1e-4 * pow(1e3, ol_rng_uniform(&rng));
        WD[k] = 1e-5 * pow(1e4, ol_rng_uniform(&rng));
    }
    ol_storage *st;
    OK(ol_storage_open(&st, "memory:", err));
    add_study(st, "nl/adamw", "AdamW", "seed");
    add_study(st, "nl/adamw-logits", "AdamW, logits loss", "logits");
    return st;
}

/* Removes the test's directory unless OPTLAB_TEST_KEEP is set (then logs where it is). */
static void remove_dir(const char *tmp) {
    if (!getenv("OPTLAB_TEST_KEEP")) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        cr_assert_eq(system(cmd), 0);
    } else {
        cr_log_warn("kept %s", tmp);
    }
}

Test(never_learn, section_numbers_and_figures, .timeout = 60) {
    ol_storage *st = nl_storage();
    char tmp[] = "/tmp/optlab-nl-test-XXXXXX", out[300], path[800];
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(out, sizeof out, "%s/report", tmp);
    ol_report_options opt = {.out_dir = out};
    ol_report_summary sum;
    OK(ol_report_write(st, &opt, &sum, err));
    snprintf(path, sizeof path, "%s/README.md", out);
    char *md = slurp(path, NULL);
    cr_assert_not_null(md);
    const char *sec = strstr(md, "## Trials that never learn");
    cr_assert(sec && sec > strstr(md, "## Failed, diverged"), "section missing or misplaced");

    int F = 0, only_seed = 0, only_logits = 0, both = 0, top_n = 0, top_f = 0;
    for (int k = 0; k < N; k++) {
        F += fails(0, k) + fails(1, k);
        both += fails(0, k) && fails(1, k);
        only_seed += fails(0, k) && !fails(1, k);
        only_logits += !fails(0, k) && fails(1, k);
        if (LR[k] >= 1e-2) top_n += 2, top_f += fails(0, k) + fails(1, k);
    }
    char want[512];
    snprintf(want, sizeof want, "Of %d finished trials, %d failed (%.0f %%): %d never learned, 0 diverged.", 2 * N, F,
             100.0 * F / (2 * N), F);
    cr_assert(strstr(sec, want), "lacks '%s'", want);

    /* η² as the section computes it, from this test's own grouping */
    double e_lr = eta2_by_decade(LR, 1e-4, 3), e_wd = eta2_by_decade(WD, 1e-5, 4);
    cr_assert_gt(e_lr, 0.3);
    cr_assert_lt(e_wd, e_lr);
    snprintf(want, sizeof want, "learning rate %.2f", e_lr);
    cr_assert(strstr(sec, want), "lacks '%s'", want);
    snprintf(want, sizeof want, "weight decay %.2f", e_wd);
    cr_assert(strstr(sec, want), "lacks '%s'", want);
    cr_assert(strstr(sec, "**The learning rate explains the failures best**"), "names another factor");
    snprintf(want, sizeof want, "%.0f %% of trials fail with learning rate in [0.01, 0.1] against 0 %%",
             100.0 * top_f / top_n);
    cr_assert(strstr(sec, want), "lacks '%s'", want);

    /* the rate table: last decade, the "all" column */
    snprintf(want, sizeof want, "| [0.01, 0.1] |");
    const char *row = strstr(sec, want);
    cr_assert_not_null(row);
    const char *eol = strchr(row, '\n');
    snprintf(want, sizeof want, "%.0f %% (%d/%d) |\n", 100.0 * top_f / top_n, top_f, top_n);
    cr_assert(eol && !strncmp(eol - strlen(want) + 1, want, strlen(want)), "row '%.*s' lacks '%s'", (int)(eol - row),
              row, want);

    snprintf(want, sizeof want, "both failed %d, only AdamW %d, only AdamW, logits loss %d.", both, only_seed,
             only_logits);
    cr_assert(strstr(sec, want), "lacks '%s'", want);

    /* diagnostics medians: failed 90 % saturated, healthy 10 % */
    cr_assert(strstr(sec, "| saturated sigmoid outputs after linear64 | 10.0 % | 90.0 % |"), "diagnostics table");
    cr_assert(strstr(sec, "| dead ReLU units after conv32k3p1 | 20.0 % | 50.0 % |"), "dead ReLU row");
    cr_assert(strstr(sec, "0.002× the healthy trials'"), "gradient ratio");
    cr_assert(strstr(sec, "reach: conv32k3p1, conv64k3 #1, conv64k3 #2, linear64, linear10 — those layers no longer learn."),
              "vanished gradients");

    /* every figure the section links exists, PNG and SVG */
    for (const char *p = sec; (p = strstr(p, "](figures/")); p++) {
        char name[256];
        size_t n = strcspn(p + 2, ")");
        snprintf(name, sizeof name, "%.*s", (int)n, p + 2);
        snprintf(path, sizeof path, "%s/%s", out, name);
        struct stat sb;
        cr_assert(stat(path, &sb) == 0 && sb.st_size > 0, "missing %s", path);
        path[strlen(path) - 3] = '\0';
        strcat(path, "svg");
        cr_assert(stat(path, &sb) == 0 && sb.st_size > 0, "missing %s", path);
    }
    snprintf(path, sizeof path, "%s/figures/nl-scatter-adamw-logits-loss.dat", out);
    char *dat = slurp(path, NULL);
    cr_assert_not_null(dat, "no scatter data for the logits study");
    free(dat);
    free(md);
    ol_storage_close(st);
    remove_dir(tmp);
}

/* The file's text (malloc'd), failing the test if it cannot be read. */
static char *must_slurp(const char *path) {
    char *s = slurp(path, NULL);
    cr_assert_not_null(s, "cannot read %s", path);
    return s;
}

/*
 * The same experiment reported in Korean: the section's sentences, table
 * headers, diagnostics measures and figure labels are Korean, with the same
 * numbers as the English section (recomputed here), and no English sentence
 * is left — neither the known phrases nor any run of 4 English words.
 */
Test(never_learn, korean_section_and_figures, .timeout = 60) {
    ol_storage *st = nl_storage();
    char tmp[] = "/tmp/optlab-nl-ko-test-XXXXXX", out[300], path[800];
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(out, sizeof out, "%s/report", tmp);
    ol_report_options opt = {.out_dir = out, .lang = OL_REPORT_KO};
    OK(ol_report_write(st, &opt, NULL, err));
    snprintf(path, sizeof path, "%s/README.md", out);
    char *md = must_slurp(path);
    char *sec = md_section(md, "\n## 학습되지 않는 Trial\n");
    cr_assert_not_null(sec, "no Korean never-learn section");

    int F = 0, only_seed = 0, only_logits = 0, both = 0, top_n = 0, top_f = 0;
    for (int k = 0; k < N; k++) {
        F += fails(0, k) + fails(1, k);
        both += fails(0, k) && fails(1, k);
        only_seed += fails(0, k) && !fails(1, k);
        only_logits += !fails(0, k) && fails(1, k);
        if (LR[k] >= 1e-2) top_n += 2, top_f += fails(0, k) + fails(1, k);
    }
    char want[512];
    snprintf(want, sizeof want, "끝난 Trial %d 개 (정상 완료, 학습 안 됨, 발산) 중 %d 개 (%.0f %%) 가 실패했다: 학습 안 됨 %d 개, 발산 0 개.",
             2 * N, F, 100.0 * F / (2 * N), F);
    cr_expect(strstr(sec, want), "lacks '%s'", want);
    double e_lr = eta2_by_decade(LR, 1e-4, 3), e_wd = eta2_by_decade(WD, 1e-5, 4);
    snprintf(want, sizeof want, "learning rate %.2f", e_lr);
    cr_expect(strstr(sec, want), "lacks '%s'", want);
    snprintf(want, sizeof want, "weight decay %.2f", e_wd);
    cr_expect(strstr(sec, want), "lacks '%s'", want);
    cr_expect(strstr(sec, "**무엇이 실패를 설명하는가.**"), "factor paragraph");
    cr_expect(strstr(sec, "**실패를 가장 잘 설명하는 요인은 learning rate 이다**"), "names another factor");
    snprintf(want, sizeof want, "learning rate ∈ [0.01, 0.1] 인 Trial 중 %.0f %% 가 실패한 반면", 100.0 * top_f / top_n);
    cr_expect(strstr(sec, want), "lacks '%s'", want);
    snprintf(want, sizeof want, "둘 다 실패 %d, AdamW 만 실패 %d, AdamW, logits loss 만 실패 %d.", both, only_seed,
             only_logits);
    cr_expect(strstr(sec, want), "lacks '%s'", want);
    cr_expect(strstr(sec, "learning rate 구간별 실패율 (구간마다 실패한 Trial / 끝난 Trial):\n\n| learning rate |"),
              "rate table");
    snprintf(want, sizeof want, "| [0.01, 0.1] |");
    cr_expect(strstr(sec, want), "rate table rows");
    cr_expect(strstr(sec, "| 측정값 | 정상, Epoch 1 (n="), "diagnostics header");
    cr_expect(strstr(sec, "| linear64 뒤의 포화된 sigmoid 출력 | 10.0 % | 90.0 % |"), "diagnostics table");
    cr_expect(strstr(sec, "| conv32k3p1 뒤의 죽은 ReLU 유닛 | 20.0 % | 50.0 % |"), "dead ReLU row");
    cr_expect(strstr(sec, "정상 Trial 의 0.002× 이다"), "gradient ratio");
    cr_expect(strstr(sec, "conv32k3p1, conv64k3 #1, conv64k3 #2, linear64, linear10 — 이 레이어들은 더 이상 학습되지 않는다."),
              "vanished gradients");
    /* nothing of the English section is left */
    const char *english[] = {"fails to learn", "finished trials", "explains the failures", "Paired by trial number",
                             "Failure rate against", "failure rate against", "Diagnostics of the first epochs",
                             "healthy", "never learned", "never-learned", "dead ReLU units", "saturated sigmoid",
                             "gradient norm of", "no longer learn", "closely followed", "| measure |", "Gradients below",
                             "failed trials marked"};
    for (size_t i = 0; i < sizeof english / sizeof english[0]; i++)
        cr_expect(!strstr(sec, english[i]), "English '%s' left in the Korean section", english[i]);
    char run[256];
    cr_expect(!english_run(sec, 4, run, sizeof run), "English prose left in the Korean section: '%s'", run);

    /* figures: Korean titles, axis labels and keys in the scripts the section links */
    int n_gp = 0;
    for (const char *p = sec; (p = strstr(p, "](figures/")); p++) {
        char name[256];
        size_t n = strcspn(p + 2, ")");
        snprintf(name, sizeof name, "%.*s", (int)n, p + 2);
        snprintf(path, sizeof path, "%s/%s", out, name);
        strcpy(path + strlen(path) - 3, "gp"); /* .png -> .gp */
        char *gp = must_slurp(path);
        n_gp++;
        if (strstr(name, "nl-rate-")) {
            cr_expect(strstr(gp, "구간별 학습에 실패한 Trial\"") && strstr(gp, "set ylabel \"실패한 Trial (%)\"") &&
                          strstr(gp, "title \"전체\""),
                      "%s: Korean labels", name);
            cr_expect(!strstr(gp, "Trials that fail") && !strstr(gp, "failed trials (%)") &&
                          !strstr(gp, "title \"all\""),
                      "%s: English labels", name);
        } else {
            cr_expect(strstr(gp, ": 어떤 Trial 이 학습에 실패하는가\"") && strstr(gp, "title \"정상\"") &&
                          strstr(gp, "title \"학습 안 됨\"") && strstr(gp, "title \"발산\""),
                      "%s: Korean labels", name);
            cr_expect(!strstr(gp, "which trials fail") && !strstr(gp, "\"healthy\"") &&
                          !strstr(gp, "\"never learned\"") && !strstr(gp, "\"diverged\""),
                      "%s: English labels", name);
        }
        free(gp);
    }
    cr_expect_eq(n_gp, 4, "figures linked: 2 rates, 2 scatters");
    free(sec);
    free(md);
    ol_storage_close(st);
    remove_dir(tmp);
}
