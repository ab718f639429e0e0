/*
 * postgres_trial.c — the PostgreSQL backend's writes to trials: a new trial (numbered
 * under a lock on the study's row), params, intermediate values, attributes, the
 * final state and value, heartbeats, and failing stale trials.
 * (postgres.c says how the backend fits together and why each write is safe to rerun.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "postgres_internal.h"

/* ---- trials -------------------------------------------------------------- */

static ol_status create_trial_once(pg_storage *pg, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                                   size_t n_attrs, const char *claim, int64_t *trial_id, int *number,
                                   ol_error *err) {
    char id[24], max[24];
    pg_fmt_i64(id, study_id);
    pg_fmt_i64(max, max_trials);
    if (pg->retrying) {
        /* The previous attempt lost its connection, perhaps after COMMIT was
         * sent: if its claim is there, that trial is ours. */
        const char *p[] = {id, claim};
        int found = 0;
        ol_status st = pg_find_claim(pg, "creating a trial",
                                     "SELECT t.trial_id, t.number FROM trials t JOIN trial_system_attributes a "
                                     "USING (trial_id) WHERE t.study_id = $1::int AND a.key = '" PG_CLAIM_KEY
                                     "' AND a.value_json = $2",
                                     p, trial_id, number, &found, err);
        if (st || found) return st;
    }
    /* The caller's attributes (e.g. the worker that owns the trial) as two arrays, inserted by the
     * same statement as the trial. */
    size_t keys_len = 3, values_len = 3;
    for (size_t i = 0; i < n_attrs; i++) {
        keys_len += 2 * strlen(attrs[i].key) + 3;
        values_len += 2 * strlen(attrs[i].value_json) + 3;
    }
    char *keys = malloc(keys_len), *values = malloc(values_len);
    if (!keys || !values) {
        free(keys);
        free(values);
        return pg_fail(pg, err, OL_ENOMEM, "out of memory creating a trial");
    }
    char *ok = keys, *ov = values;
    *ok++ = '{', *ov++ = '{';
    for (size_t i = 0, put = 0; i < n_attrs; i++) {
        size_t later = i + 1; /* a key given twice keeps its last value, as upserts one by one would */
        while (later < n_attrs && strcmp(attrs[later].key, attrs[i].key)) later++;
        if (later < n_attrs) continue;
        if (put++) *ok++ = ',', *ov++ = ',';
        pg_array_put_text(&ok, attrs[i].key);
        pg_array_put_text(&ov, attrs[i].value_json);
    }
    *ok++ = '}', *ov++ = '}';
    *ok = 0, *ov = 0;
    /* One round trip: BEGIN, the lock on the study's row, then a new statement (its snapshot is
     * taken after the lock was granted) that counts the study's trials and inserts the next
     * number with its heartbeat, claim and attributes, then COMMIT. A study that is missing or
     * full inserts nothing, and COMMIT ends an empty transaction. */
    const char *p1[] = {id}, *p2[] = {id, max, claim, keys, values};
    const char *sql[4] = {
        "BEGIN",
        "SELECT study_id FROM studies WHERE study_id = $1::int FOR UPDATE",
        "WITH s AS (SELECT count(*) AS found FROM studies WHERE study_id = $1::int), "
        "n AS (SELECT count(*) AS n_all, "
        "      count(*) FILTER (WHERE state IN ('COMPLETE', 'PRUNED', 'RUNNING')) AS n_live "
        "      FROM trials WHERE study_id = $1::int), "
        "t AS (INSERT INTO trials (number, study_id, state, datetime_start) "
        "      SELECT n_all, $1::int, 'RUNNING', now() AT TIME ZONE 'UTC' FROM n, s "
        "      WHERE s.found > 0 AND ($2::int <= 0 OR n_live < $2::int) RETURNING trial_id, number), "
        "h AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) "
        "      SELECT trial_id, now() AT TIME ZONE 'UTC' FROM t), "
        "c AS (INSERT INTO trial_system_attributes (trial_id, key, value_json) "
        "      SELECT trial_id, '" PG_CLAIM_KEY "', $3 FROM t), "
        "a AS (INSERT INTO trial_system_attributes (trial_id, key, value_json) "
        "      SELECT t.trial_id, u.k, u.v FROM t, unnest($4::text[], $5::text[]) WITH ORDINALITY AS u(k, v, ord) "
        "      WHERE u.k <> '" PG_CLAIM_KEY "' ORDER BY u.ord "
        "      ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json) "
        "SELECT t.trial_id, t.number, n.n_live, s.found FROM n CROSS JOIN s LEFT JOIN t ON true",
        "COMMIT"};
    const int nparams[4] = {0, 1, 5, 0};
    const char *const *params[4] = {NULL, p1, p2, NULL};
    PGresult *res[4];
    ol_status st = pg_exec_pipeline(pg, "creating a trial", 4, sql, nparams, params, res, err);
    free(keys);
    free(values);
    if (st) {
        pg_rollback(pg); /* a failure inside the transaction leaves it open and aborted */
        return err->status ? err->status : OL_ESTORAGE;
    }
    PGresult *r = res[2];
    int created = !PQgetisnull(r, 0, 0), found = atoi(PQgetvalue(r, 0, 3)) > 0;
    if (created) {
        *trial_id = atoll(PQgetvalue(r, 0, 0));
        *number = atoi(PQgetvalue(r, 0, 1));
    }
    long live = atol(PQgetvalue(r, 0, 2));
    for (int i = 0; i < 4; i++) PQclear(res[i]);
    if (!found) return pg_fail(pg, err, OL_ENOTFOUND, "no study with id %s", id);
    if (!created)
        return pg_fail(pg, err, OL_ESTOPPED, "study %s is full: %ld of %d trials are complete, pruned or running", id,
                       live, max_trials);
    return OL_OK;
}

ol_status pg_create_trial(ol_storage *st, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                          size_t n_attrs, int64_t *trial_id, int *number, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    char claim[256];
    pg_claim(pg, claim, sizeof claim);
    PG_WITH_RETRY(pg, err,
                  (pg->retrying && pg_settle_old_backend(pg, err))
                      ? err->status
                      : create_trial_once(pg, study_id, max_trials, attrs, n_attrs, claim, trial_id, number, err));
}

/* Why a write to a trial matched no RUNNING trial: absent or finished. */
static ol_status trial_not_running(pg_storage *pg, const char *id, const char *what, ol_error *err) {
    const char *p[] = {id};
    PGresult *r = pg_exec(pg, what, "SELECT state FROM trials WHERE trial_id = $1::int", 1, p, PGRES_TUPLES_OK, NULL,
                          err);
    if (!r) return err->status;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return pg_fail(pg, err, OL_ENOTFOUND, "%s: no trial with id %s", what, id);
    }
    char state[16];
    snprintf(state, sizeof state, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return pg_fail(pg, err, OL_ESTATE, "cannot %s trial %s: it is %s, not RUNNING", what, id, state);
}

/* A write guarded by "the trial is RUNNING" whose `sql` returns a row when it
 * wrote; no row means the trial (id as text) is absent or finished, reported
 * by trial_not_running as "cannot <verb> trial N". */
static ol_status pg_write_running(pg_storage *pg, const char *what, const char *sql, int nparams,
                                  const char *const *params, const char *id, const char *verb, ol_error *err) {
    int rows = 0;
    ol_status st = pg_count(pg, what, sql, nparams, params, &rows, err);
    if (st) return st;
    return rows ? OL_OK : trial_not_running(pg, id, verb, err);
}

/* All the parameters in one statement (one round trip, one commit): the names, values and
 * distributions as three arrays, unnested in their order, so param_id follows the call's order. */
static ol_status set_params_once(pg_storage *pg, int64_t trial_id, const ol_param_rec *params, size_t n,
                                 ol_error *err) {
    size_t names_len = 3, dists_len = 3;
    for (size_t i = 0; i < n; i++) {
        names_len += 2 * strlen(params[i].name) + 3;
        dists_len += 2 * strlen(params[i].distribution_json) + 3;
    }
    char *names = malloc(names_len), *dists = malloc(dists_len), *values = malloc(3 + n * 33);
    if (!names || !dists || !values) {
        free(names);
        free(dists);
        free(values);
        return pg_fail(pg, err, OL_ENOMEM, "out of memory setting parameters");
    }
    char *on = names, *od = dists, *ov = values;
    *on++ = '{', *od++ = '{', *ov++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i) *on++ = ',', *od++ = ',', *ov++ = ',';
        pg_array_put_text(&on, params[i].name);
        pg_array_put_text(&od, params[i].distribution_json);
        pg_fmt_double(ov, params[i].value);
        ov += strlen(ov);
    }
    *on++ = '}', *od++ = '}', *ov++ = '}';
    *on = 0, *od = 0, *ov = 0;
    char id[24];
    pg_fmt_i64(id, trial_id);
    const char *p[] = {id, names, values, dists};
    ol_status st = pg_write_running(
        pg, n == 1 ? "setting a parameter" : "setting parameters",
        "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
        "SELECT $1::int, u.name, u.value, u.dist FROM unnest($2::text[], $3::float8[], $4::text[]) "
        "WITH ORDINALITY AS u(name, value, dist, ord) WHERE EXISTS "
        "(SELECT 1 FROM trials WHERE trial_id = $1::int AND state = 'RUNNING') ORDER BY u.ord "
        "ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = EXCLUDED.param_value, "
        "distribution_json = EXCLUDED.distribution_json RETURNING 1",
        4, p, id, "set a parameter of", err);
    free(names);
    free(dists);
    free(values);
    return st;
}

ol_status pg_set_params(ol_storage *st, int64_t trial_id, const ol_param_rec *params, size_t n, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    for (size_t i = 0; i < n; i++)
        if (!params[i].name || !*params[i].name || !params[i].distribution_json)
            return pg_fail(pg, err, OL_EINVAL, "trial %lld: parameter name or distribution is missing",
                           (long long)trial_id);
    PG_WITH_RETRY(pg, err, set_params_once(pg, trial_id, params, n, err));
}

static ol_status set_intermediate_once(pg_storage *pg, int64_t trial_id, int64_t step, double value, ol_error *err) {
    char id[24], s[24], v[32];
    pg_fmt_i64(id, trial_id);
    pg_fmt_i64(s, step);
    const char *type = ol_float_type(value);
    pg_fmt_double(v, value);
    const char *p[] = {id, s, isfinite(value) ? v : NULL, type};
    return pg_write_running(pg, "reporting an intermediate value",
                            "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
                            "intermediate_value_type) SELECT $1::int, $2::int, $3::float8, "
                            "$4::trialintermediatevaluetype WHERE EXISTS "
                            "(SELECT 1 FROM trials WHERE trial_id = $1::int AND state = 'RUNNING') "
                            "ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = "
                            "EXCLUDED.intermediate_value, intermediate_value_type = EXCLUDED.intermediate_value_type "
                            "RETURNING 1",
                            4, p, id, "report an intermediate value of", err);
}

ol_status pg_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, set_intermediate_once(pg, trial_id, step, value, err));
}

static ol_status set_trial_attr_once(pg_storage *pg, int64_t trial_id, int system, const char *key,
                                     const char *value_json, ol_error *err) {
    char id[24];
    pg_fmt_i64(id, trial_id);
    return pg_upsert_attr(pg, "setting a trial attribute",
                          system ? "INSERT INTO trial_system_attributes (trial_id, key, value_json) "
                                   "VALUES ($1::int, $2, $3) ON CONFLICT (trial_id, key) DO UPDATE "
                                   "SET value_json = EXCLUDED.value_json"
                                 : "INSERT INTO trial_user_attributes (trial_id, key, value_json) "
                                   "VALUES ($1::int, $2, $3) ON CONFLICT (trial_id, key) DO UPDATE "
                                   "SET value_json = EXCLUDED.value_json",
                          "trial", id, key, value_json, err);
}

ol_status pg_set_trial_attr(ol_storage *st, int64_t trial_id, int system, const char *key,
                            const char *value_json, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!key || !*key || !value_json)
        return pg_fail(pg, err, OL_EINVAL, "trial %lld: attribute key or value is missing", (long long)trial_id);
    PG_WITH_RETRY(pg, err, set_trial_attr_once(pg, trial_id, system, key, value_json, err));
}

static ol_status finish_trial_once(pg_storage *pg, int64_t trial_id, ol_trial_state state, const double *value,
                                   ol_error *err) {
    char id[24], v[32] = "";
    pg_fmt_i64(id, trial_id);
    const char *vtype = "FINITE";
    if (value) {
        pg_fmt_double(v, *value);
        vtype = ol_float_type(*value);
    }
    const char *p[] = {id, ol_trial_state_name(state), value && isfinite(*value) ? v : NULL, vtype,
                       value ? "t" : "f"};
    PGresult *r = pg_exec(pg, "finishing a trial",
                          "WITH u AS (UPDATE trials SET state = $2::trialstate, "
                          "           datetime_complete = now() AT TIME ZONE 'UTC' "
                          "           WHERE trial_id = $1::int AND state = 'RUNNING' RETURNING trial_id), "
                          "v AS (INSERT INTO trial_values (trial_id, objective, value, value_type) "
                          "      SELECT trial_id, 0, $3::float8, $4::trialvaluetype FROM u WHERE $5::bool "
                          "      ON CONFLICT (trial_id, objective) DO UPDATE SET value = EXCLUDED.value, "
                          "      value_type = EXCLUDED.value_type) "
                          "SELECT count(*) FROM u",
                          5, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    int updated = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (updated) return OL_OK;
    if (pg->retrying) {
        /* Our earlier attempt may have committed before the connection broke:
         * the trial already in the requested state with this value is that. */
        const char *q[] = {id};
        r = pg_exec(pg, "finishing a trial",
                    "SELECT t.state, v.value, v.value_type FROM trials t LEFT JOIN trial_values v "
                    "ON v.trial_id = t.trial_id AND v.objective = 0 WHERE t.trial_id = $1::int",
                    1, q, PGRES_TUPLES_OK, NULL, err);
        if (!r) return err->status;
        int same = 0;
        if (PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), ol_trial_state_name(state))) {
            if (!value) same = 1;
            else if (!strcmp(PQgetvalue(r, 0, 2), vtype))
                same = !isfinite(*value) || (!PQgetisnull(r, 0, 1) && pg_parse_double(PQgetvalue(r, 0, 1)) == *value);
        }
        PQclear(r);
        if (same) return OL_OK;
    }
    return trial_not_running(pg, id, "finish", err);
}

ol_status pg_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                          ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, finish_trial_once(pg, trial_id, state, value, err));
}

static ol_status heartbeat_once(pg_storage *pg, int64_t trial_id, ol_error *err) {
    char id[24];
    pg_fmt_i64(id, trial_id);
    const char *p[] = {id};
    return pg_write_running(pg, "recording a heartbeat",
                            "INSERT INTO trial_heartbeats (trial_id, heartbeat) "
                            "SELECT $1::int, now() AT TIME ZONE 'UTC' WHERE EXISTS "
                            "(SELECT 1 FROM trials WHERE trial_id = $1::int AND state = 'RUNNING') "
                            "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat RETURNING 1",
                            1, p, id, "heartbeat", err);
}

ol_status pg_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, heartbeat_once(pg, trial_id, err));
}

static ol_status fail_stale_once(pg_storage *pg, int64_t study_id, double grace, int *n_failed, ol_error *err) {
    char id[24], g[32];
    pg_fmt_i64(id, study_id);
    pg_fmt_double(g, grace);
    const char *p[] = {id, g};
    /* A RUNNING trial without a heartbeat row (written by another tool) is
     * judged by its start time. */
    return pg_count(pg, "failing stale trials",
                    "UPDATE trials t SET state = 'FAIL', datetime_complete = now() AT TIME ZONE 'UTC' "
                    "WHERE t.study_id = $1::int AND t.state = 'RUNNING' AND "
                    "COALESCE((SELECT h.heartbeat FROM trial_heartbeats h WHERE h.trial_id = t.trial_id), "
                    "t.datetime_start) < (now() AT TIME ZONE 'UTC') - make_interval(secs => $2::float8) "
                    "RETURNING t.trial_id",
                    2, p, n_failed, err);
}

ol_status pg_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *n_failed = 0;
    if (!(grace_seconds >= 0))
        return pg_fail(pg, err, OL_EINVAL, "heartbeat grace period %g s is not a non-negative number", grace_seconds);
    PG_WITH_RETRY(pg, err, fail_stale_once(pg, study_id, grace_seconds, n_failed, err));
}

static ol_status get_heartbeats_once(pg_storage *pg, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                     ol_error *err) {
    char id[24];
    pg_fmt_i64(id, study_id);
    const char *p[] = {id};
    /* Heartbeats are the server's clock in UTC without a time zone (EXTRACT reads them as UTC); the server's
     * clock is read too, so that a heartbeat is returned in this machine's clock and ages compare across
     * machines whose clocks differ. */
    PGresult *r = pg_exec(pg, "reading heartbeats",
                          "SELECT t.trial_id, EXTRACT(EPOCH FROM h.heartbeat), "
                          "EXTRACT(EPOCH FROM now() AT TIME ZONE 'UTC') FROM trials t "
                          "JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                          "WHERE t.study_id = $1::int AND t.state = 'RUNNING' ORDER BY t.trial_id",
                          1, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    int rows = PQntuples(r);
    if (rows == 0) {
        PQclear(r);
        return pg_require_study(pg, "reading heartbeats", id, err);
    }
    if (!(*out = malloc((size_t)rows * sizeof **out))) {
        PQclear(r);
        return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    }
    double offset = ol_unix_now() - pg_parse_double(PQgetvalue(r, 0, 2));
    for (int i = 0; i < rows; i++) {
        (*out)[i].trial_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        (*out)[i].heartbeat = pg_parse_double(PQgetvalue(r, i, 1)) + offset;
    }
    *n = (size_t)rows;
    PQclear(r);
    return OL_OK;
}

ol_status pg_get_heartbeats(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, get_heartbeats_once(pg, study_id, out, n, err));
}
