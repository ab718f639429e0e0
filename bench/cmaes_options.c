/*
 * cmaes_options.c — optlab's CMA-ES with and without its two Optuna options, on two functions,
 * many seeds, through the study API over "memory:" storages (issue 18; bench/cmaes.sh runs it
 * beside bench/cmaes_options_optuna.py, which does the same with Optuna 3.1's CmaEsSampler):
 *
 *  - mixed: x0..x2 floats on [-5, 5], k0..k2 ints on [-10, 10];
 *    f = sum (x_i - c_i)^2 + sum (k_i - d_i)^2, c = (1.3, -0.7, 2.1), d = (3, -2, 6); minimum 0.
 *    Samplers "cmaes" and "cmaes-margin" ({"with_margin": true}); 80 trials, marks 20 and 40.
 *  - mixed-wide: the same with the floats on [-10, 10], so that every parameter spans about the same
 *    range (Optuna's sigma0 is the smallest raw range / 6; optlab's is 1/6 of every range).
 *  - shifted: x0..x3 floats on [-5, 5]; the target f = sum (x_i - a_i - 0.4)^2 with
 *    a = (2.5, -2, 1, -3), minimum 0. Its source task, sum (x_i - a_i)^2, is a study of 60 trials of
 *    plain CMA-ES (seed 100000 + s) in the same storage. Samplers "cmaes" (cold start), "cmaes-ws"
 *    ({"source_study": "source"}) and "cmaes-ws-alpha0.01" (source_alpha 0.01: on this space's range
 *    of 10, the prior Optuna's alpha = 0.1 in raw units gives); 40 trials, marks 10 and 20.
 *
 * Both with IPOP restarts (optlab's default; Optuna is given restart_strategy="ipop"). Prints, one
 * line per (function, sampler, seed), the best-so-far regret after the two marks and the last trial:
 * the --per-seed format of `optlab hpo-bench` that bench/hpo_compare.py reads.
 *   build/bench/cmaes_options [SEEDS [FIRST]]      default 100 0
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/core.h"
#include "optlab/hpo.h"
#include "optlab/storage.h"

static double x_half_range; /* 5 for mixed, 10 for mixed-wide */

static int eval_mixed(ol_trial *t, double *f, ol_error *err) {
    static const double c[3] = {1.3, -0.7, 2.1}, d[3] = {3, -2, 6};
    *f = 0;
    for (int i = 0; i < 3; i++) {
        char name[8];
        double x;
        int64_t k;
        snprintf(name, sizeof name, "x%d", i);
        if (ol_trial_suggest_float(t, name, -x_half_range, x_half_range, 0, 0, &x, err)) return -1;
        snprintf(name, sizeof name, "k%d", i);
        if (ol_trial_suggest_int(t, name, -10, 10, 0, 1, &k, err)) return -1;
        *f += (x - c[i]) * (x - c[i]) + ((double)k - d[i]) * ((double)k - d[i]);
    }
    return 0;
}

static double shift_by; /* 0 for the source task, 0.4 for the target */

static int eval_shifted(ol_trial *t, double *f, ol_error *err) {
    static const double a[4] = {2.5, -2, 1, -3};
    *f = 0;
    for (int i = 0; i < 4; i++) {
        char name[8];
        double x;
        snprintf(name, sizeof name, "x%d", i);
        if (ol_trial_suggest_float(t, name, -5, 5, 0, 0, &x, err)) return -1;
        *f += (x - a[i] - shift_by) * (x - a[i] - shift_by);
    }
    return 0;
}

/* `trials` trials of eval in study `name` of st; best-so-far after the marks into at[0..2] */
static int run(ol_storage *st, const char *name, const char *kwargs, uint64_t seed, int trials, const int *marks,
               int (*eval)(ol_trial *, double *, ol_error *), double *at, ol_error *err) {
    ol_sampler *sm = NULL;
    ol_study *s = NULL;
    if (ol_sampler_new_in_storage(&sm, "cmaes", kwargs, st, err)) return -1;
    ol_study_options so = {.name = name, .maximize = 0, .seed = seed, .sampler = sm};
    int rc = ol_study_open(&s, st, &so, err) ? -1 : 0;
    double best = INFINITY;
    for (int i = 0; i < trials && !rc; i++) {
        ol_trial *t;
        double f;
        if (ol_study_ask(s, &t, err) || eval(t, &f, err) || ol_study_tell(s, t, OL_TRIAL_COMPLETE, f, err)) {
            rc = -1;
            break;
        }
        best = fmin(best, f);
        for (int m = 0; m < 3; m++)
            if (i + 1 == marks[m]) at[m] = best;
    }
    ol_study_close(s);
    ol_sampler_free(sm);
    return rc;
}

int main(int argc, char **argv) {
    int seeds = argc > 1 ? atoi(argv[1]) : 100, first = argc > 2 ? atoi(argv[2]) : 0;
    if (seeds < 1 || first < 0) {
        fprintf(stderr, "usage: cmaes_options [SEEDS [FIRST]]\n");
        return 2;
    }
    static const int mixed_marks[3] = {20, 40, 80}, shifted_marks[3] = {10, 20, 40};
    printf("# optlab: best-so-far regret per seed; mixed after trial 20, 40 and 80; shifted after 10, 20 and 40\n");
    ol_error err = {0};
    for (int s = first; s < first + seeds; s++) {
        double at[3];
        const struct {
            const char *label, *kwargs;
        } mixed[2] = {{"cmaes", NULL}, {"cmaes-margin", "{\"with_margin\": true}"}};
        for (int w = 0; w < 2; w++)
            for (int v = 0; v < 2; v++) {
                ol_storage *st = NULL;
                const char *fn = w ? "mixed-wide" : "mixed";
                x_half_range = w ? 10 : 5;
                if (ol_storage_open(&st, "memory:", &err) ||
                    run(st, "mixed", mixed[v].kwargs, (uint64_t)s, 80, mixed_marks, eval_mixed, at, &err)) {
                    fprintf(stderr, "cmaes_options: %s %s seed %d: %s\n", fn, mixed[v].label, s, err.msg);
                    return 1;
                }
                ol_storage_close(st);
                printf("%s %s %d %.17g %.17g %.17g\n", fn, mixed[v].label, s, at[0], at[1], at[2]);
            }
        ol_storage *st = NULL;
        double src[3];
        shift_by = 0;
        if (ol_storage_open(&st, "memory:", &err) ||
            run(st, "source", NULL, 100000 + (uint64_t)s, 60, (const int[]){60, 60, 60}, eval_shifted, src, &err)) {
            fprintf(stderr, "cmaes_options: source seed %d: %s\n", s, err.msg);
            return 1;
        }
        shift_by = 0.4;
        const struct {
            const char *label, *study, *kwargs;
        } shifted[3] = {{"cmaes", "cold", NULL},
                        {"cmaes-ws", "warm", "{\"source_study\": \"source\"}"},
                        {"cmaes-ws-alpha0.01", "warm2", "{\"source_study\": \"source\", \"source_alpha\": 0.01}"}};
        for (int v = 0; v < 3; v++) {
            if (run(st, shifted[v].study, shifted[v].kwargs, (uint64_t)s, 40, shifted_marks, eval_shifted, at, &err)) {
                fprintf(stderr, "cmaes_options: shifted %s seed %d: %s\n", shifted[v].label, s, err.msg);
                return 1;
            }
            printf("shifted %s %d %.17g %.17g %.17g\n", shifted[v].label, s, at[0], at[1], at[2]);
        }
        ol_storage_close(st);
        fflush(stdout);
    }
    return 0;
}
