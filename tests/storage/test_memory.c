/*
 * The "memory:" backend against the contract in include/optlab/storage.h:
 * studies by name, trial budgets (COMPLETE + PRUNED + RUNNING), finishing only
 * from RUNNING, heartbeats and stale trials, deep sorted copies out.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "optlab/storage.h"

static ol_storage *open_mem(void) {
    ol_storage *st = NULL;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "memory:", &err), OL_OK, "%s", err.msg);
    cr_assert_str_eq(ol_storage_url(st), "memory:");
    return st;
}

Test(memory, studies_by_name_and_duplicates_refused) {
    ol_storage *st = open_mem();
    ol_error err = {0};
    int64_t a, b, id;
    int maximize = -1;
    cr_assert_eq(ol_storage_create_study(st, "a", 1, &a, &err), OL_OK);
    cr_assert_eq(ol_storage_create_study(st, "b", 0, &b, &err), OL_OK);
    cr_assert_neq(a, b);
    cr_assert_eq(ol_storage_create_study(st, "a", 0, &id, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "'a'"), "message names the study: %s", err.msg);
    cr_assert_eq(ol_storage_find_study(st, "b", &id, &maximize, &err), OL_OK);
    cr_assert_eq(id, b);
    cr_assert_eq(maximize, 0);
    cr_assert_eq(ol_storage_find_study(st, "zzz", &id, &maximize, &err), OL_ENOTFOUND);
    cr_assert(strstr(err.msg, "zzz"));

    ol_study_rec *list;
    size_t n;
    int64_t t;
    int num;
    double v = 0.5;
    cr_assert_eq(ol_storage_create_trial(st, a, 0, &t, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, t, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, a, 0, &t, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_list_studies(st, &list, &n, &err), OL_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].name, "a");
    cr_assert_eq(list[0].maximize, 1);
    cr_assert_eq(list[0].n_trials, 2);
    cr_assert_eq(list[0].n_complete, 1);
    cr_assert_str_eq(list[1].name, "b");
    cr_assert_eq(list[1].n_trials, 0);
    ol_studies_free(list, n);

    ol_attr_rec *attrs;
    cr_assert_eq(ol_storage_set_study_attr(st, a, "optlab:seed", "1", &err), OL_OK);
    cr_assert_eq(ol_storage_set_study_attr(st, a, "optlab:seed", "42", &err), OL_OK);
    cr_assert_eq(ol_storage_set_study_attr(st, a, "optlab:label", "\"Adam\"", &err), OL_OK);
    cr_assert_eq(ol_storage_get_study_attrs(st, a, &attrs, &n, &err), OL_OK);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(ol_attr_find(attrs, n, "optlab:seed"), "42");
    cr_assert_str_eq(ol_attr_find(attrs, n, "optlab:label"), "\"Adam\"");
    cr_assert_null(ol_attr_find(attrs, n, "nope"));
    ol_attrs_free(attrs, n);
    cr_assert_eq(ol_storage_set_study_attr(st, 999, "k", "1", &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(memory, budget_counts_complete_pruned_running_not_failed) {
    ol_storage *st = open_mem();
    ol_error err = {0};
    int64_t s, t[4], extra;
    int num;
    double v = 1.0;
    cr_assert_eq(ol_storage_create_study(st, "s", 0, &s, &err), OL_OK);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ol_storage_create_trial(st, s, 3, &t[i], &num, &err), OL_OK, "%s", err.msg);
        cr_assert_eq(num, i);
    }
    cr_assert_eq(ol_storage_create_trial(st, s, 3, &extra, &num, &err), OL_ESTOPPED);
    cr_assert(strstr(err.msg, "full"), "%s", err.msg);
    cr_assert_eq(ol_storage_finish_trial(st, t[0], OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, t[1], OL_TRIAL_PRUNED, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, s, 3, &extra, &num, &err), OL_ESTOPPED);
    /* a FAILed trial frees its slot */
    cr_assert_eq(ol_storage_finish_trial(st, t[2], OL_TRIAL_FAIL, NULL, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, s, 3, &t[3], &num, &err), OL_OK);
    cr_assert_eq(num, 3);
    cr_assert_eq(ol_storage_create_trial(st, s, 3, &extra, &num, &err), OL_ESTOPPED);
    /* no limit */
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &extra, &num, &err), OL_OK);
    cr_assert_eq(num, 4);
    ol_storage_close(st);
}

Test(memory, finish_only_from_running) {
    ol_storage *st = open_mem();
    ol_error err = {0};
    int64_t s, t;
    int num;
    double v = 0.25, w = 0.75;
    cr_assert_eq(ol_storage_create_study(st, "s", 1, &s, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &t, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, t, OL_TRIAL_COMPLETE, NULL, &err), OL_EINVAL);
    cr_assert_eq(ol_storage_finish_trial(st, t, OL_TRIAL_RUNNING, &v, &err), OL_EINVAL);
    cr_assert_eq(ol_storage_finish_trial(st, t, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, t, OL_TRIAL_COMPLETE, &w, &err), OL_ESTATE);
    cr_assert(strstr(err.msg, "COMPLETE"), "%s", err.msg);
    cr_assert_eq(ol_storage_set_param(st, t, "x", 1.0, "{}", &err), OL_ESTATE);
    cr_assert_eq(ol_storage_set_intermediate(st, t, 0, 1.0, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_heartbeat(st, t, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_finish_trial(st, 12345, OL_TRIAL_FAIL, NULL, &err), OL_ENOTFOUND);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, s, &tr, &n, &err), OL_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(tr[0].state, OL_TRIAL_COMPLETE);
    cr_assert(tr[0].has_value);
    cr_assert_float_eq(tr[0].value, 0.25, 0);
    cr_assert_geq(tr[0].datetime_complete, tr[0].datetime_start);
    cr_assert_gt(tr[0].datetime_start, 1e9);
    ol_trials_free(tr, n);
    ol_storage_close(st);
}

Test(memory, stale_running_trials_fail_fresh_ones_stay) {
    ol_storage *st = open_mem();
    ol_error err = {0};
    int64_t s, old, fresh, done;
    int num, nf = -1;
    double v = 1;
    cr_assert_eq(ol_storage_create_study(st, "s", 1, &s, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &old, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &done, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_finish_trial(st, done, OL_TRIAL_COMPLETE, &v, &err), OL_OK);
    usleep(300000);
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &fresh, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_fail_stale(st, s, 0.15, &nf, &err), OL_OK);
    cr_assert_eq(nf, 1);
    cr_assert_eq(ol_storage_heartbeat(st, old, &err), OL_ESTATE, "old trial must be FAIL now");
    cr_assert_eq(ol_storage_heartbeat(st, fresh, &err), OL_OK);
    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, s, &tr, &n, &err), OL_OK);
    cr_assert_eq(tr[0].state, OL_TRIAL_FAIL);
    cr_assert_eq(tr[1].state, OL_TRIAL_COMPLETE);
    cr_assert_eq(tr[2].state, OL_TRIAL_RUNNING);
    ol_trials_free(tr, n);
    /* the failed worker's finish is refused */
    cr_assert_eq(ol_storage_finish_trial(st, old, OL_TRIAL_COMPLETE, &v, &err), OL_ESTATE);
    cr_assert_eq(ol_storage_fail_stale(st, 77, 1, &nf, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(memory, get_trials_deep_copies_sorted) {
    ol_storage *st = open_mem();
    ol_error err = {0};
    int64_t s, other, t0, t1, to;
    int num;
    cr_assert_eq(ol_storage_create_study(st, "s", 1, &s, &err), OL_OK);
    cr_assert_eq(ol_storage_create_study(st, "other", 1, &other, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &t0, &num, &err), OL_OK);
    cr_assert_eq(ol_storage_create_trial(st, other, 0, &to, &num, &err), OL_OK);
    cr_assert_eq(num, 0, "numbers count within a study");
    cr_assert_eq(ol_storage_create_trial(st, s, 0, &t1, &num, &err), OL_OK);
    cr_assert_eq(num, 1);
    const char *dj = "{\"name\": \"FloatDistribution\", \"attributes\": {\"step\": null, \"low\": 0.0, \"high\": 1.0, "
                     "\"log\": false}}";
    cr_assert_eq(ol_storage_set_param(st, t1, "x", 0.5, dj, &err), OL_OK);
    cr_assert_eq(ol_storage_set_param(st, t1, "y", 0.1, dj, &err), OL_OK);
    cr_assert_eq(ol_storage_set_param(st, t1, "x", 0.7, dj, &err), OL_OK); /* replaces */
    int64_t steps[] = {5, 1, 3, 0, 3};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(ol_storage_set_intermediate(st, t1, steps[i], (double)i, &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_attr(st, t1, "epochs", "12", &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_system_attr(st, t1, "optlab:worker", "\"h:1\"", &err), OL_OK);
    cr_assert_eq(ol_storage_set_trial_attr(st, 999, "k", "1", &err), OL_ENOTFOUND);

    ol_trial_rec *tr;
    size_t n;
    cr_assert_eq(ol_storage_get_trials(st, s, &tr, &n, &err), OL_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(tr[0].number, 0);
    cr_assert_eq(tr[0].trial_id, t0);
    cr_assert_eq(tr[1].number, 1);
    cr_assert_eq(tr[1].n_params, 2);
    cr_assert_str_eq(tr[1].params[0].name, "x");
    cr_assert_float_eq(tr[1].params[0].value, 0.7, 0);
    cr_assert_str_eq(tr[1].params[0].distribution_json, dj);
    cr_assert_eq(tr[1].n_intermediate, 4);
    int64_t want_steps[] = {0, 1, 3, 5};
    double want_vals[] = {3, 1, 4, 0};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(tr[1].intermediate[i].step, want_steps[i]);
        cr_assert_float_eq(tr[1].intermediate[i].value, want_vals[i], 0);
    }
    cr_assert_str_eq(ol_attr_find(tr[1].user_attrs, tr[1].n_user_attrs, "epochs"), "12");
    cr_assert_str_eq(ol_attr_find(tr[1].system_attrs, tr[1].n_system_attrs, "optlab:worker"), "\"h:1\"");
    /* a copy: changing it changes nothing stored */
    tr[1].params[0].value = -1;
    tr[1].params[0].name[0] = 'z';
    ol_trial_rec *again;
    size_t n2;
    cr_assert_eq(ol_storage_get_trials(st, s, &again, &n2, &err), OL_OK);
    cr_assert_str_eq(again[1].params[0].name, "x");
    cr_assert_float_eq(again[1].params[0].value, 0.7, 0);
    ol_trials_free(again, n2);
    ol_trials_free(tr, n);
    cr_assert_eq(ol_storage_get_trials(st, 42, &tr, &n, &err), OL_ENOTFOUND);
    ol_storage_close(st);
}

Test(memory, unknown_url_scheme_is_explained) {
    ol_storage *st;
    ol_error err = {0};
    cr_assert_eq(ol_storage_open(&st, "mongo://x", &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "mongo://x"), "%s", err.msg);
}
