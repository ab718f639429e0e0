/*
 * postgres_read.c — the PostgreSQL backend reads a study's trials (all, or what
 * changed since a given id plus a list of ids).
 * (postgres.c says how the backend fits together and why each write is safe to rerun.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_internal.h"

/* ---- reading trials ------------------------------------------------------ */

/* The trialstate enum admits only known names; anything else reads as RUNNING. */
static ol_trial_state state_from_name(const char *s) {
    ol_trial_state state = OL_TRIAL_RUNNING;
    ol_trial_state_parse(s, &state);
    return state;
}

/* A stored (value, type) pair through Optuna's decoding (validate.c): NULL or NaN where a FINITE number belongs
 * is refused, never read as 0. */
/* step < 0: the trial's value; else the intermediate value at that step (named in a refusal). */
static ol_status value_decode(PGresult *r, int row, int vcol, int tcol, int allow_nan, double *out, ol_error *err,
                              const char *server, long long trial_id, long long step) {
    int has = !PQgetisnull(r, row, vcol);
    double number = has ? pg_parse_double(PQgetvalue(r, row, vcol)) : 0;
    const char *type = PQgetisnull(r, row, tcol) ? NULL : PQgetvalue(r, row, tcol);
    if (step < 0)
        return ol_float_decode(type, has, number, allow_nan, out, err, "PostgreSQL %s: the value of trial_id %lld",
                               server, trial_id);
    return ol_float_decode(type, has, number, allow_nan, out, err,
                           "PostgreSQL %s: intermediate value of trial_id %lld at step %lld", server, trial_id, step);
}

enum { Q_PARAMS, Q_INTER, Q_UATTR, Q_SATTR, Q_N };

static ol_status get_trials_once(pg_storage *pg, int64_t study_id, const char *after, const char *ids,
                                 ol_trial_rec **out, size_t *n_out, size_t *n_total, ol_error *err) {
    static const char *const child_sql[Q_N] = {
        "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
        "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = $1::int AND (t.trial_id > $2::int OR t.trial_id = ANY($3::int[])) ORDER BY p.param_id",
        "SELECT i.trial_id, i.step, i.intermediate_value, i.intermediate_value_type FROM trial_intermediate_values i "
        "JOIN trials t ON t.trial_id = i.trial_id WHERE t.study_id = $1::int AND (t.trial_id > $2::int OR t.trial_id = ANY($3::int[])) "
        "ORDER BY i.trial_id, i.step",
        "SELECT a.trial_id, a.key, a.value_json FROM trial_user_attributes a "
        "JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = $1::int AND (t.trial_id > $2::int OR t.trial_id = ANY($3::int[])) "
        "ORDER BY a.trial_user_attribute_id",
        "SELECT a.trial_id, a.key, a.value_json FROM trial_system_attributes a "
        "JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = $1::int AND (t.trial_id > $2::int OR t.trial_id = ANY($3::int[])) "
        /* the claim token is this backend's bookkeeping: the other backends have none to show */
        "AND a.key <> '" PG_CLAIM_KEY "' ORDER BY a.trial_system_attribute_id",
    };
    char id[24];
    pg_fmt_i64(id, study_id);
    const char *p[] = {id, after, ids};
    PGresult *res[Q_N] = {0};
    ol_trial_rec *trials = NULL;
    ol_trial_index *ix = NULL;
    size_t hint = 0;
    size_t n = 0;
    ol_status st = OL_OK;
    /* Finished trials never change and the trial rows come first, so rows the
     * child queries return for trials not yet listed are simply skipped. All the
     * queries go in one round trip (pg_exec_pipeline), each with its own snapshot
     * as before; the last one says whether the study exists (a primary-key
     * lookup: counting the study's trials scans the whole table, so that is done
     * only when nothing is new, in its own round trip as before). */
    enum { R_TRIALS = Q_N, R_COUNT, R_N };
    const char *sql[R_N] = {
        [Q_PARAMS] = child_sql[Q_PARAMS], [Q_INTER] = child_sql[Q_INTER], [Q_UATTR] = child_sql[Q_UATTR],
        [Q_SATTR] = child_sql[Q_SATTR],
        [R_TRIALS] = "SELECT t.trial_id, t.number, t.state, v.value, v.value_type, "
                     "EXTRACT(EPOCH FROM t.datetime_start), EXTRACT(EPOCH FROM t.datetime_complete), "
                     "(SELECT count(*) FROM trials c WHERE c.study_id = $1::int) "
                     "FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
                     "WHERE t.study_id = $1::int AND (t.trial_id > $2::int OR t.trial_id = ANY($3::int[])) "
                     "ORDER BY t.number, t.trial_id",
        [R_COUNT] = "SELECT EXISTS (SELECT 1 FROM studies WHERE study_id = $1::int)"};
    /* the trials first: the child rows of a trial committed between two snapshots are skipped, never orphaned */
    const char *order_sql[R_N] = {sql[R_TRIALS], sql[Q_PARAMS], sql[Q_INTER], sql[Q_UATTR], sql[Q_SATTR], sql[R_COUNT]};
    const int nparams[R_N] = {3, 3, 3, 3, 3, 1};
    const char *const *params[R_N] = {p, p, p, p, p, p};
    PGresult *got[R_N];
    st = pg_exec_pipeline(pg, "reading trials", R_N, order_sql, nparams, params, got, err);
    if (st) return st;
    PGresult *r = got[0];
    for (int q = 0; q < Q_N; q++) res[q] = got[1 + q];
    PGresult *count = got[R_N - 1];
    n = (size_t)PQntuples(r);
    if (n == 0) {
        /* nothing new: the count comes from its own query */
        int exists = !strcmp(PQgetvalue(count, 0, 0), "t");
        PQclear(r);
        PQclear(count);
        for (int q = 0; q < Q_N; q++) PQclear(res[q]);
        if (!exists) return pg_fail(pg, err, OL_ENOTFOUND, "no study with id %s", id);
        const char *pc[] = {id};
        r = pg_exec(pg, "reading trials", "SELECT count(*) FROM trials WHERE study_id = $1::int", 1, pc,
                    PGRES_TUPLES_OK, NULL, err);
        if (!r) return err->status;
        *n_total = (size_t)atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        *out = calloc(1, sizeof **out);
        *n_out = 0;
        return *out ? OL_OK : ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    }
    PQclear(count);
    trials = calloc(n, sizeof *trials);
    if (!trials) {
        PQclear(r);
        st = ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading %zu trials", n);
        goto out;
    }
    *n_total = (size_t)atoll(PQgetvalue(r, 0, 7));
    for (size_t i = 0; i < n && st == OL_OK; i++) {
        ol_trial_rec *t = &trials[i];
        int row = (int)i;
        t->trial_id = atoll(PQgetvalue(r, row, 0));
        st = ol_number_decode(PQgetisnull(r, row, 1), atoll(PQgetvalue(r, row, 1)), &t->number, err,
                              "PostgreSQL %s: trial_id %lld", pg->where, (long long)t->trial_id);
        t->state = state_from_name(PQgetvalue(r, row, 2));
        t->has_value = !PQgetisnull(r, row, 4);
        if (st == OL_OK && t->has_value) {
            st = value_decode(r, row, 3, 4, 0, &t->value, err, pg->where, (long long)t->trial_id, -1);
        }
        t->datetime_start = PQgetisnull(r, row, 5) ? 0 : pg_parse_double(PQgetvalue(r, row, 5));
        t->datetime_complete = PQgetisnull(r, row, 6) ? 0 : pg_parse_double(PQgetvalue(r, row, 6));
    }
    PQclear(r);
    if (st) goto out;
    if (!(ix = ol_trial_index_build(trials, n))) {
        st = ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading %zu trials", n);
        goto out;
    }

    /* count, allocate, fill */
    for (int q = 0; q < Q_N; q++) {
        int rows = PQntuples(res[q]);
        for (int i = 0; i < rows; i++) {
            ol_trial_rec *t = ol_trial_index_find_near(trials, ix, n, atoll(PQgetvalue(res[q], i, 0)), &hint);
            if (!t) continue;
            if (q == Q_PARAMS) t->n_params++;
            else if (q == Q_INTER) t->n_intermediate++;
            else if (q == Q_UATTR) t->n_user_attrs++;
            else t->n_system_attrs++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ol_trial_rec *t = &trials[i];
        t->params = t->n_params ? calloc(t->n_params, sizeof *t->params) : NULL;
        t->intermediate = t->n_intermediate ? calloc(t->n_intermediate, sizeof *t->intermediate) : NULL;
        t->user_attrs = t->n_user_attrs ? calloc(t->n_user_attrs, sizeof *t->user_attrs) : NULL;
        t->system_attrs = t->n_system_attrs ? calloc(t->n_system_attrs, sizeof *t->system_attrs) : NULL;
        int bad = (t->n_params && !t->params) || (t->n_intermediate && !t->intermediate) ||
                  (t->n_user_attrs && !t->user_attrs) || (t->n_system_attrs && !t->system_attrs);
        /* refilled below; the counts say how many slots exist */
        t->n_params = t->n_intermediate = t->n_user_attrs = t->n_system_attrs = 0;
        if (bad) {
            st = ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading trials");
            goto out;
        }
    }
    for (int q = 0; q < Q_N; q++) {
        PGresult *rq = res[q];
        int rows = PQntuples(rq);
        for (int i = 0; i < rows; i++) {
            ol_trial_rec *t = ol_trial_index_find_near(trials, ix, n, atoll(PQgetvalue(rq, i, 0)), &hint);
            if (!t) continue;
            if (q == Q_PARAMS) {
                if (PQgetisnull(rq, i, 1) || PQgetisnull(rq, i, 2) || PQgetisnull(rq, i, 3) ||
                    !isfinite(pg_parse_double(PQgetvalue(rq, i, 2)))) {
                    ol_trials_free(trials, n);
                    trials = NULL;
                    n = 0;
                    st = pg_fail(pg, err, OL_EFORMAT, "parameter '%.200s' of trial_id %s has %s",
                                 PQgetisnull(rq, i, 1) ? "(null)" : PQgetvalue(rq, i, 1), PQgetvalue(rq, i, 0),
                                 PQgetisnull(rq, i, 1)   ? "no name (NULL)"
                                 : PQgetisnull(rq, i, 3) ? "no distribution (NULL)"
                                                         : "no finite value (NULL or NaN)");
                    goto out;
                }
                ol_param_rec *pr = &t->params[t->n_params++];
                pr->name = ol_strdup(PQgetvalue(rq, i, 1));
                pr->value = pg_parse_double(PQgetvalue(rq, i, 2));
                pr->distribution_json = ol_strdup(PQgetvalue(rq, i, 3));
                if (!pr->name || !pr->distribution_json) st = OL_ENOMEM;
            } else if (q == Q_INTER) {
                ol_intermediate_rec *ir = &t->intermediate[t->n_intermediate++];
                ir->step = atoll(PQgetvalue(rq, i, 1));
                if (value_decode(rq, i, 2, 3, 1, &ir->value, err, pg->where, (long long)t->trial_id,
                                 (long long)ir->step)) {
                    st = err->status;
                    goto out;
                }
            } else {
                ol_attr_rec *ar = q == Q_UATTR ? &t->user_attrs[t->n_user_attrs++]
                                               : &t->system_attrs[t->n_system_attrs++];
                ar->key = ol_strdup(PQgetvalue(rq, i, 1));
                ar->value_json = ol_strdup(PQgetvalue(rq, i, 2));
                if (!ar->key || !ar->value_json) st = OL_ENOMEM;
            }
        }
    }
    if (st) ol_fail(err, st, "PostgreSQL: out of memory reading trials");
out:
    for (int q = 0; q < Q_N; q++) PQclear(res[q]);
    free(ix);
    if (st) {
        ol_trials_free(trials, n);
        return st;
    }
    *out = trials;
    *n_out = n;
    return OL_OK;
}

static ol_status get_trials_retrying(pg_storage *pg, int64_t study_id, const char *after, const char *ids,
                                     ol_trial_rec **trials, size_t *n, size_t *n_total, ol_error *err) {
    PG_WITH_RETRY(pg, err, get_trials_once(pg, study_id, after, ids, trials, n, n_total, err));
}

ol_status pg_get_trials(ol_storage *st, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                        ol_trial_rec **trials, size_t *n, size_t *n_total, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *trials = NULL;
    *n = 0;
    char after_text[24];
    pg_fmt_i64(after_text, after);
    /* the ids as an array literal {1,2,3} */
    char *ids_text = malloc(3 + n_ids * 21);
    if (!ids_text) return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading trials");
    size_t o = 0;
    ids_text[o++] = '{';
    for (size_t i = 0; i < n_ids; i++) o += (size_t)sprintf(ids_text + o, "%s%lld", i ? "," : "", (long long)ids[i]);
    ids_text[o++] = '}';
    ids_text[o] = 0;
    ol_status rc = get_trials_retrying(pg, study_id, after_text, ids_text, trials, n, n_total, err);
    free(ids_text);
    return rc;
}
