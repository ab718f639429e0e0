/*
 * ol_study_options.ignore_attr (issue 17): trials carrying the named system
 * attribute (optlab's re-evaluation trials, "optlab:reeval") stay in the
 * study but the sampler and the pruner never see them. TPE must then ask the
 * same parameters as in a study where those trials never succeeded; and the
 * same study opened without ignore_attr must ask differently (so the test can
 * fail).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optlab/hpo.h"

#define MARK "optlab:reeval"

static double objective(double x, double y) { return -((x - 0.3) * (x - 0.3) + (y + 1) * (y + 1)); }

/* 12 TPE trials of the objective in study `name`, then three extra trials at (4, 4)
 * that are either marked (COMPLETE with a value far above any other) or
 * unmarked FAIL; then ask trial 15 with or without ignore_attr and return its x, y. */
static void run(ol_storage *st, const char *name, int marked, const char *ignore, const ol_sampler *tpe, double *x,
                double *y) {
    ol_error err = {0};
    ol_study *s = NULL;
    ol_study_options so = {.name = name, .maximize = 1, .seed = 77, .sampler = tpe};
    cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
    for (int i = 0; i < 12; i++) {
        ol_trial *t = NULL;
        double a, b;
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -5, 5, 0, 0, &a, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "y", -5, 5, 0, 0, &b, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, objective(a, b), &err), OL_OK, "%s", err.msg);
    }
    for (int i = 0; i < 3; i++) {
        char key[] = MARK, val[16];
        snprintf(val, sizeof val, "%d", i);
        ol_attr_rec mark[] = {{key, val}};
        ol_trial *t = NULL;
        double a, b;
        cr_assert_eq(ol_study_ask_with_attrs(s, mark, marked ? 1 : 0, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_fix_param(t, "x", 4.0, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_fix_param(t, "y", 4.0, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "x", -5, 5, 0, 0, &a, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_suggest_float(t, "y", -5, 5, 0, 0, &b, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(s, t, marked ? OL_TRIAL_COMPLETE : OL_TRIAL_FAIL, 100.0, &err), OL_OK, "%s",
                     err.msg);
    }
    ol_study_close(s);
    /* the study as a worker opens it for its next trial */
    so.ignore_attr = ignore;
    cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
    ol_trial *t = NULL;
    cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_trial_number(t), 15);
    cr_assert_eq(ol_trial_suggest_float(t, "x", -5, 5, 0, 0, x, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_trial_suggest_float(t, "y", -5, 5, 0, 0, y, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, objective(*x, *y), &err), OL_OK, "%s", err.msg);
    ol_study_close(s);
}

Test(study_ignore, tpe_never_learns_from_marked_trials) {
    ol_error err = {0};
    ol_storage *st = NULL;
    ol_sampler *tpe = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_sampler_tpe_new(&tpe, NULL, &err), OL_OK, "%s", err.msg);
    double xa, ya, xb, yb, xc, yc;
    run(st, "marked-ignored", 1, MARK, tpe, &xa, &ya); /* marked trials, ignored */
    run(st, "failed", 0, NULL, tpe, &xb, &yb);         /* the same three trials as FAIL: TPE skips FAIL */
    run(st, "marked-seen", 1, NULL, tpe, &xc, &yc);    /* marked trials, not ignored: TPE learns (4, 4) */
    cr_expect_eq(xa, xb, "x: %.17g with the marked trials ignored, %.17g without them", xa, xb);
    cr_expect_eq(ya, yb, "y: %.17g with the marked trials ignored, %.17g without them", ya, yb);
    cr_expect(xa != xc || ya != yc, "seeing the marked trials did not change TPE's draw: the test cannot fail");
    ol_sampler_free(tpe);
    ol_storage_close(st);
}

/* The median pruner, too, leaves marked trials out: one marked trial with low
 * intermediate values would otherwise be the only other trial at its steps. */
Test(study_ignore, pruner_never_sees_marked_trials) {
    ol_error err = {0};
    ol_storage *st = NULL;
    ol_sampler *rnd = NULL;
    ol_pruner *median = NULL;
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_sampler_random_new(&rnd, &err), OL_OK, "%s", err.msg);
    ol_median_pruner_options po = {.n_startup_trials = 1, .n_warmup_steps = 0, .interval_steps = 1, .n_min_trials = 1};
    cr_assert_eq(ol_pruner_median_new(&median, &po, &err), OL_OK, "%s", err.msg);
    for (int ignore = 0; ignore <= 1; ignore++) {
        ol_study *s = NULL;
        ol_study_options so = {.name = ignore ? "ignored" : "seen", .maximize = 1, .seed = 3, .sampler = rnd,
                               .pruner = median, .ignore_attr = ignore ? MARK : NULL};
        cr_assert_eq(ol_study_open(&s, st, &so, &err), OL_OK, "%s", err.msg);
        char key[] = MARK, val[] = "0";
        ol_attr_rec mark[] = {{key, val}};
        ol_trial *t = NULL;
        cr_assert_eq(ol_study_ask_with_attrs(s, mark, 1, &t, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_report(t, 0, 0.9, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, 0.9, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_study_ask(s, &t, &err), OL_OK, "%s", err.msg);
        int prune = -1;
        cr_assert_eq(ol_trial_report(t, 0, 0.1, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(ol_trial_should_prune(t, &prune, &err), OL_OK, "%s", err.msg);
        /* seen: 0.1 is below the marked trial's 0.9 -> pruned; ignored: no complete trial -> not pruned */
        cr_expect_eq(prune, ignore ? 0 : 1, "%s: prune = %d", so.name, prune);
        cr_assert_eq(ol_study_tell(s, t, OL_TRIAL_COMPLETE, 0.1, &err), OL_OK, "%s", err.msg);
        ol_study_close(s);
    }
    ol_pruner_free(median);
    ol_sampler_free(rnd);
    ol_storage_close(st);
}
