/*
 * tpe_ask.c — TPE's own cost at scale, without a database: a "memory:"
 * study of N random trials over the seed's Adam space (plus an int batch
 * size with --int), then R TPE asks of a worker (ask + suggest), each timed
 * in process CPU seconds (so other jobs on shared cores count less than in
 * wall time). Prints every ask's parameters at full precision, so two builds
 * can be compared for identical decisions (diff the outputs), and the mean
 * CPU ms of the later asks with the suggests' part.
 *   build/bench/tpe_ask [N [R [--int]]]      default 10000 10
 * bench/ask_scale.sh measures the same on SQLite and PostgreSQL, storage included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "optlab/core.h"
#include "optlab/hpo.h"
#include "optlab/storage.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int suggest(ol_trial *t, int with_int, double *v, ol_error *err) {
    int64_t bs = 0;
    if (ol_trial_suggest_float(t, "learning_rate", 1e-4, 1e-2, 1, 0, &v[0], err) ||
        ol_trial_suggest_float(t, "beta1", 0.8, 0.95, 0, 0, &v[1], err) ||
        ol_trial_suggest_float(t, "beta2", 0.99, 0.9999, 0, 0, &v[2], err) ||
        (with_int && ol_trial_suggest_int(t, "batch_size", 16, 128, 0, 1, &bs, err)))
        return 1;
    v[3] = (double)bs;
    return 0;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10000, rounds = argc > 2 ? atoi(argv[2]) : 10;
    int with_int = argc > 3 && !strcmp(argv[3], "--int");
    if (n < 10 || rounds < 2) {
        fprintf(stderr, "usage: tpe_ask [N>=10 [ROUNDS>=2 [--int]]]\n");
        return 2;
    }
    ol_error err = {0};
    ol_storage *st = NULL;
    ol_sampler *rnd = NULL, *tpe = NULL;
    ol_study *fill = NULL, *worker = NULL;
    if (ol_storage_open(&st, "memory:", &err) || ol_sampler_random_new(&rnd, &err) ||
        ol_sampler_tpe_new(&tpe, NULL, &err) ||
        ol_study_open(&fill, st, &(ol_study_options){.name = "big", .maximize = 1, .seed = 1, .sampler = rnd}, &err))
        goto fail;
    for (int i = 0; i < n; i++) {
        ol_trial *t;
        double v[4];
        if (ol_study_ask(fill, &t, &err) || suggest(t, with_int, v, &err) ||
            ol_study_tell(fill, t, OL_TRIAL_COMPLETE, v[1] * v[2] - v[0], &err))
            goto fail;
    }
    if (ol_study_open(&worker, st, &(ol_study_options){.name = "big", .maximize = 1, .seed = 1, .sampler = tpe}, &err))
        goto fail;
    double total = 0, suggests = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = cpu_now();
        ol_trial *t;
        double v[4];
        if (ol_study_ask(worker, &t, &err)) goto fail;
        double t1 = cpu_now();
        if (suggest(t, with_int, v, &err)) goto fail;
        double t2 = cpu_now();
        if (r) total += t2 - t0, suggests += t2 - t1;
        printf("trial %d: %.17g %.17g %.17g %g  (%.2f ms CPU)\n", ol_trial_number(t), v[0], v[1], v[2], v[3],
               (t2 - t0) * 1e3);
        if (ol_study_tell(worker, t, OL_TRIAL_COMPLETE, 0.9 + 0.001 * r, &err)) goto fail;
    }
    printf("tpe_ask: %d trials, %s: later asks %.2f ms CPU each (suggests %.2f ms)\n", n,
           with_int ? "3 float + 1 int parameters" : "3 float parameters", total / (rounds - 1) * 1e3,
           suggests / (rounds - 1) * 1e3);
    ol_study_close(worker);
    ol_study_close(fill);
    ol_sampler_free(tpe);
    ol_sampler_free(rnd);
    ol_storage_close(st);
    return 0;
fail:
    fprintf(stderr, "tpe_ask: %s\n", err.msg);
    return 1;
}
