/*
 * sqlite_trial.c — the SQLite backend's writes to trials: a new trial (its number
 * counted inside the write transaction), params, intermediate values, attributes,
 * the final state and value, heartbeats, and failing stale trials.
 * (sqlite.c says how the backend fits together.)
 */
#include <math.h>
#include <stdlib.h>

#include "sqlite_internal.h"

/* ------------------------------------------------------------ trials */

ol_status sq_count_trials(sq_storage *s, int q_id, int64_t study_id, int *count, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = sq_stmt(s, q_id, err, &st);
    if (!q) return st;
    sqlite3_bind_int64(q, 1, study_id);
    int row = 0;
    if ((st = sq_step(s, q, &row, "counting trials", err)) != OL_OK) return st;
    *count = row ? sqlite3_column_int(q, 0) : 0;
    sqlite3_reset(q);
    return OL_OK;
}

static ol_status upsert_heartbeat(sq_storage *s, int64_t trial_id, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = sq_stmt(s, Q_UPSERT_HEARTBEAT, err, &st);
    if (!q) return st;
    char now[DATETIME_LEN];
    sq_format_utc(ol_unix_now(), now);
    sqlite3_bind_int64(q, 1, trial_id);
    sq_bind_text(q, 2, now);
    return sq_run(s, q, "recording a heartbeat", err);
}

ol_status sq_create_trial(ol_storage *base, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                          size_t n_attrs, int64_t *trial_id, int *number, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    /* One IMMEDIATE transaction: the count and the insert see the same trials. */
    TXN_LOOP(s, 1, st, err, {
        int active = 0, all = 0;
        st = sq_require_study(s, study_id, err);
        if (st == OL_OK && max_trials > 0) {
            st = sq_count_trials(s, Q_COUNT_ACTIVE, study_id, &active, err);
            if (st == OL_OK && active >= max_trials)
                st = ol_fail(err, OL_ESTOPPED, "study %lld in '%s' is full: %d of %d trials complete, pruned or running",
                             (long long)study_id, s->path, active, max_trials);
        }
        if (st == OL_OK) st = sq_count_trials(s, Q_COUNT_ALL, study_id, &all, err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = sq_stmt(s, Q_INSERT_TRIAL, err, &st))) {
            char now[DATETIME_LEN];
            sq_format_local(ol_unix_now(), now);
            sqlite3_bind_int(q, 1, all);
            sqlite3_bind_int64(q, 2, study_id);
            sq_bind_text(q, 3, now);
            st = sq_run(s, q, "creating a trial", err);
        }
        int64_t id = sqlite3_last_insert_rowid(s->db);
        if (st == OL_OK) st = upsert_heartbeat(s, id, err);
        for (size_t i = 0; st == OL_OK && i < n_attrs; i++) {
            if (!(q = sq_stmt(s, Q_UPSERT_SYSTEM_ATTR, err, &st))) break;
            sqlite3_bind_int64(q, 1, id);
            sq_bind_text(q, 2, attrs[i].key);
            sq_bind_text(q, 3, attrs[i].value_json);
            st = sq_run(s, q, "setting a new trial's attribute", err);
        }
        if (st == OL_OK) {
            if (trial_id) *trial_id = id;
            if (number) *number = all;
        }
    });
    return st;
}

ol_status sq_set_params(ol_storage *base, int64_t trial_id, const ol_param_rec *params, size_t n, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = sq_require_running(s, trial_id, "set a parameter of", err);
        for (size_t i = 0; st == OL_OK && i < n; i++) {
            sqlite3_stmt *q;
            if ((q = sq_stmt(s, Q_UPSERT_PARAM, err, &st))) {
                sqlite3_bind_int64(q, 1, trial_id);
                sq_bind_text(q, 2, params[i].name);
                sqlite3_bind_double(q, 3, params[i].value);
                sq_bind_text(q, 4, params[i].distribution_json);
                st = sq_run(s, q, "recording a parameter", err);
            }
        }
    });
    return st;
}

ol_status sq_set_intermediate(ol_storage *base, int64_t trial_id, int64_t step_no, double value,
                              ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = sq_require_running(s, trial_id, "report an intermediate value of", err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = sq_stmt(s, Q_UPSERT_INTERMEDIATE, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            sqlite3_bind_int64(q, 2, step_no);
            if (isfinite(value))
                sqlite3_bind_double(q, 3, value);
            else
                sqlite3_bind_null(q, 3);
            sq_bind_text(q, 4, ol_float_type(value));
            st = sq_run(s, q, "recording an intermediate value", err);
        }
    });
    return st;
}

ol_status sq_set_trial_attr(ol_storage *base, int64_t trial_id, int system, const char *key,
                            const char *value_json, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        ol_trial_state state;
        st = sq_trial_state(s, trial_id, &state, err); /* any state: test accuracy comes after the end */
        sqlite3_stmt *q;
        if (st == OL_OK && (q = sq_stmt(s, system ? Q_UPSERT_SYSTEM_ATTR : Q_UPSERT_USER_ATTR, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            sq_bind_text(q, 2, key);
            sq_bind_text(q, 3, value_json);
            st = sq_run(s, q, "setting a trial attribute", err);
        }
    });
    return st;
}

ol_status sq_finish_trial(ol_storage *base, int64_t trial_id, ol_trial_state state, const double *value,
                          ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = sq_require_running(s, trial_id, "finish", err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = sq_stmt(s, Q_FINISH_TRIAL, err, &st))) {
            char now[DATETIME_LEN];
            sq_format_local(ol_unix_now(), now);
            sqlite3_bind_int64(q, 1, trial_id);
            sq_bind_text(q, 2, ol_trial_state_name(state));
            sq_bind_text(q, 3, now);
            st = sq_run(s, q, "finishing a trial", err);
        }
        if (st == OL_OK && value && (q = sq_stmt(s, Q_UPSERT_VALUE, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            if (isfinite(*value))
                sqlite3_bind_double(q, 2, *value);
            else
                sqlite3_bind_null(q, 2);
            sq_bind_text(q, 3, ol_float_type(*value));
            st = sq_run(s, q, "recording a trial's value", err);
        }
    });
    return st;
}

ol_status sq_heartbeat(ol_storage *base, int64_t trial_id, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = sq_require_running(s, trial_id, "record a heartbeat of", err);
        if (st == OL_OK) st = upsert_heartbeat(s, trial_id, err);
    });
    return st;
}

ol_status sq_fail_stale(ol_storage *base, int64_t study_id, double grace_seconds, int *n_failed,
                        ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    int failed = 0;
    TXN_LOOP(s, 1, st, err, {
        failed = 0;
        st = sq_require_study(s, study_id, err);
        int64_t *stale = NULL;
        size_t n_stale = 0;
        double now = ol_unix_now();
        sqlite3_stmt *q = st == OL_OK ? sq_stmt(s, Q_RUNNING_WITH_HEARTBEAT, err, &st) : NULL;
        int row = 1;
        if (q) sqlite3_bind_int64(q, 1, study_id);
        while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading running trials", err)) == OL_OK && row) {
            /* The heartbeat (UTC); a trial that never beat is judged by its start (local time). */
            double last = sqlite3_column_type(q, 2) != SQLITE_NULL ? sq_parse_datetime(sqlite3_column_text(q, 2), 1)
                                                                    : sq_parse_datetime(sqlite3_column_text(q, 1), 0);
            if (now - last > grace_seconds) {
                int64_t *grown = realloc(stale, (n_stale + 1) * sizeof *grown);
                if (!grown) {
                    st = ol_fail(err, OL_ENOMEM, "out of memory finding stale trials");
                    break;
                }
                stale = grown;
                stale[n_stale++] = sqlite3_column_int64(q, 0);
            }
        }
        if (q) sqlite3_reset(q);
        char when[DATETIME_LEN];
        sq_format_local(now, when);
        for (size_t i = 0; st == OL_OK && i < n_stale; i++) {
            if (!(q = sq_stmt(s, Q_FAIL_IF_RUNNING, err, &st))) break;
            sqlite3_bind_int64(q, 1, stale[i]);
            sq_bind_text(q, 2, when);
            st = sq_run(s, q, "failing a stale trial", err);
            if (st == OL_OK) failed += sqlite3_changes(s->db);
        }
        free(stale);
    });
    if (n_failed) *n_failed = st == OL_OK ? failed : 0;
    return st;
}

ol_status sq_get_heartbeats(ol_storage *base, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                           ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 0, st, err, {
        free(*out); /* a retried transaction starts again */
        *out = NULL;
        *n = 0;
        size_t cap = 0;
        int row = 1;
        st = sq_require_study(s, study_id, err);
        sqlite3_stmt *q = st == OL_OK ? sq_stmt(s, Q_HEARTBEATS, err, &st) : NULL;
        if (q) sqlite3_bind_int64(q, 1, study_id);
        while (q && st == OL_OK && (st = sq_step(s, q, &row, "reading heartbeats", err)) == OL_OK && row) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 8;
                ol_heartbeat_rec *grown = realloc(*out, cap * sizeof *grown);
                if (!grown) {
                    st = ol_fail(err, OL_ENOMEM, "out of memory reading heartbeats");
                    break;
                }
                *out = grown;
            }
            (*out)[*n].trial_id = sqlite3_column_int64(q, 0);
            (*out)[(*n)++].heartbeat = sq_parse_datetime(sqlite3_column_text(q, 1), 1); /* heartbeats are UTC */
        }
        if (q) sqlite3_reset(q);
    });
    if (st != OL_OK) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return st;
}
