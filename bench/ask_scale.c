/*
 * ask_scale.c — the time of one worker's TPE ask on a large study, storage
 * read included: opens STUDY in the storage URL as a worker does, then runs
 * N rounds of ask -> suggest the seed's three Adam parameters (TPE) -> tell,
 * timing ask+suggest of each. The first ask reads the whole study; later ones
 * read only what changed (src/hpo/study.c's cache). Prints the first ask and
 * the median and maximum of the rest, in ms. With --each, the three
 * parameters are suggested by three ol_trial_suggest calls (three commits), as
 * before ol_trial_suggest_many; by default in one call (one commit), as the
 * experiment worker and `optlab ask` do.
 *   build/bench/ask_scale URL STUDY [N [--each]]     (bench/ask_scale.sh builds the
 *   10,000-trial study with Optuna and runs this beside Optuna's ask+tell)
 * Run without arguments (as scripts/run-bench.sh runs every compiled bench),
 * it says so and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optlab/core.h"
#include "optlab/hpo.h"
#include "optlab/storage.h"

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* This thread's CPU seconds: on cores shared with other jobs, closer to the idle cost than wall time. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        printf("ask_scale: needs URL STUDY [N]; bench/ask_scale.sh builds the study and runs it\n");
        return 0;
    }
    const char *url = argv[1], *name = argv[2];
    int rounds = argc > 3 ? atoi(argv[3]) : 20;
    int each = argc > 4 && !strcmp(argv[4], "--each");
    if (rounds < 2) rounds = 2;
    ol_error err = {0};
    ol_storage *st = NULL;
    ol_sampler *tpe = NULL;
    ol_study *study = NULL;
    if (ol_storage_open_flags(&st, url, OL_STORAGE_OPEN_EXISTING, &err) ||
        ol_sampler_tpe_new(&tpe, NULL, &err) ||
        ol_study_open(&study, st, &(ol_study_options){.name = name, .maximize = 1, .seed = 1, .sampler = tpe}, &err)) {
        fprintf(stderr, "ask_scale: %s\n", err.msg);
        return 1;
    }
    /* the seed's Adam space */
    const char *names[3] = {"learning_rate", "beta1", "beta2"};
    const ol_distribution dists[3] = {{.kind = OL_DIST_FLOAT, .low = 1e-4, .high = 1e-2, .log = 1},
                                      {.kind = OL_DIST_FLOAT, .low = 0.8, .high = 0.95},
                                      {.kind = OL_DIST_FLOAT, .low = 0.99, .high = 0.9999}};
    double *ms = malloc((size_t)rounds * sizeof *ms), *ask_ms = malloc((size_t)rounds * sizeof *ask_ms);
    double *cpu_ms = malloc((size_t)rounds * sizeof *cpu_ms);
    int n_trials = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = ol_now(), c0 = cpu_now();
        ol_trial *t;
        double v[3];
        if (ol_study_ask(study, &t, &err) || !(ask_ms[r] = (ol_now() - t0) * 1e3) ||
            (each ? ol_trial_suggest(t, names[0], &dists[0], &v[0], &err) ||
                        ol_trial_suggest(t, names[1], &dists[1], &v[1], &err) ||
                        ol_trial_suggest(t, names[2], &dists[2], &v[2], &err)
                  : ol_trial_suggest_many(t, names, dists, 3, v, &err))) {
            fprintf(stderr, "ask_scale: round %d: %s\n", r, err.msg);
            return 1;
        }
        ms[r] = (ol_now() - t0) * 1e3;
        cpu_ms[r] = (cpu_now() - c0) * 1e3;
        n_trials = ol_trial_number(t) + 1;
        if (ol_study_tell(study, t, OL_TRIAL_COMPLETE, 0.9 + 0.001 * (r % 50), &err)) {
            fprintf(stderr, "ask_scale: tell: %s\n", err.msg);
            return 1;
        }
    }
    double first = ms[0], first_read = ask_ms[0];
    qsort(ms + 1, (size_t)rounds - 1, sizeof *ms, cmp_double);
    qsort(ask_ms + 1, (size_t)rounds - 1, sizeof *ask_ms, cmp_double);
    qsort(cpu_ms + 1, (size_t)rounds - 1, sizeof *cpu_ms, cmp_double);
    printf("optlab in-process TPE ask+suggest (3 params, %s), %d trials: first %.1f ms (storage %.1f); next %d: median "
           "%.2f ms (storage part %.2f), max %.2f ms; CPU of this thread: first %.1f ms, later median %.2f ms\n",
           each ? "3 suggests" : "suggest_many", n_trials, first, first_read, rounds - 1, ms[1 + (rounds - 1) / 2], ask_ms[1 + (rounds - 1) / 2],
           ms[rounds - 1], cpu_ms[0], cpu_ms[1 + (rounds - 1) / 2]);
    free(ms);
    free(cpu_ms);
    free(ask_ms);
    ol_study_close(study);
    ol_sampler_free(tpe);
    ol_storage_close(st);
    return 0;
}
