/*
 * test_study_cache.c — the study's incremental reads (src/hpo/study.c keeps
 * finished trials and reads only new and unfinished ones) must give the
 * sampler exactly the history a full read gives. Two runs of the same
 * sequence of asks and tells, on two SQLite files: one through long-lived
 * study handles (two "workers" interleaving, each with its own cache, some
 * trials left RUNNING across asks, one pruned), the other opening a fresh
 * study (no cache) for every call. TPE's draws depend on the history, so
 * every parameter must be bit-identical.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "optlab/hpo.h"
#include "optlab/storage.h"

#define ROUNDS 40

static void rm_db(const char *path) {
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Run the sequence; cached: two long-lived handles, else a fresh handle per call. out[r][k]: params. */
static void run(const char *path, int cached, double out[ROUNDS][2]) {
    char url[300];
    rm_db(path);
    snprintf(url, sizeof url, "sqlite:///%s", path);
    ol_storage *st;
    ol_sampler *tpe;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, url, &err), OL_OK, "%s", err.msg);
    ol_tpe_options o = ol_tpe_defaults();
    o.n_startup_trials = 5;
    cr_assert_eq(ol_sampler_tpe_new(&tpe, &o, &err), OL_OK, "%s", err.msg);
    ol_study_options so = {.name = "c", .maximize = 0, .seed = 7, .sampler = tpe};
    ol_study *h[2] = {NULL, NULL};
    if (cached)
        for (int w = 0; w < 2; w++) cr_assert_eq(ol_study_open(&h[w], st, &so, &err), OL_OK, "%s", err.msg);
    ol_trial *pending[2] = {NULL, NULL};
    ol_study *pending_study[2] = {NULL, NULL};
    for (int r = 0; r < ROUNDS; r++) {
        int w = r % 2;
        ol_study *s = cached ? h[w] : NULL;
        if (!cached) cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
        ol_trial *t;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "round %d: %s", r, err.msg);
        double x, y;
        cr_assert_eq(ol_trial_suggest_float(t, "x", -3, 3, 0, 0, &x, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "y", 0.01, 10, 1, 0, &y, &err), OL_OK, "%s", err.msg);
        out[r][0] = x;
        out[r][1] = y;
        /* worker w finishes its previous trial only now: trials stay RUNNING across the other's asks */
        if (pending[w]) {
            double v = 0;
            ol_trial_report(pending[w], 0, 1.0, &err);
            cr_assert_eq(ol_study_tell(pending_study[w], pending[w], r % 7 == 0 ? OL_TRIAL_PRUNED : OL_TRIAL_COMPLETE,
                                       v + out[r - 2][0] * out[r - 2][0] + log(out[r - 2][1]), &err),
                         OL_OK, "%s", err.msg);
            if (!cached) ol_study_close(pending_study[w]);
        }
        pending[w] = t;
        pending_study[w] = s;
    }
    for (int w = 0; w < 2; w++) {
        if (pending[w]) ol_study_tell(pending_study[w], pending[w], OL_TRIAL_FAIL, NAN, &err);
        if (!cached && pending_study[w]) ol_study_close(pending_study[w]);
        if (cached) ol_study_close(h[w]);
    }
    ol_sampler_free(tpe);
    ol_storage_close(st);
    rm_db(path);
}

Test(study_cache, incremental_reads_draw_as_full_reads) {
    static double cached[ROUNDS][2], fresh[ROUNDS][2];
    char a[256], b[256];
    snprintf(a, sizeof a, "/tmp/optlab-cache-a-%ld.db", (long)getpid());
    snprintf(b, sizeof b, "/tmp/optlab-cache-b-%ld.db", (long)getpid());
    run(a, 1, cached);
    run(b, 0, fresh);
    int tpe_rounds = 0;
    for (int r = 0; r < ROUNDS; r++) {
        cr_assert(memcmp(cached[r], fresh[r], sizeof cached[r]) == 0, "round %d: cached (%.17g, %.17g) vs fresh (%.17g, %.17g)",
                  r, cached[r][0], cached[r][1], fresh[r][0], fresh[r][1]);
        tpe_rounds += r >= 5;
    }
    cr_assert_gt(tpe_rounds, 30);
}

Test(study_cache, ask_with_owner_attribute) {
    ol_storage *st;
    ol_sampler *rnd;
    ol_study *s;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_sampler_random_new(&rnd, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_study_open(&s, st, &(ol_study_options){.name = "o", .sampler = rnd}, &err), OL_OK, "%s", err.msg);
    ol_attr_rec owner[] = {{"optlab:worker", "\"h:42\""}};
    ol_trial *t;
    cr_assert_eq(ol_study_ask_with_attrs(s, owner, 1, &t, &err), OL_OK, "%s", err.msg);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, ol_study_id(s), &tr, &n, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(ol_attr_find(tr[0].system_attrs, tr[0].n_system_attrs, "optlab:worker"), "\"h:42\"");
    ol_trials_free(tr, n);
    ol_attr_rec bad[] = {{"optlab:worker", "not json"}};
    ol_trial *t2 = NULL;
    cr_assert_eq(ol_study_ask_with_attrs(s, bad, 1, &t2, &err), OL_EINVAL);
    cr_assert_null(t2);
    cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, 1.0, &err), OL_OK, "%s", err.msg);
    ol_study_close(s);
    ol_sampler_free(rnd);
    ol_storage_close(st);
}

Test(study_cache, open_refuses_a_name_that_is_not_utf8) {
    ol_storage *st;
    ol_sampler *rnd;
    ol_study *s = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_sampler_random_new(&rnd, &err), OL_OK, "%s", err.msg);
    /* the create's refusal is the message, not "no study named" from the lookup after it */
    cr_assert_eq(ol_study_open(&s, st, &(ol_study_options){.name = "a\xff\xfe" "b", .sampler = rnd}, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "not valid UTF-8"), "%s", err.msg);
    cr_assert_null(s);
    ol_sampler_free(rnd);
    ol_storage_close(st);
}
