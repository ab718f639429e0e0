/*
 * Multivariate TPE against Optuna 3.1's own decisions: for every ask that
 * Optuna's TPESampler(multivariate=True) answered with its joint estimators
 * in three studies (golden file and the script that made it:
 * tests/hpo/golden/make_mvtpe_replay_golden.py), optlab takes the joint space
 * from the same history, builds its joint l(x) and g(x), scores Optuna's 24
 * candidate vectors and must choose the vector Optuna chose. Every trial
 * that Optuna sampled at random (no decide line) must be in optlab's start-up
 * too. This covers the intersection space (parameters some trials lack, a
 * name with two distributions, a one-choice categorical: all left out), the
 * start-up count, the ranking and gamma split over COMPLETE and PRUNED
 * trials, the weights, the multivariate bandwidths, every kernel and the
 * comparison. After each study's last decision, optlab also redraws Optuna's
 * 24 candidates from the uniforms numpy gave it (component, then each
 * parameter from that component), so the two differ only in their random
 * numbers.
 *
 * A near-tie (optlab's scores of the two choices within 1e-9: the same
 * mathematical score, rounded differently) counts as agreement and is logged
 * and counted; the golden file has none today.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_golden.h"

#define MAX_DISTS GOLDEN_MAX_DISTS
#define MAX_CAND 64

#define GOLDEN "tests/hpo/golden/mvtpe_replay_optuna31.txt"

typedef struct {
    int decisions, agreed, near_ties, startups, draws;
    double worst_draw; /* largest |optlab - Optuna| of a continuous redraw, in units of its range */
} tally;

static ol_sample_ctx ctx_at(const golden_study *g, int number) {
    return (ol_sample_ctx){.trials = g->trials, .n_trials = (size_t)number, .maximize = g->maximize,
                           .trial_number = number, .param_name = "", .dist_json = ""};
}

/* Trials first .. last-1 had no joint decision in Optuna: optlab must be in its start-up there. */
static void check_startup(const golden_study *g, int first, int last, tally *t) {
    for (int number = first; number < last; number++) {
        ol_sample_ctx ctx = ctx_at(g, number);
        size_t best = 0;
        int startup = 0;
        ol_error err = {0};
        /* no candidates: only the start-up verdict is asked for */
        ol_status rc = ol_hpo_mvtpe_pick(&ctx, NULL, 0, NULL, 0, &best, NULL, &startup, &err);
        cr_assert(rc == OL_OK && startup, "trial %d: Optuna sampled at random, optlab is past its start-up (%s)",
                  number, err.msg);
        t->startups++;
    }
}

/* The range of parameter `name` (its distribution in the golden file), for the draw tolerance. */
static double param_range(const golden_study *g, const char *name, int *continuous) {
    ol_distribution d;
    ol_error err = {0};
    cr_assert_eq(ol_distribution_from_json(&d, find_dist(g, name)->json, &err), OL_OK, "%s", err.msg);
    *continuous = d.kind == OL_DIST_FLOAT && !(d.step > 0);
    double r = d.kind == OL_DIST_CATEGORICAL ? 1 : d.high - d.low;
    ol_distribution_free(&d);
    return r;
}

/*
 * A draw line: optlab redraws the m candidates of the decision just read from the uniforms numpy
 * gave Optuna. Categories and grid values must be equal; continuous values within 1e-12 of the
 * parameter's range (truncated-normal quantiles by bisection, and exp for log scales, round off
 * differently).
 */
static void check_draw(FILE *f, const golden_study *g, int number, size_t m, size_t d, const char *const *names,
                       const double *cand, tally *t) {
    int n2;
    cr_assert_eq(fscanf(f, "%d", &n2), 1);
    cr_assert_eq(n2, number, "golden file: draw line for trial %d after the decision of trial %d", n2, number);
    double u_comp[MAX_CAND], u_value[MAX_CAND * MAX_DISTS], out[MAX_CAND * MAX_DISTS];
    for (size_t c = 0; c < m; c++) cr_assert_eq(fscanf(f, "%lf", &u_comp[c]), 1);
    for (size_t i = 0; i < m * d; i++) cr_assert_eq(fscanf(f, "%lf", &u_value[i]), 1);
    ol_sample_ctx ctx = ctx_at(g, number);
    int startup = 0;
    ol_error err = {0};
    cr_assert_eq(ol_hpo_mvtpe_draw(&ctx, names, d, u_comp, u_value, m, out, &startup, &err), OL_OK, "trial %d: %s",
                 number, err.msg);
    cr_assert_not(startup);
    for (size_t k = 0; k < d; k++) {
        int continuous;
        double range = param_range(g, names[k], &continuous);
        for (size_t c = 0; c < m; c++) {
            double ours = out[c * d + k], theirs = cand[c * d + k], diff = fabs(ours - theirs) / range;
            if (continuous) {
                cr_assert_leq(diff, 1e-12, "trial %d, candidate %zu, %s: optlab drew %.17g, Optuna %.17g", number, c,
                              names[k], ours, theirs);
                if (diff > t->worst_draw) t->worst_draw = diff;
            } else
                cr_assert_eq(ours, theirs, "trial %d, candidate %zu, %s: optlab drew %.17g, Optuna %.17g", number, c,
                             names[k], ours, theirs);
        }
    }
    t->draws += (int)m;
}

/* Replay the decide (and draw) lines that follow a study's trials; stops at the next study (or EOF). */
static void replay_decisions(FILE *f, const golden_study *g, tally *t) {
    int next = 0; /* the first trial not yet checked */
    /* the decision just read, for a draw line that follows it */
    static double last_cand[MAX_CAND * MAX_DISTS];
    static char last_name_buf[MAX_DISTS][32];
    const char *last_names[MAX_DISTS];
    size_t last_m = 0, last_d = 0;
    int have_last = 0;
    for (;;) {
        long at = ftell(f);
        char word[16];
        int got = fscanf(f, " %15s", word) == 1;
        if (got && !strcmp(word, "draw")) {
            cr_assert(have_last, "golden file: a draw line before any decision");
            check_draw(f, g, next - 1, last_m, last_d, last_names, last_cand, t);
            continue;
        }
        if (!got || strcmp(word, "decide")) {
            if (got) fseek(f, at, SEEK_SET);
            check_startup(g, next, g->n_trials, t);
            return;
        }
        int number;
        size_t m, d;
        cr_assert_eq(fscanf(f, "%d %zu %zu", &number, &m, &d), 3);
        cr_assert(m > 0 && m <= MAX_CAND && d > 0 && d <= MAX_DISTS && number >= next && number < g->n_trials);
        check_startup(g, next, number, t);
        next = number + 1;
        char names[MAX_DISTS][32];
        const char *name_ptr[MAX_DISTS];
        for (size_t j = 0; j < d; j++) {
            cr_assert_eq(fscanf(f, "%31s", names[j]), 1);
            name_ptr[j] = names[j];
        }
        double cand[MAX_CAND * MAX_DISTS], chosen[MAX_DISTS], scores[MAX_CAND];
        for (size_t i = 0; i < m * d; i++) cr_assert_eq(fscanf(f, "%lf", &cand[i]), 1);
        for (size_t j = 0; j < d; j++) cr_assert_eq(fscanf(f, "%lf", &chosen[j]), 1);
        size_t theirs = m;
        for (size_t c = 0; c < m && theirs == m; c++)
            if (!memcmp(&cand[c * d], chosen, d * sizeof *chosen)) theirs = c;
        cr_assert_lt(theirs, m, "trial %d: Optuna's choice is not among its candidates", number);

        memcpy(last_cand, cand, m * d * sizeof *cand);
        for (size_t j = 0; j < d; j++) {
            strcpy(last_name_buf[j], names[j]);
            last_names[j] = last_name_buf[j];
        }
        last_m = m, last_d = d, have_last = 1;

        ol_sample_ctx ctx = ctx_at(g, number);
        size_t best = 0;
        int startup = 0;
        ol_error err = {0};
        cr_assert_eq(ol_hpo_mvtpe_pick(&ctx, name_ptr, d, cand, m, &best, scores, &startup, &err), OL_OK,
                     "trial %d: %s", number, err.msg);
        cr_assert_not(startup, "trial %d: optlab is still in the random start-up where Optuna used its joint TPE",
                      number);
        t->decisions++;
        if (best == theirs || !memcmp(&cand[best * d], chosen, d * sizeof *chosen)) t->agreed++;
        else if (fabs(scores[best] - scores[theirs]) <= 1e-9) {
            t->near_ties++;
            cr_log_info("near-tie: trial %d: optlab candidate %zu, Optuna %zu, scores %.17g vs %.17g", number, best,
                        theirs, scores[best], scores[theirs]);
        } else
            cr_assert_fail("trial %d: optlab chose candidate %zu (score %.12g), Optuna %zu (optlab's score %.12g)",
                           number, best, scores[best], theirs, scores[theirs]);
    }
}

Test(mvtpe_replay, chooses_what_optuna_31_chose) {
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
    cr_log_info("mvtpe_replay: %d studies, %d joint decisions, %d identical, %d near-ties; %d start-up asks; "
                "%d candidates redrawn, continuous ones within %.3g of the range",
                studies, t.decisions, t.agreed, t.near_ties, t.startups, t.draws, t.worst_draw);
    cr_assert_eq(studies, 3);
    cr_assert_geq(t.decisions, 60, "only %d decisions read", t.decisions);
    cr_assert_eq(t.draws, 3 * 24, "expected a draw line (24 candidates) per study, read %d candidates", t.draws);
    cr_assert_eq(t.agreed + t.near_ties, t.decisions);
}
