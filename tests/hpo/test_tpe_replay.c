/*
 * TPE against Optuna 3.1's own decisions: for every ask that Optuna's
 * TPESampler made in three pruned studies over every kind of distribution
 * (golden file and the script that made it:
 * tests/hpo/golden/make_tpe_replay_golden.py), optlab builds l(x) and g(x)
 * from the same history (COMPLETE, PRUNED with and without intermediate
 * values, a NaN last value, FAIL), scores Optuna's 24 candidates and must
 * choose the candidate Optuna chose. This covers the start-up count, the
 * ranking and gamma split, the estimators and the comparison; only the random
 * draws differ between the two, and test_parzen.c checks the densities.
 *
 * A near-tie (optlab's scores of the two choices within 1e-9: the same
 * mathematical score, rounded differently) counts as agreement and is logged;
 * the golden file has 6 of 966 (categorical and stepped-int candidates whose
 * l and g give equal ratios).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_golden.h"

#define GOLDEN "tests/hpo/golden/tpe_replay_optuna31.txt"

typedef struct {
    int decisions, agreed, near_ties;
} tally;

/* Replay the decide lines that follow a study's trials; stops at the next study (or EOF). */
static void replay_decisions(FILE *f, const golden_study *g, tally *t) {
    for (;;) {
        long at = ftell(f);
        char word[16];
        if (fscanf(f, " %15s", word) != 1) return;
        if (strcmp(word, "decide")) {
            fseek(f, at, SEEK_SET);
            return;
        }
        int number;
        char pname[32];
        size_t m;
        cr_assert_eq(fscanf(f, "%d %31s %zu", &number, pname, &m), 3);
        cr_assert(m > 0 && m <= 64 && number < g->n_trials);
        double cand[64], scores[64], chosen;
        for (size_t c = 0; c < m; c++) cr_assert_eq(fscanf(f, "%lf", &cand[c]), 1);
        cr_assert_eq(fscanf(f, "%lf", &chosen), 1);
        const golden_dist *d = find_dist(g, pname);
        ol_sample_ctx ctx = {.trials = g->trials, .n_trials = (size_t)number, .maximize = g->maximize,
                             .trial_number = number, .param_name = pname, .dist = &d->dist, .dist_json = d->json};
        size_t best = 0;
        int startup = 0;
        ol_error err = {0};
        cr_assert_eq(ol_hpo_tpe_pick(&ctx, cand, m, &best, scores, &startup, &err), OL_OK, "%s", err.msg);
        cr_assert_not(startup, "trial %d, %s: optlab is still in the random start-up where Optuna used TPE", number,
                      pname);
        size_t theirs = m;
        for (size_t c = 0; c < m && theirs == m; c++)
            if (cand[c] == chosen) theirs = c;
        cr_assert_lt(theirs, m, "trial %d, %s: Optuna's choice %.17g is not among its candidates", number, pname,
                     chosen);
        t->decisions++;
        if (cand[best] == chosen) t->agreed++;
        else if (fabs(scores[best] - scores[theirs]) <= 1e-9) {
            t->near_ties++;
            cr_log_info("near-tie: trial %d, %s: optlab %.17g, Optuna %.17g, scores %.17g vs %.17g", number, pname,
                        cand[best], chosen, scores[best], scores[theirs]);
        }
        else
            cr_assert_fail("trial %d, %s: optlab chose %.17g (score %.12g), Optuna %.17g (optlab's score %.12g)", number,
                    pname, cand[best], scores[best], chosen, scores[theirs]);
    }
}

Test(tpe_replay, chooses_what_optuna_31_chose) {
    FILE *f = fopen(GOLDEN, "r");
    cr_assert_not_null(f, GOLDEN " not found (run from the repository root)");
    tally t = {0};
    int studies = 0;
    golden_study g;
    while (read_next_study(f, &g)) {
        replay_decisions(f, &g, &t);
        free_study(&g);
        studies++;
    }
    fclose(f);
    cr_log_info("tpe_replay: %d studies, %d decisions, %d identical, %d near-ties", studies, t.decisions, t.agreed,
                t.near_ties);
    cr_assert_eq(studies, 3);
    cr_assert_geq(t.decisions, 900, "only %d decisions read", t.decisions);
    cr_assert_eq(t.agreed + t.near_ties, t.decisions);
}

/* The start-up: with 9 finished trials TPE is still random; FAIL and RUNNING trials do not count. */
Test(tpe_replay, startup_counts_complete_and_pruned_only) {
    ol_distribution d = {.kind = OL_DIST_FLOAT, .low = 0, .high = 1};
    const char *json = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0, \"high\": 1.0, "
                       "\"log\": false}}";
    ol_trial_rec tr[13];
    ol_param_rec pr[13];
    memset(tr, 0, sizeof tr);
    for (int i = 0; i < 13; i++) {
        pr[i] = (ol_param_rec){.name = "x", .value = i / 13.0, .distribution_json = (char *)json};
        tr[i] = (ol_trial_rec){.number = i, .state = OL_TRIAL_COMPLETE, .has_value = 1, .value = i, .n_params = 1,
                               .params = &pr[i]};
    }
    tr[3].state = OL_TRIAL_FAIL;
    tr[5].state = OL_TRIAL_RUNNING;
    tr[7].state = OL_TRIAL_PRUNED;
    double cand[2] = {0.1, 0.9}, scores[2];
    size_t best;
    int startup;
    ol_error err = {0};
    ol_sample_ctx ctx = {.trials = tr, .n_trials = 11, .trial_number = 12, .param_name = "x", .dist = &d,
                         .dist_json = json};
    cr_assert_eq(ol_hpo_tpe_pick(&ctx, cand, 2, &best, scores, &startup, &err), OL_OK);
    cr_assert(startup, "11 trials of which 9 COMPLETE or PRUNED: still the start-up");
    ctx.n_trials = 12;
    cr_assert_eq(ol_hpo_tpe_pick(&ctx, cand, 2, &best, scores, &startup, &err), OL_OK);
    cr_assert_not(startup, "10 COMPLETE or PRUNED: TPE");
    cr_assert_eq(best, 0, "the best values are at small x, so l/g favours 0.1 (scores %g, %g)", scores[0], scores[1]);
}
