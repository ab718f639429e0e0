/*
 * sqlite_exec.c — what every operation of the SQLite backend runs on: the prepared
 * statements (one table of SQL), SQLite errors turned into messages naming the
 * file, transactions retried on a lock, datetimes as Optuna writes them, and the
 * study and trial lookups that guard writes.
 * (sqlite.c says how the backend fits together.)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sqlite_internal.h"

/* Part of a study: the trials first (CROSS JOIN keeps that order, so the
 * child rows are found through their trial_id indexes, not by a full scan). */
#define SINCE_FILTER " WHERE t.study_id = ?1 AND (t.trial_id > ?2 OR t.trial_id IN (SELECT value FROM json_each(?3)))"

static const char *const query_sql[Q_COUNT] = {
    [Q_BEGIN_READ] = "BEGIN",
    [Q_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_INSERT_STUDY] = "INSERT INTO studies (study_name) VALUES (?1)",
    [Q_INSERT_DIRECTION] = "INSERT INTO study_directions (direction, study_id, objective) VALUES (?1, ?2, 0)",
    [Q_FIND_STUDY] = "SELECT s.study_id, (SELECT direction FROM study_directions d WHERE d.study_id = s.study_id "
                     "ORDER BY objective LIMIT 1) FROM studies s WHERE s.study_name = ?1",
    [Q_STUDY_EXISTS] = "SELECT 1 FROM studies WHERE study_id = ?1",
    [Q_LIST_STUDIES] = "SELECT s.study_id, s.study_name, (SELECT direction FROM study_directions d "
                       "WHERE d.study_id = s.study_id ORDER BY objective LIMIT 1), "
                       "(SELECT count(*) FROM trials t WHERE t.study_id = s.study_id), "
                       "(SELECT count(*) FROM trials t WHERE t.study_id = s.study_id AND t.state = 'COMPLETE') "
                       "FROM studies s ORDER BY s.study_id",
    [Q_UPSERT_STUDY_ATTR] = "INSERT INTO study_user_attributes (study_id, \"key\", value_json) VALUES (?1, ?2, ?3) "
                            "ON CONFLICT (study_id, \"key\") DO UPDATE SET value_json = excluded.value_json",
    [Q_STUDY_ATTRS] = "SELECT \"key\", value_json FROM study_user_attributes WHERE study_id = ?1 "
                      "ORDER BY study_user_attribute_id",
    [Q_COUNT_ACTIVE] = "SELECT count(*) FROM trials WHERE study_id = ?1 AND state IN ('COMPLETE', 'PRUNED', "
                       "'RUNNING')",
    [Q_COUNT_ALL] = "SELECT count(*) FROM trials WHERE study_id = ?1",
    [Q_INSERT_TRIAL] = "INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) "
                       "VALUES (?1, ?2, 'RUNNING', ?3, NULL)",
    [Q_UPSERT_HEARTBEAT] = "INSERT INTO trial_heartbeats (trial_id, heartbeat) VALUES (?1, ?2) "
                           "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = excluded.heartbeat",
    [Q_TRIAL_STATE] = "SELECT state FROM trials WHERE trial_id = ?1",
    [Q_UPSERT_PARAM] = "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
                       "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (trial_id, param_name) DO UPDATE SET "
                       "param_value = excluded.param_value, distribution_json = excluded.distribution_json",
    [Q_UPSERT_INTERMEDIATE] = "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, "
                              "intermediate_value_type) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (trial_id, step) "
                              "DO UPDATE SET intermediate_value = excluded.intermediate_value, "
                              "intermediate_value_type = excluded.intermediate_value_type",
    [Q_UPSERT_USER_ATTR] = "INSERT INTO trial_user_attributes (trial_id, \"key\", value_json) VALUES (?1, ?2, ?3) "
                           "ON CONFLICT (trial_id, \"key\") DO UPDATE SET value_json = excluded.value_json",
    [Q_UPSERT_SYSTEM_ATTR] = "INSERT INTO trial_system_attributes (trial_id, \"key\", value_json) "
                             "VALUES (?1, ?2, ?3) ON CONFLICT (trial_id, \"key\") DO UPDATE SET "
                             "value_json = excluded.value_json",
    [Q_FINISH_TRIAL] = "UPDATE trials SET state = ?2, datetime_complete = ?3 WHERE trial_id = ?1 "
                       "AND state = 'RUNNING'",
    [Q_UPSERT_VALUE] = "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?1, 0, ?2, ?3) "
                       "ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, "
                       "value_type = excluded.value_type",
    [Q_RUNNING_WITH_HEARTBEAT] = "SELECT t.trial_id, t.datetime_start, h.heartbeat FROM trials t "
                                 "LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                                 "WHERE t.study_id = ?1 AND t.state = 'RUNNING' ORDER BY t.trial_id",
    [Q_HEARTBEATS] = "SELECT t.trial_id, h.heartbeat FROM trials t JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
                     "WHERE t.study_id = ?1 AND t.state = 'RUNNING' ORDER BY t.trial_id",
    [Q_FAIL_IF_RUNNING] = "UPDATE trials SET state = 'FAIL', datetime_complete = ?2 WHERE trial_id = ?1 "
                          "AND state = 'RUNNING'",
    /* ?2, ?3: only trials with a greater id or listed in the JSON array ?3 (0, '[]': all) */
    [Q_TRIALS] = "SELECT t.trial_id, t.number, t.state, t.datetime_start, t.datetime_complete FROM trials t "
                 "WHERE t.study_id = ?1 AND (t.trial_id > ?2 OR t.trial_id IN (SELECT value FROM json_each(?3))) "
                 "ORDER BY t.number, t.trial_id",
    [Q_VALUES] = "SELECT v.trial_id, v.value, v.value_type FROM trial_values v JOIN trials t "
                 "ON t.trial_id = v.trial_id WHERE t.study_id = ?1 AND v.objective = 0",
    [Q_PARAMS] = "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p "
                 "JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = ?1 "
                 "ORDER BY p.param_id",
    [Q_INTERMEDIATE] = "SELECT i.trial_id, i.step, i.intermediate_value, i.intermediate_value_type "
                       "FROM trial_intermediate_values i JOIN trials t ON t.trial_id = i.trial_id "
                       "WHERE t.study_id = ?1 ORDER BY i.trial_id, i.step",
    [Q_USER_ATTRS] = "SELECT a.trial_id, a.\"key\", a.value_json FROM trial_user_attributes a JOIN trials t "
                     "ON t.trial_id = a.trial_id WHERE t.study_id = ?1 "
                     "ORDER BY a.trial_user_attribute_id",
    [Q_VALUES_SINCE] = "SELECT v.trial_id, v.value, v.value_type FROM trials t CROSS JOIN trial_values v "
                       "ON t.trial_id = v.trial_id" SINCE_FILTER " AND v.objective = 0",
    [Q_PARAMS_SINCE] = "SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trials t "
                       "CROSS JOIN trial_params p ON t.trial_id = p.trial_id" SINCE_FILTER " ORDER BY p.param_id",
    [Q_INTERMEDIATE_SINCE] = "SELECT i.trial_id, i.step, i.intermediate_value, i.intermediate_value_type "
                             "FROM trials t CROSS JOIN trial_intermediate_values i ON t.trial_id = i.trial_id"
                             SINCE_FILTER " ORDER BY i.trial_id, i.step",
    [Q_USER_ATTRS_SINCE] = "SELECT a.trial_id, a.\"key\", a.value_json FROM trials t CROSS JOIN trial_user_attributes a "
                           "ON t.trial_id = a.trial_id" SINCE_FILTER " ORDER BY a.trial_user_attribute_id",
    [Q_SYSTEM_ATTRS_SINCE] = "SELECT a.trial_id, a.\"key\", a.value_json FROM trials t CROSS JOIN "
                             "trial_system_attributes a ON t.trial_id = a.trial_id" SINCE_FILTER
                             " ORDER BY a.trial_system_attribute_id",
    [Q_SYSTEM_ATTRS] = "SELECT a.trial_id, a.\"key\", a.value_json FROM trial_system_attributes a JOIN trials t "
                       "ON t.trial_id = a.trial_id WHERE t.study_id = ?1 "
                       "ORDER BY a.trial_system_attribute_id",
};

/* ---------------------------------------------------------------- errors */

/* Turn an SQLite result code into an ol_status with a message naming the file. */
ol_status sq_fail(sq_storage *s, int rc, ol_error *err, const char *doing) {
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ol_fail(err, OL_EBUSY, "SQLite storage '%s' stayed locked while %s: %s", s->path, doing, msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return ol_fail(err, OL_EFORMAT, "SQLite storage '%s' is corrupt (%s while %s)", s->path, msg, doing);
    case SQLITE_READONLY:
        return ol_fail(err, OL_EIO, "SQLite storage '%s' is read-only (%s while %s)", s->path, msg, doing);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM: {
        /* "disk I/O error" alone hides the cause a user can act on (a full disk,
         * a read-only file system): name the operating system's error too */
        int os_errno = s->db ? sqlite3_system_errno(s->db) : 0;
        if (os_errno)
            return ol_fail(err, OL_EIO, "SQLite storage '%s': %s (%s) while %s", s->path, msg, strerror(os_errno),
                           doing);
        return ol_fail(err, OL_EIO, "SQLite storage '%s': %s while %s", s->path, msg, doing);
    }
    case SQLITE_NOMEM:
        return ol_fail(err, OL_ENOMEM, "SQLite storage '%s': out of memory while %s", s->path, doing);
    case SQLITE_CONSTRAINT:
        return ol_fail(err, OL_EINVAL, "SQLite storage '%s': %s while %s", s->path, msg, doing);
    default:
        return ol_fail(err, OL_ESTORAGE, "SQLite storage '%s': %s while %s", s->path, msg, doing);
    }
}

/* ------------------------------------------------------------ statements */

/* The prepared statement `q`, reset and with no bindings; NULL (err set) on failure. */
sqlite3_stmt *sq_stmt(sq_storage *s, int q, ol_error *err, ol_status *status) {
    if (!s->stmt[q]) {
        int rc = sqlite3_prepare_v3(s->db, query_sql[q], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[q], NULL);
        if (rc != SQLITE_OK) {
            *status = sq_fail(s, rc, err, "preparing a statement");
            s->stmt[q] = NULL;
            return NULL;
        }
    }
    sqlite3_reset(s->stmt[q]);
    sqlite3_clear_bindings(s->stmt[q]);
    return s->stmt[q];
}

/* Step a statement: OL_OK with *row set (1: a row, 0: done), else an error. */
ol_status sq_step(sq_storage *s, sqlite3_stmt *q, int *row, const char *doing, ol_error *err) {
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if (row) *row = 1;
        return OL_OK;
    }
    sqlite3_reset(q);
    if (rc == SQLITE_DONE) {
        if (row) *row = 0;
        return OL_OK;
    }
    return sq_fail(s, rc, err, doing);
}

/* Run a statement that returns no rows (bindings already made). */
ol_status sq_run(sq_storage *s, sqlite3_stmt *q, const char *doing, ol_error *err) {
    int row;
    ol_status st = sq_step(s, q, &row, doing, err);
    sqlite3_reset(q);
    return st;
}

ol_status sq_run_simple(sq_storage *s, int q, const char *doing, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *p = sq_stmt(s, q, err, &st);
    return p ? sq_run(s, p, doing, err) : st;
}

void sq_bind_text(sqlite3_stmt *q, int i, const char *text) { sqlite3_bind_text(q, i, text, -1, SQLITE_TRANSIENT); }

char *sq_column_dup(sqlite3_stmt *q, int i) {
    const unsigned char *t = sqlite3_column_text(q, i);
    return ol_strdup(t ? (const char *)t : "");
}

/* ---------------------------------------------------------- transactions */

/* Pause before the next attempt; 0 when the retry budget is spent. */
int sq_retry_wait(sq_storage *s, sq_retry *r) {
    if (ol_now() - r->started > RETRY_TOTAL_SECONDS) return 0;
    int shift = r->attempt < 8 ? r->attempt : 8;
    long base_us = 1000L << shift; /* 1 ms doubling up to 256 ms */
    s->jitter = s->jitter * 1103515245u + 12345u;
    long us = base_us + (long)((s->jitter >> 8) % (unsigned)base_us);
    r->attempt++;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

ol_status sq_txn_begin(sq_storage *s, int write, ol_error *err) {
    return sq_run_simple(s, write ? Q_BEGIN_WRITE : Q_BEGIN_READ, write ? "starting a write" : "starting a read",
                      err);
}

/* Commit when `st` is OL_OK, else roll back; returns the outcome. */
ol_status sq_txn_end(sq_storage *s, ol_status st, ol_error *err) {
    if (st == OL_OK) {
        st = sq_run_simple(s, Q_COMMIT, "committing", err);
        if (st == OL_OK) return OL_OK;
    }
    if (!sqlite3_get_autocommit(s->db)) {
        ol_error ignored;
        sq_run_simple(s, Q_ROLLBACK, "rolling back", &ignored);
    }
    return st;
}

/* ------------------------------------------------------------- datetimes */

/*
 * "YYYY-MM-DD HH:MM:SS.ffffff": local time for trial start and end (Optuna
 * stores Python's datetime.now()), UTC for heartbeats (Optuna compares them
 * with SQLite's CURRENT_TIMESTAMP). `buf` holds DATETIME_LEN bytes.
 */
static void format_datetime(double t, int utc, char *buf) {
    time_t sec = (time_t)floor(t);
    int usec = (int)((t - (double)sec) * 1e6);
    if (usec > 999999) usec = 999999;
    if (usec < 0) usec = 0;
    struct tm tm;
    if (utc)
        gmtime_r(&sec, &tm);
    else
        localtime_r(&sec, &tm);
    size_t k = strftime(buf, DATETIME_LEN - 8, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + k, DATETIME_LEN - k, ".%06d", usec);
}
void sq_format_local(double t, char *buf) { format_datetime(t, 0, buf); }
void sq_format_utc(double t, char *buf) { format_datetime(t, 1, buf); }

/* Parse "YYYY-MM-DD HH:MM:SS[.ffffff]" (local or UTC); 0 when absent or unreadable. */
double sq_parse_datetime(const unsigned char *text, int utc) {
    if (!text) return 0;
    int y, mo, d, h, mi;
    double sec;
    if (sscanf((const char *)text, "%d-%d-%d%*[ T]%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    time_t base = utc ? timegm(&tm) : mktime(&tm);
    if (base == (time_t)-1) return 0;
    return (double)base + sec;
}

/* ------------------------------------------------------------ lookups */

/* The trial's state (OL_ENOTFOUND if there is no such trial). Inside a transaction. */
ol_status sq_trial_state(sq_storage *s, int64_t trial_id, ol_trial_state *state, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = sq_stmt(s, Q_TRIAL_STATE, err, &st);
    if (!q) return st;
    sqlite3_bind_int64(q, 1, trial_id);
    int row = 0; /* set by sq_step(); = 0 for gcc -O3 -Wmaybe-uninitialized */
    if ((st = sq_step(s, q, &row, "reading a trial's state", err)) != OL_OK) return st;
    if (!row) return ol_fail(err, OL_ENOTFOUND, "no trial with id %lld in '%s'", (long long)trial_id, s->path);
    const unsigned char *text = sqlite3_column_text(q, 0);
    if (!ol_trial_state_parse((const char *)text, state))
        st = ol_fail(err, OL_EFORMAT, "trial %lld in '%s' has unknown state '%s'", (long long)trial_id, s->path,
                     text ? (const char *)text : "(null)");
    sqlite3_reset(q);
    return st;
}

ol_status sq_require_running(sq_storage *s, int64_t trial_id, const char *doing, ol_error *err) {
    ol_trial_state state;
    ol_status st = sq_trial_state(s, trial_id, &state, err);
    if (st != OL_OK) return st;
    if (state != OL_TRIAL_RUNNING)
        return ol_fail(err, OL_ESTATE, "cannot %s trial %lld: it is %s, not RUNNING", doing, (long long)trial_id,
                       ol_trial_state_name(state));
    return OL_OK;
}

ol_status sq_require_study(sq_storage *s, int64_t study_id, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = sq_stmt(s, Q_STUDY_EXISTS, err, &st);
    if (!q) return st;
    sqlite3_bind_int64(q, 1, study_id);
    int row = 0;
    if ((st = sq_step(s, q, &row, "looking up a study", err)) != OL_OK) return st;
    sqlite3_reset(q);
    if (!row) return ol_fail(err, OL_ENOTFOUND, "no study with id %lld in '%s'", (long long)study_id, s->path);
    return OL_OK;
}
