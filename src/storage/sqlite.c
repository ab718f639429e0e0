/*
 * sqlite.c — the SQLite storage backend, in Optuna's RDB schema exactly as
 * Debian's python3-optuna 3.1 creates it (alembic revision v3.0.0.d, schema
 * version 12), so optuna.load_study(storage="sqlite:///FILE") and
 * optuna-dashboard read what optlab writes, and optlab continues studies that
 * Optuna started.
 *
 * How it fits: storage.c picks this backend for "sqlite:///..." URLs and calls
 * it through the ops table of backend.h. Values are written as Optuna writes
 * them: states as 'RUNNING'/'COMPLETE'/..., datetimes as local-time text
 * "YYYY-MM-DD HH:MM:SS.ffffff" (Python's datetime.now()), heartbeats in UTC
 * (SQLite's CURRENT_TIMESTAMP, which Optuna uses for them), infinite values as
 * NULL plus a value type ('INF_POS', 'INF_NEG', 'NAN'), attributes as JSON.
 *
 * Several processes share one file (optlab run --jobs N): the database is put
 * in WAL mode so readers never block the writer, every write is one
 * BEGIN IMMEDIATE transaction, and a transaction that meets SQLITE_BUSY or
 * SQLITE_LOCKED after SQLite's own busy timeout is rolled back and run again
 * with a growing, jittered pause. Trial creation counts the study's trials
 * inside its write transaction, so no number is issued twice and a budget is
 * never exceeded.
 *
 * Opening never modifies a file that is not already an Optuna database of the
 * expected version (or empty): such files are reported as OL_EFORMAT naming
 * the file and what was found. All SQL goes through prepared statements with
 * bound parameters; names with quotes in them are just text.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "backend.h"

/* The schema this backend reads and writes (Optuna 3.0 / 3.1). */
#define OPTUNA_ALEMBIC_VERSION "v3.0.0.d"
#define OPTUNA_SCHEMA_VERSION 12
#define OPTUNA_LIBRARY_VERSION "3.1.0" /* what Optuna 3.1 records in version_info */

/* SQLite waits this long on a lock by itself; then our own retry loop takes over. */
#define BUSY_TIMEOUT_MS 2000
/* Our retries give up after this long in all. */
#define RETRY_TOTAL_SECONDS 120.0

/* The DDL Optuna 3.1 runs for a new SQLite storage (as SQLAlchemy emits it). */
static const char *const schema_sql[] = {
    "CREATE TABLE studies (\n\tstudy_id INTEGER NOT NULL, \n\tstudy_name VARCHAR(512) NOT NULL, \n\t"
    "PRIMARY KEY (study_id)\n)",
    "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
    "CREATE TABLE version_info (\n\tversion_info_id INTEGER NOT NULL, \n\tschema_version INTEGER, \n\t"
    "library_version VARCHAR(256), \n\tPRIMARY KEY (version_info_id), \n\tCHECK (version_info_id=1)\n)",
    "CREATE TABLE study_directions (\n\tstudy_direction_id INTEGER NOT NULL, \n\tdirection VARCHAR(8) NOT NULL, "
    "\n\tstudy_id INTEGER NOT NULL, \n\tobjective INTEGER NOT NULL, \n\tPRIMARY KEY (study_direction_id), \n\t"
    "UNIQUE (study_id, objective), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)",
    "CREATE TABLE study_user_attributes (\n\tstudy_user_attribute_id INTEGER NOT NULL, \n\tstudy_id INTEGER, "
    "\n\t\"key\" VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (study_user_attribute_id), \n\t"
    "UNIQUE (study_id, \"key\"), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)",
    "CREATE TABLE study_system_attributes (\n\tstudy_system_attribute_id INTEGER NOT NULL, \n\tstudy_id INTEGER, "
    "\n\t\"key\" VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (study_system_attribute_id), \n\t"
    "UNIQUE (study_id, \"key\"), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)",
    "CREATE TABLE trials (\n\ttrial_id INTEGER NOT NULL, \n\tnumber INTEGER, \n\tstudy_id INTEGER, \n\t"
    "state VARCHAR(8) NOT NULL, \n\tdatetime_start DATETIME, \n\tdatetime_complete DATETIME, \n\t"
    "PRIMARY KEY (trial_id), \n\tFOREIGN KEY(study_id) REFERENCES studies (study_id)\n)",
    "CREATE TABLE trial_user_attributes (\n\ttrial_user_attribute_id INTEGER NOT NULL, \n\ttrial_id INTEGER, "
    "\n\t\"key\" VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (trial_user_attribute_id), \n\t"
    "UNIQUE (trial_id, \"key\"), \n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)",
    "CREATE TABLE trial_system_attributes (\n\ttrial_system_attribute_id INTEGER NOT NULL, \n\ttrial_id INTEGER, "
    "\n\t\"key\" VARCHAR(512), \n\tvalue_json TEXT, \n\tPRIMARY KEY (trial_system_attribute_id), \n\t"
    "UNIQUE (trial_id, \"key\"), \n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)",
    "CREATE TABLE trial_params (\n\tparam_id INTEGER NOT NULL, \n\ttrial_id INTEGER, \n\t"
    "param_name VARCHAR(512), \n\tparam_value FLOAT, \n\tdistribution_json TEXT, \n\tPRIMARY KEY (param_id), "
    "\n\tUNIQUE (trial_id, param_name), \n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)",
    "CREATE TABLE trial_values (\n\ttrial_value_id INTEGER NOT NULL, \n\ttrial_id INTEGER NOT NULL, \n\t"
    "objective INTEGER NOT NULL, \n\tvalue FLOAT, \n\tvalue_type VARCHAR(7) NOT NULL, \n\t"
    "PRIMARY KEY (trial_value_id), \n\tUNIQUE (trial_id, objective), \n\t"
    "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)",
    "CREATE TABLE trial_intermediate_values (\n\ttrial_intermediate_value_id INTEGER NOT NULL, \n\t"
    "trial_id INTEGER NOT NULL, \n\tstep INTEGER NOT NULL, \n\tintermediate_value FLOAT, \n\t"
    "intermediate_value_type VARCHAR(7) NOT NULL, \n\tPRIMARY KEY (trial_intermediate_value_id), \n\t"
    "UNIQUE (trial_id, step), \n\tFOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)",
    "CREATE TABLE trial_heartbeats (\n\ttrial_heartbeat_id INTEGER NOT NULL, \n\ttrial_id INTEGER NOT NULL, \n\t"
    "heartbeat DATETIME NOT NULL, \n\tPRIMARY KEY (trial_heartbeat_id), \n\tUNIQUE (trial_id), \n\t"
    "FOREIGN KEY(trial_id) REFERENCES trials (trial_id)\n)",
    "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\t"
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)",
};

/* Tables an Optuna 3.1 storage must have. */
static const char *const required_tables[] = {
    "studies",          "version_info",          "study_directions", "study_user_attributes",
    "study_system_attributes", "trials",         "trial_user_attributes", "trial_system_attributes",
    "trial_params",     "trial_values",          "trial_intermediate_values", "trial_heartbeats",
    "alembic_version",
};
#define N_REQUIRED_TABLES (sizeof required_tables / sizeof required_tables[0])

/* Every statement the backend runs, prepared once per connection and reused. */
enum {
    Q_BEGIN_READ,
    Q_BEGIN_WRITE,
    Q_COMMIT,
    Q_ROLLBACK,
    Q_INSERT_STUDY,
    Q_INSERT_DIRECTION,
    Q_FIND_STUDY,
    Q_STUDY_EXISTS,
    Q_LIST_STUDIES,
    Q_UPSERT_STUDY_ATTR,
    Q_STUDY_ATTRS,
    Q_COUNT_ACTIVE,
    Q_COUNT_ALL,
    Q_INSERT_TRIAL,
    Q_UPSERT_HEARTBEAT,
    Q_TRIAL_STATE,
    Q_UPSERT_PARAM,
    Q_UPSERT_INTERMEDIATE,
    Q_UPSERT_USER_ATTR,
    Q_UPSERT_SYSTEM_ATTR,
    Q_FINISH_TRIAL,
    Q_UPSERT_VALUE,
    Q_RUNNING_WITH_HEARTBEAT,
    Q_HEARTBEATS,
    Q_FAIL_IF_RUNNING,
    Q_TRIALS,
    Q_VALUES,
    Q_PARAMS,
    Q_INTERMEDIATE,
    Q_USER_ATTRS,
    Q_SYSTEM_ATTRS,
    Q_VALUES_SINCE, /* the same four, for part of a study (see read_trials) */
    Q_PARAMS_SINCE,
    Q_INTERMEDIATE_SINCE,
    Q_USER_ATTRS_SINCE,
    Q_SYSTEM_ATTRS_SINCE,
    Q_COUNT
};

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

typedef struct {
    ol_storage base; /* must be first: storage.c sees only this */
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[Q_COUNT];
    unsigned jitter; /* state of the backoff jitter */
} sq_storage;

static sq_storage *sq(ol_storage *st) { return (sq_storage *)st; }

/* ---------------------------------------------------------------- errors */

static int is_busy(int rc) {
    int primary = rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

/* Turn an SQLite result code into an ol_status with a message naming the file. */
static ol_status sq_fail(sq_storage *s, int rc, ol_error *err, const char *doing) {
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
static sqlite3_stmt *stmt(sq_storage *s, int q, ol_error *err, ol_status *status) {
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
static ol_status step(sq_storage *s, sqlite3_stmt *q, int *row, const char *doing, ol_error *err) {
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
static ol_status run(sq_storage *s, sqlite3_stmt *q, const char *doing, ol_error *err) {
    int row;
    ol_status st = step(s, q, &row, doing, err);
    sqlite3_reset(q);
    return st;
}

static ol_status run_simple(sq_storage *s, int q, const char *doing, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *p = stmt(s, q, err, &st);
    return p ? run(s, p, doing, err) : st;
}

static void bind_text(sqlite3_stmt *q, int i, const char *text) { sqlite3_bind_text(q, i, text, -1, SQLITE_TRANSIENT); }

static char *column_dup(sqlite3_stmt *q, int i) {
    const unsigned char *t = sqlite3_column_text(q, i);
    return ol_strdup(t ? (const char *)t : "");
}

/* ---------------------------------------------------------- transactions */

typedef struct {
    double started;
    int attempt;
} sq_retry;

/* Pause before the next attempt; 0 when the retry budget is spent. */
static int retry_wait(sq_storage *s, sq_retry *r) {
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

static ol_status txn_begin(sq_storage *s, int write, ol_error *err) {
    return run_simple(s, write ? Q_BEGIN_WRITE : Q_BEGIN_READ, write ? "starting a write" : "starting a read",
                      err);
}

/* Commit when `st` is OL_OK, else roll back; returns the outcome. */
static ol_status txn_end(sq_storage *s, ol_status st, ol_error *err) {
    if (st == OL_OK) {
        st = run_simple(s, Q_COMMIT, "committing", err);
        if (st == OL_OK) return OL_OK;
    }
    if (!sqlite3_get_autocommit(s->db)) {
        ol_error ignored;
        run_simple(s, Q_ROLLBACK, "rolling back", &ignored);
    }
    return st;
}

/*
 * Run `body` (the macro's last argument, a block that sets `st`) inside one
 * transaction: begin, body, commit or roll back — and run the whole again,
 * after a pause, when it met a lock. A body must therefore start from
 * scratch each time (reset what an earlier attempt collected).
 */
#define TXN_LOOP(s, write, st, err, ...)                                                                     \
    do {                                                                                                      \
        sq_retry retry_ = {ol_now(), 0};                                                                      \
        for (;;) {                                                                                            \
            st = txn_begin(s, write, err);                                                                    \
            if (st == OL_OK) {                                                                                \
                __VA_ARGS__                                                                                   \
            }                                                                                                 \
            st = txn_end(s, st, err);                                                                         \
            if (st != OL_EBUSY || !retry_wait(s, &retry_)) break;                                             \
        }                                                                                                     \
    } while (0)

/* ------------------------------------------------------------- datetimes */

/*
 * "YYYY-MM-DD HH:MM:SS.ffffff": local time for trial start and end (Optuna
 * stores Python's datetime.now()), UTC for heartbeats (Optuna compares them
 * with SQLite's CURRENT_TIMESTAMP). `buf` holds DATETIME_LEN bytes.
 */
#define DATETIME_LEN 64
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
static void format_local(double t, char *buf) { format_datetime(t, 0, buf); }
static void format_utc(double t, char *buf) { format_datetime(t, 1, buf); }

/* Parse "YYYY-MM-DD HH:MM:SS[.ffffff]" (local or UTC); 0 when absent or unreadable. */
static double parse_datetime(const unsigned char *text, int utc) {
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
static ol_status trial_state(sq_storage *s, int64_t trial_id, ol_trial_state *state, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = stmt(s, Q_TRIAL_STATE, err, &st);
    if (!q) return st;
    sqlite3_bind_int64(q, 1, trial_id);
    int row = 0; /* set by step(); = 0 for gcc -O3 -Wmaybe-uninitialized */
    if ((st = step(s, q, &row, "reading a trial's state", err)) != OL_OK) return st;
    if (!row) return ol_fail(err, OL_ENOTFOUND, "no trial with id %lld in '%s'", (long long)trial_id, s->path);
    const unsigned char *text = sqlite3_column_text(q, 0);
    if (!ol_trial_state_parse((const char *)text, state))
        st = ol_fail(err, OL_EFORMAT, "trial %lld in '%s' has unknown state '%s'", (long long)trial_id, s->path,
                     text ? (const char *)text : "(null)");
    sqlite3_reset(q);
    return st;
}

static ol_status require_running(sq_storage *s, int64_t trial_id, const char *doing, ol_error *err) {
    ol_trial_state state;
    ol_status st = trial_state(s, trial_id, &state, err);
    if (st != OL_OK) return st;
    if (state != OL_TRIAL_RUNNING)
        return ol_fail(err, OL_ESTATE, "cannot %s trial %lld: it is %s, not RUNNING", doing, (long long)trial_id,
                       ol_trial_state_name(state));
    return OL_OK;
}

static ol_status require_study(sq_storage *s, int64_t study_id, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = stmt(s, Q_STUDY_EXISTS, err, &st);
    if (!q) return st;
    sqlite3_bind_int64(q, 1, study_id);
    int row = 0;
    if ((st = step(s, q, &row, "looking up a study", err)) != OL_OK) return st;
    sqlite3_reset(q);
    if (!row) return ol_fail(err, OL_ENOTFOUND, "no study with id %lld in '%s'", (long long)study_id, s->path);
    return OL_OK;
}

/* ------------------------------------------------------------ operations */

static ol_status sq_create_study(ol_storage *base, const char *name, int maximize, int64_t *study_id,
                                 ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        sqlite3_stmt *q = stmt(s, Q_FIND_STUDY, err, &st);
        int row = 0;
        if (q) {
            bind_text(q, 1, name);
            st = step(s, q, &row, "looking up a study", err);
            sqlite3_reset(q);
        }
        if (st == OL_OK && row)
            st = ol_fail(err, OL_EINVAL, "a study named '%s' already exists in '%s'", name, s->path);
        if (st == OL_OK && (q = stmt(s, Q_INSERT_STUDY, err, &st))) {
            bind_text(q, 1, name);
            st = run(s, q, "creating a study", err);
        }
        int64_t id = sqlite3_last_insert_rowid(s->db);
        if (st == OL_OK && (q = stmt(s, Q_INSERT_DIRECTION, err, &st))) {
            bind_text(q, 1, maximize ? "MAXIMIZE" : "MINIMIZE");
            sqlite3_bind_int64(q, 2, id);
            st = run(s, q, "setting a study's direction", err);
        }
        if (st == OL_OK && study_id) *study_id = id;
    });
    return st;
}

static ol_status sq_find_study(ol_storage *base, const char *name, int64_t *study_id, int *maximize,
                               ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    int found = 0;
    TXN_LOOP(s, 0, st, err, {
        sqlite3_stmt *q = stmt(s, Q_FIND_STUDY, err, &st);
        if (q) {
            bind_text(q, 1, name ? name : "");
            st = step(s, q, &found, "looking up a study", err);
            if (st == OL_OK && found) {
                if (study_id) *study_id = sqlite3_column_int64(q, 0);
                int mx = 0;
                st = ol_direction_decode((const char *)sqlite3_column_text(q, 1), &mx, err, "'%s': study '%.400s'",
                                         s->path, name);
                if (maximize) *maximize = mx;
            }
            sqlite3_reset(q);
        }
    });
    if (st == OL_OK && !found)
        return ol_fail(err, OL_ENOTFOUND, "no study named '%s' in '%s'", name ? name : "", s->path);
    return st;
}

static ol_status sq_list_studies(ol_storage *base, ol_study_rec **out, size_t *n_out, ol_error *err) {
    sq_storage *s = sq(base);
    ol_study_rec *list = NULL;
    size_t n = 0, cap = 0;
    ol_status st;
    *out = NULL;
    *n_out = 0;
    TXN_LOOP(s, 0, st, err, {
        ol_studies_free(list, n);
        list = NULL;
        n = cap = 0;
        sqlite3_stmt *q = stmt(s, Q_LIST_STUDIES, err, &st);
        int row = 1;
        while (q && st == OL_OK && (st = step(s, q, &row, "listing studies", err)) == OL_OK && row) {
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 8;
                ol_study_rec *grown = realloc(list, ncap * sizeof *grown);
                if (!grown) {
                    st = ol_fail(err, OL_ENOMEM, "out of memory listing studies");
                    break;
                }
                list = grown;
                cap = ncap;
            }
            ol_study_rec *r = &list[n];
            r->study_id = sqlite3_column_int64(q, 0);
            r->name = column_dup(q, 1);
            r->n_trials = sqlite3_column_int(q, 3);
            r->n_complete = sqlite3_column_int(q, 4);
            n++;
            if (!r->name) {
                st = ol_fail(err, OL_ENOMEM, "out of memory listing studies");
            } else {
                st = ol_direction_decode((const char *)sqlite3_column_text(q, 2), &r->maximize, err,
                                         "'%s': study '%.400s'", s->path, r->name);
            }
        }
        if (q) sqlite3_reset(q);
    });
    if (st != OL_OK) {
        ol_studies_free(list, n);
        return st;
    }
    *out = list;
    *n_out = n;
    return OL_OK;
}

static ol_status sq_set_study_attr(ol_storage *base, int64_t study_id, const char *key, const char *value_json,
                                   ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = require_study(s, study_id, err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = stmt(s, Q_UPSERT_STUDY_ATTR, err, &st))) {
            sqlite3_bind_int64(q, 1, study_id);
            bind_text(q, 2, key);
            bind_text(q, 3, value_json);
            st = run(s, q, "setting a study attribute", err);
        }
    });
    return st;
}

/* Read (key, value_json) rows from columns `col`, `col+1` of q into a growing array. */
static ol_status append_attr(ol_attr_rec **attrs, size_t *n, sqlite3_stmt *q, int col, ol_error *err) {
    ol_attr_rec *grown = realloc(*attrs, (*n + 1) * sizeof *grown);
    if (!grown) return ol_fail(err, OL_ENOMEM, "out of memory reading attributes");
    *attrs = grown;
    grown[*n].key = column_dup(q, col);
    grown[*n].value_json = column_dup(q, col + 1);
    (*n)++;
    if (!grown[*n - 1].key || !grown[*n - 1].value_json)
        return ol_fail(err, OL_ENOMEM, "out of memory reading attributes");
    return OL_OK;
}

static ol_status sq_get_study_attrs(ol_storage *base, int64_t study_id, ol_attr_rec **out, size_t *n_out,
                                    ol_error *err) {
    sq_storage *s = sq(base);
    ol_attr_rec *attrs = NULL;
    size_t n = 0;
    ol_status st;
    *out = NULL;
    *n_out = 0;
    TXN_LOOP(s, 0, st, err, {
        ol_attrs_free(attrs, n);
        attrs = NULL;
        n = 0;
        st = require_study(s, study_id, err);
        sqlite3_stmt *q = st == OL_OK ? stmt(s, Q_STUDY_ATTRS, err, &st) : NULL;
        int row = 1;
        if (q) sqlite3_bind_int64(q, 1, study_id);
        while (q && st == OL_OK && (st = step(s, q, &row, "reading study attributes", err)) == OL_OK && row)
            st = append_attr(&attrs, &n, q, 0, err);
        if (q) sqlite3_reset(q);
    });
    if (st != OL_OK) {
        ol_attrs_free(attrs, n);
        return st;
    }
    *out = attrs;
    *n_out = n;
    return OL_OK;
}

static ol_status count_trials(sq_storage *s, int q_id, int64_t study_id, int *count, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = stmt(s, q_id, err, &st);
    if (!q) return st;
    sqlite3_bind_int64(q, 1, study_id);
    int row = 0;
    if ((st = step(s, q, &row, "counting trials", err)) != OL_OK) return st;
    *count = row ? sqlite3_column_int(q, 0) : 0;
    sqlite3_reset(q);
    return OL_OK;
}

static ol_status upsert_heartbeat(sq_storage *s, int64_t trial_id, ol_error *err) {
    ol_status st = OL_OK;
    sqlite3_stmt *q = stmt(s, Q_UPSERT_HEARTBEAT, err, &st);
    if (!q) return st;
    char now[DATETIME_LEN];
    format_utc(ol_unix_now(), now);
    sqlite3_bind_int64(q, 1, trial_id);
    bind_text(q, 2, now);
    return run(s, q, "recording a heartbeat", err);
}

static ol_status sq_create_trial(ol_storage *base, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                                 size_t n_attrs, int64_t *trial_id, int *number, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    /* One IMMEDIATE transaction: the count and the insert see the same trials. */
    TXN_LOOP(s, 1, st, err, {
        int active = 0, all = 0;
        st = require_study(s, study_id, err);
        if (st == OL_OK && max_trials > 0) {
            st = count_trials(s, Q_COUNT_ACTIVE, study_id, &active, err);
            if (st == OL_OK && active >= max_trials)
                st = ol_fail(err, OL_ESTOPPED, "study %lld in '%s' is full: %d of %d trials complete, pruned or running",
                             (long long)study_id, s->path, active, max_trials);
        }
        if (st == OL_OK) st = count_trials(s, Q_COUNT_ALL, study_id, &all, err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = stmt(s, Q_INSERT_TRIAL, err, &st))) {
            char now[DATETIME_LEN];
            format_local(ol_unix_now(), now);
            sqlite3_bind_int(q, 1, all);
            sqlite3_bind_int64(q, 2, study_id);
            bind_text(q, 3, now);
            st = run(s, q, "creating a trial", err);
        }
        int64_t id = sqlite3_last_insert_rowid(s->db);
        if (st == OL_OK) st = upsert_heartbeat(s, id, err);
        for (size_t i = 0; st == OL_OK && i < n_attrs; i++) {
            if (!(q = stmt(s, Q_UPSERT_SYSTEM_ATTR, err, &st))) break;
            sqlite3_bind_int64(q, 1, id);
            bind_text(q, 2, attrs[i].key);
            bind_text(q, 3, attrs[i].value_json);
            st = run(s, q, "setting a new trial's attribute", err);
        }
        if (st == OL_OK) {
            if (trial_id) *trial_id = id;
            if (number) *number = all;
        }
    });
    return st;
}

static ol_status sq_set_param(ol_storage *base, int64_t trial_id, const char *name, double value,
                              const char *distribution_json, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = require_running(s, trial_id, "set a parameter of", err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = stmt(s, Q_UPSERT_PARAM, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            bind_text(q, 2, name);
            sqlite3_bind_double(q, 3, value);
            bind_text(q, 4, distribution_json);
            st = run(s, q, "recording a parameter", err);
        }
    });
    return st;
}

static ol_status sq_set_intermediate(ol_storage *base, int64_t trial_id, int64_t step_no, double value,
                                     ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = require_running(s, trial_id, "report an intermediate value of", err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = stmt(s, Q_UPSERT_INTERMEDIATE, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            sqlite3_bind_int64(q, 2, step_no);
            if (isfinite(value))
                sqlite3_bind_double(q, 3, value);
            else
                sqlite3_bind_null(q, 3);
            bind_text(q, 4, ol_float_type(value));
            st = run(s, q, "recording an intermediate value", err);
        }
    });
    return st;
}

static ol_status sq_set_trial_attr(ol_storage *base, int64_t trial_id, int system, const char *key,
                                   const char *value_json, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        ol_trial_state state;
        st = trial_state(s, trial_id, &state, err); /* any state: test accuracy comes after the end */
        sqlite3_stmt *q;
        if (st == OL_OK && (q = stmt(s, system ? Q_UPSERT_SYSTEM_ATTR : Q_UPSERT_USER_ATTR, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            bind_text(q, 2, key);
            bind_text(q, 3, value_json);
            st = run(s, q, "setting a trial attribute", err);
        }
    });
    return st;
}

static ol_status sq_finish_trial(ol_storage *base, int64_t trial_id, ol_trial_state state, const double *value,
                                 ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = require_running(s, trial_id, "finish", err);
        sqlite3_stmt *q;
        if (st == OL_OK && (q = stmt(s, Q_FINISH_TRIAL, err, &st))) {
            char now[DATETIME_LEN];
            format_local(ol_unix_now(), now);
            sqlite3_bind_int64(q, 1, trial_id);
            bind_text(q, 2, ol_trial_state_name(state));
            bind_text(q, 3, now);
            st = run(s, q, "finishing a trial", err);
        }
        if (st == OL_OK && value && (q = stmt(s, Q_UPSERT_VALUE, err, &st))) {
            sqlite3_bind_int64(q, 1, trial_id);
            if (isfinite(*value))
                sqlite3_bind_double(q, 2, *value);
            else
                sqlite3_bind_null(q, 2);
            bind_text(q, 3, ol_float_type(*value));
            st = run(s, q, "recording a trial's value", err);
        }
    });
    return st;
}

static ol_status sq_heartbeat(ol_storage *base, int64_t trial_id, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 1, st, err, {
        st = require_running(s, trial_id, "record a heartbeat of", err);
        if (st == OL_OK) st = upsert_heartbeat(s, trial_id, err);
    });
    return st;
}

static ol_status sq_fail_stale(ol_storage *base, int64_t study_id, double grace_seconds, int *n_failed,
                               ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    int failed = 0;
    TXN_LOOP(s, 1, st, err, {
        failed = 0;
        st = require_study(s, study_id, err);
        int64_t *stale = NULL;
        size_t n_stale = 0;
        double now = ol_unix_now();
        sqlite3_stmt *q = st == OL_OK ? stmt(s, Q_RUNNING_WITH_HEARTBEAT, err, &st) : NULL;
        int row = 1;
        if (q) sqlite3_bind_int64(q, 1, study_id);
        while (q && st == OL_OK && (st = step(s, q, &row, "reading running trials", err)) == OL_OK && row) {
            /* The heartbeat (UTC); a trial that never beat is judged by its start (local time). */
            double last = sqlite3_column_type(q, 2) != SQLITE_NULL ? parse_datetime(sqlite3_column_text(q, 2), 1)
                                                                    : parse_datetime(sqlite3_column_text(q, 1), 0);
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
        format_local(now, when);
        for (size_t i = 0; st == OL_OK && i < n_stale; i++) {
            if (!(q = stmt(s, Q_FAIL_IF_RUNNING, err, &st))) break;
            sqlite3_bind_int64(q, 1, stale[i]);
            bind_text(q, 2, when);
            st = run(s, q, "failing a stale trial", err);
            if (st == OL_OK) failed += sqlite3_changes(s->db);
        }
        free(stale);
    });
    if (n_failed) *n_failed = st == OL_OK ? failed : 0;
    return st;
}

static ol_status sq_get_heartbeats(ol_storage *base, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                   ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    TXN_LOOP(s, 0, st, err, {
        free(*out); /* a retried transaction starts again */
        *out = NULL;
        *n = 0;
        size_t cap = 0;
        int row = 1;
        st = require_study(s, study_id, err);
        sqlite3_stmt *q = st == OL_OK ? stmt(s, Q_HEARTBEATS, err, &st) : NULL;
        if (q) sqlite3_bind_int64(q, 1, study_id);
        while (q && st == OL_OK && (st = step(s, q, &row, "reading heartbeats", err)) == OL_OK && row) {
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
            (*out)[(*n)++].heartbeat = parse_datetime(sqlite3_column_text(q, 1), 1); /* heartbeats are UTC */
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

/* ------------------------------------------------------------ get_trials */

/* Does column `col` hold a number (not NULL, not text such as 'NaN')? */
static int has_number(sqlite3_stmt *q, int col) {
    int type = sqlite3_column_type(q, col);
    return type == SQLITE_FLOAT || type == SQLITE_INTEGER;
}

/*
 * Parse "YYYY-MM-DD HH:MM:SS[.ffffff]" (local or UTC) without calling mktime
 * for every row: mktime re-reads the time zone (a stat of /etc/localtime)
 * each call, which took most of the time of reading 10,000 trials. The
 * seconds since the epoch of each minute's start are cached; a zone's offset
 * only changes at a minute boundary, so the result is mktime's.
 */
typedef struct {
    int key_valid;
    int y, mo, d, h, mi, utc;
    double base;
} dt_cache;

/* Digits text[0..n) as a number, or -1 if one is not a digit. */
static int digits(const unsigned char *text, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9') return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

static double parse_datetime_cached(const unsigned char *text, int utc, dt_cache *c) {
    if (!text) return 0;
    int y, mo, d, h, mi;
    double sec;
    /* the form Optuna writes, "YYYY-MM-DD HH:MM:SS[.ffffff]", without sscanf (a third of the read time) */
    if (strlen((const char *)text) >= 19 && text[4] == '-' && text[7] == '-' && (text[10] == ' ' || text[10] == 'T') &&
        text[13] == ':' && text[16] == ':' && (y = digits(text, 4)) >= 0 && (mo = digits(text + 5, 2)) >= 0 &&
        (d = digits(text + 8, 2)) >= 0 && (h = digits(text + 11, 2)) >= 0 && (mi = digits(text + 14, 2)) >= 0 &&
        digits(text + 17, 2) >= 0) {
        sec = strtod((const char *)text + 17, NULL);
    } else if (sscanf((const char *)text, "%d-%d-%d%*[ T]%d:%d:%lf", &y, &mo, &d, &h, &mi, &sec) != 6) {
        return 0;
    }
    if (!(c->key_valid && c->y == y && c->mo == mo && c->d == d && c->h == h && c->mi == mi && c->utc == utc)) {
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_isdst = -1;
        time_t base = utc ? timegm(&tm) : mktime(&tm);
        if (base == (time_t)-1) return 0;
        *c = (dt_cache){1, y, mo, d, h, mi, utc, (double)base};
    }
    return c->base + sec;
}

/* Bind the "which trials" parameters ?1 study, ?2 after, ?3 JSON array of ids. */
static void bind_filter(sqlite3_stmt *q, int64_t study_id, int64_t after, const char *ids_json) {
    sqlite3_bind_int64(q, 1, study_id);
    if (sqlite3_bind_parameter_count(q) < 3) return; /* a whole-study query */
    sqlite3_bind_int64(q, 2, after);
    sqlite3_bind_text(q, 3, ids_json, -1, SQLITE_STATIC);
}

/* Read the trials of a study selected by (after, ids_json); runs inside a read transaction. */
static ol_status read_trials(sq_storage *s, int64_t study_id, int64_t after, const char *ids_json,
                             ol_trial_rec **out, size_t *n_out, size_t *n_total, ol_error *err) {
    ol_trial_rec *trials = NULL;
    size_t n = 0, cap = 0;
    ol_trial_index *ids = NULL;
    int row = 1;
    dt_cache start_cache = {0}, end_cache = {0};
    int part = after > 0 || strcmp(ids_json, "[]"); /* part of the study: the *_SINCE queries */
    ol_status st = require_study(s, study_id, err);
    int total = 0;
    if (st == OL_OK) st = count_trials(s, Q_COUNT_ALL, study_id, &total, err);
    *n_total = (size_t)total;
    sqlite3_stmt *q = st == OL_OK ? stmt(s, Q_TRIALS, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = step(s, q, &row, "reading trials", err)) == OL_OK && row) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            ol_trial_rec *grown = realloc(trials, ncap * sizeof *grown);
            if (!grown) {
                st = ol_fail(err, OL_ENOMEM, "out of memory reading trials");
                break;
            }
            trials = grown;
            cap = ncap;
        }
        ol_trial_rec *t = &trials[n++];
        memset(t, 0, sizeof *t);
        t->trial_id = sqlite3_column_int64(q, 0);
        /* a number stored as text or real reads as its integer part: refuse it as NULL would be */
        st = ol_number_decode(sqlite3_column_type(q, 1) != SQLITE_INTEGER, sqlite3_column_int64(q, 1), &t->number,
                              err, "'%s': trial_id %lld", s->path, (long long)t->trial_id);
        const unsigned char *state = sqlite3_column_text(q, 2);
        if (st == OL_OK && !ol_trial_state_parse((const char *)state, &t->state))
            st = ol_fail(err, OL_EFORMAT, "trial %lld in '%s' has unknown state '%s'", (long long)t->trial_id,
                         s->path, state ? (const char *)state : "(null)");
        t->datetime_start = parse_datetime_cached(sqlite3_column_text(q, 3), 0, &start_cache);
        t->datetime_complete = parse_datetime_cached(sqlite3_column_text(q, 4), 0, &end_cache);
    }
    if (q) sqlite3_reset(q);
    if (st == OL_OK && n) {
        ids = ol_trial_index_build(trials, n);
        if (!ids) st = ol_fail(err, OL_ENOMEM, "out of memory reading trials");
    }
    /* values */
    q = st == OL_OK && n ? stmt(s, part ? Q_VALUES_SINCE : Q_VALUES, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = step(s, q, &row, "reading trial values", err)) == OL_OK && row) {
        ol_trial_rec *t = ol_trial_index_find(trials, ids, n, sqlite3_column_int64(q, 0));
        if (!t) continue;
        st = ol_float_decode((const char *)sqlite3_column_text(q, 2), has_number(q, 1), sqlite3_column_double(q, 1),
                             0, &t->value, err, "'%s': the value of trial_id %lld", s->path, (long long)t->trial_id);
        t->has_value = st == OL_OK;
    }
    if (q) sqlite3_reset(q);
    /* params */
    q = st == OL_OK && n ? stmt(s, part ? Q_PARAMS_SINCE : Q_PARAMS, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = step(s, q, &row, "reading trial params", err)) == OL_OK && row) {
        ol_trial_rec *t = ol_trial_index_find(trials, ids, n, sqlite3_column_int64(q, 0));
        if (!t) continue;
        const unsigned char *pname = sqlite3_column_text(q, 1);
        if (!pname || !has_number(q, 2) || sqlite3_column_type(q, 3) == SQLITE_NULL ||
            !isfinite(sqlite3_column_double(q, 2))) {
            st = ol_fail(err, OL_EFORMAT, "'%s': parameter '%.200s' of trial_id %lld has %s", s->path,
                         pname ? (const char *)pname : "(null)", (long long)t->trial_id,
                         !pname ? "no name (NULL)"
                         : sqlite3_column_type(q, 3) == SQLITE_NULL ? "no distribution (NULL)"
                                                                     : "no numeric value (NULL, text or not finite)");
            break;
        }
        ol_param_rec *grown = realloc(t->params, (t->n_params + 1) * sizeof *grown);
        if (!grown) {
            st = ol_fail(err, OL_ENOMEM, "out of memory reading params");
            break;
        }
        t->params = grown;
        ol_param_rec *p = &grown[t->n_params++];
        p->name = column_dup(q, 1);
        p->value = sqlite3_column_double(q, 2);
        p->distribution_json = column_dup(q, 3);
        if (!p->name || !p->distribution_json) st = ol_fail(err, OL_ENOMEM, "out of memory reading params");
    }
    if (q) sqlite3_reset(q);
    /* intermediate values, by step */
    q = st == OL_OK && n ? stmt(s, part ? Q_INTERMEDIATE_SINCE : Q_INTERMEDIATE, err, &st) : NULL;
    if (q) bind_filter(q, study_id, after, ids_json);
    while (q && st == OL_OK && (st = step(s, q, &row, "reading intermediate values", err)) == OL_OK && row) {
        ol_trial_rec *t = ol_trial_index_find(trials, ids, n, sqlite3_column_int64(q, 0));
        if (!t) continue;
        ol_intermediate_rec *grown = realloc(t->intermediate, (t->n_intermediate + 1) * sizeof *grown);
        if (!grown) {
            st = ol_fail(err, OL_ENOMEM, "out of memory reading intermediate values");
            break;
        }
        t->intermediate = grown;
        grown[t->n_intermediate].step = sqlite3_column_int64(q, 1);
        st = ol_float_decode((const char *)sqlite3_column_text(q, 3), has_number(q, 2), sqlite3_column_double(q, 2),
                             1, &grown[t->n_intermediate].value, err,
                             "'%s': intermediate value of trial_id %lld at step %lld", s->path, (long long)t->trial_id,
                             (long long)grown[t->n_intermediate].step);
        t->n_intermediate++;
    }
    if (q) sqlite3_reset(q);
    /* attributes */
    for (int system = 0; system < 2; system++) {
        q = st == OL_OK && n ? stmt(s, system ? (part ? Q_SYSTEM_ATTRS_SINCE : Q_SYSTEM_ATTRS) : (part ? Q_USER_ATTRS_SINCE : Q_USER_ATTRS), err, &st) : NULL;
        if (q) bind_filter(q, study_id, after, ids_json);
        while (q && st == OL_OK && (st = step(s, q, &row, "reading trial attributes", err)) == OL_OK && row) {
            ol_trial_rec *t = ol_trial_index_find(trials, ids, n, sqlite3_column_int64(q, 0));
            if (!t) continue;
            if (system)
                st = append_attr(&t->system_attrs, &t->n_system_attrs, q, 1, err);
            else
                st = append_attr(&t->user_attrs, &t->n_user_attrs, q, 1, err);
        }
        if (q) sqlite3_reset(q);
    }
    free(ids);
    if (st != OL_OK) {
        ol_trials_free(trials, n);
        return st;
    }
    *out = trials;
    *n_out = n;
    return OL_OK;
}

/* The ids as a JSON array "[1,2,3]" (malloc'd), for json_each(). */
static char *ids_to_json(const int64_t *ids, size_t n) {
    char *j = malloc(3 + n * 21);
    if (!j) return NULL;
    size_t o = 0;
    j[o++] = '[';
    for (size_t i = 0; i < n; i++) o += (size_t)sprintf(j + o, "%s%lld", i ? "," : "", (long long)ids[i]);
    j[o++] = ']';
    j[o] = 0;
    return j;
}

static ol_status sq_get_trials(ol_storage *base, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                               ol_trial_rec **out, size_t *n_out, size_t *n_total, ol_error *err) {
    sq_storage *s = sq(base);
    ol_status st;
    char *ids_json = ids_to_json(ids, n_ids);
    if (!ids_json) return ol_fail(err, OL_ENOMEM, "out of memory reading trials");
    /* One read transaction: a consistent snapshot even while other workers write. */
    TXN_LOOP(s, 0, st, err, {
        ol_trials_free(*out, *n_out);
        *out = NULL;
        *n_out = 0;
        st = read_trials(s, study_id, after, ids_json, out, n_out, n_total, err);
    });
    free(ids_json);
    return st;
}

/* --------------------------------------------------------- open / close */

static void sq_close(ol_storage *base) {
    sq_storage *s = sq(base);
    for (int i = 0; i < Q_COUNT; i++) sqlite3_finalize(s->stmt[i]);
    if (s->db) sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static const ol_storage_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .create_study = sq_create_study,
    .find_study = sq_find_study,
    .list_studies = sq_list_studies,
    .set_study_attr = sq_set_study_attr,
    .get_study_attrs = sq_get_study_attrs,
    .create_trial = sq_create_trial,
    .set_param = sq_set_param,
    .set_intermediate = sq_set_intermediate,
    .set_trial_attr = sq_set_trial_attr,
    .finish_trial = sq_finish_trial,
    .heartbeat = sq_heartbeat,
    .fail_stale = sq_fail_stale,
    .get_heartbeats = sq_get_heartbeats,
    .get_trials = sq_get_trials,
};

/* Run one SQL text without parameters (schema creation and pragmas only). */
static ol_status exec_fixed(sq_storage *s, const char *sql, const char *doing, ol_error *err) {
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc != SQLITE_OK) return sq_fail(s, rc, err, doing);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? OL_OK : sq_fail(s, rc, err, doing);
}

/* Describe the first bytes of a non-SQLite file for the error message. */
static void describe_bytes(const unsigned char *b, size_t n, char *out, size_t cap) {
    int text = n > 0;
    for (size_t i = 0; i < n; i++)
        if (!((b[i] >= 32 && b[i] < 127) || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) text = 0;
    size_t k = snprintf(out, cap, text ? "text \"" : "bytes");
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        if (text)
            out[k++] = b[i] < 32 ? ' ' : (char)b[i];
        else if (i < 8)
            k += snprintf(out + k, cap - k, " %02x", b[i]);
    }
    if (text && k + 2 < cap) out[k++] = '"';
    out[k < cap ? k : cap - 1] = 0;
}

static ol_status schema_read_failure(sq_storage *s, int rc, ol_error *err) {
    if ((rc & 0xff) == SQLITE_NOTADB)
        return ol_fail(err, OL_EFORMAT, "'%s' is not a readable SQLite database (%s)", s->path, sqlite3_errmsg(s->db));
    if ((rc & 0xff) == SQLITE_CORRUPT)
        return ol_fail(err, OL_EFORMAT, "'%s' is corrupt (%s)", s->path, sqlite3_errmsg(s->db));
    return sq_fail(s, rc, err, "reading the schema");
}

/*
 * Inside a read transaction: is the file an Optuna storage of our version?
 * *empty is set when it holds no tables at all (then we may create the schema).
 */
static ol_status inspect_schema(sq_storage *s, int *empty, ol_error *err) {
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1, &q,
                                NULL);
    if (rc != SQLITE_OK) {
        return schema_read_failure(s, rc, err);
    }
    char found[512] = "";
    size_t found_len = 0;
    int n_tables = 0, have[N_REQUIRED_TABLES] = {0};
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 0);
        if (!name) continue;
        n_tables++;
        for (size_t i = 0; i < N_REQUIRED_TABLES; i++)
            if (!strcmp(name, required_tables[i])) have[i] = 1;
        if (found_len + strlen(name) + 8 < sizeof found)
            found_len += snprintf(found + found_len, sizeof found - found_len, "%s%s", found_len ? ", " : "", name);
        else if (found_len + 5 < sizeof found && !strstr(found, "..."))
            found_len += snprintf(found + found_len, sizeof found - found_len, ", ...");
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        return schema_read_failure(s, rc, err);
    }
    *empty = n_tables == 0;
    if (*empty) return OL_OK;
    if (!have[N_REQUIRED_TABLES - 1]) /* alembic_version */
        return ol_fail(err, OL_EFORMAT,
                       "'%s' is an SQLite database but not an Optuna storage (no alembic_version table; "
                       "found tables: %s)",
                       s->path, found);
    /* the schema revision */
    char version[64] = "";
    int n_versions = 0;
    rc = sqlite3_prepare_v2(s->db, "SELECT version_num FROM alembic_version", -1, &q, NULL);
    if (rc != SQLITE_OK) return sq_fail(s, rc, err, "reading the schema version");
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(q, 0);
        snprintf(version, sizeof version, "%s", v ? v : "(null)");
        n_versions++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) return sq_fail(s, rc, err, "reading the schema version");
    if (n_versions != 1)
        return ol_fail(err, OL_EFORMAT, "'%s' has %d alembic_version rows (an Optuna storage has exactly one)",
                       s->path, n_versions);
    if (strcmp(version, OPTUNA_ALEMBIC_VERSION))
        return ol_fail(err, OL_EFORMAT,
                       "'%s' is an Optuna storage of schema revision '%s'; optlab reads revision '%s' "
                       "(Optuna 3.0-3.1)%s",
                       s->path, version, OPTUNA_ALEMBIC_VERSION,
                       strcmp(version, OPTUNA_ALEMBIC_VERSION) < 0
                           ? " - upgrade it with `optuna storage upgrade --storage sqlite:///FILE`"
                           : "");
    for (size_t i = 0; i < N_REQUIRED_TABLES; i++)
        if (!have[i])
            return ol_fail(err, OL_EFORMAT, "'%s' claims Optuna schema '%s' but has no table '%s' (found: %s)",
                           s->path, version, required_tables[i], found);
    /* A damaged page elsewhere would surface mid-study; find it now, before anything is written. */
    rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &q, NULL);
    if (rc != SQLITE_OK) return sq_fail(s, rc, err, "checking the file");
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        const char *verdict = (const char *)sqlite3_column_text(q, 0);
        if (!verdict || strcmp(verdict, "ok")) {
            ol_status st = ol_fail(err, OL_EFORMAT, "'%s' is corrupt: %s", s->path, verdict ? verdict : "?");
            sqlite3_finalize(q);
            return st;
        }
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW) {
        if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
            return ol_fail(err, OL_EFORMAT, "'%s' is corrupt: %s", s->path, sqlite3_errmsg(s->db));
        return sq_fail(s, rc, err, "checking the file");
    }
    return OL_OK;
}

/* Inside a write transaction on an empty database: Optuna 3.1's tables and version rows. */
static ol_status create_schema(sq_storage *s, ol_error *err) {
    ol_status st = OL_OK;
    for (size_t i = 0; st == OL_OK && i < sizeof schema_sql / sizeof schema_sql[0]; i++)
        st = exec_fixed(s, schema_sql[i], "creating the Optuna schema", err);
    if (st == OL_OK)
        st = exec_fixed(s,
                        "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, 12, "
                        "'" OPTUNA_LIBRARY_VERSION "')",
                        "writing version_info", err);
    if (st == OL_OK)
        st = exec_fixed(s, "INSERT INTO alembic_version (version_num) VALUES ('" OPTUNA_ALEMBIC_VERSION "')",
                        "writing alembic_version", err);
    return st;
}

/* Validate (or, for an empty file, create) the schema, retrying while another process holds a lock.
 * With `existing_only`, an empty file is OL_ENOTFOUND and nothing is written. */
static ol_status prepare_schema(sq_storage *s, int existing_only, ol_error *err) {
    sq_retry retry = {ol_now(), 0};
    for (;;) {
        int empty = 0;
        ol_status st;
        /* First look without taking the write lock: most opens find a ready storage. */
        st = exec_fixed(s, "BEGIN", "starting a read", err);
        if (st == OL_OK) st = inspect_schema(s, &empty, err);
        if (!sqlite3_get_autocommit(s->db)) exec_fixed(s, "ROLLBACK", "rolling back", NULL);
        if (st == OL_OK && empty && existing_only)
            return ol_fail(err, OL_ENOTFOUND, "no storage at '%s' (the file holds no Optuna storage)", s->path);
        if (st == OL_OK && empty) {
            if (sqlite3_db_readonly(s->db, "main"))
                return ol_fail(err, OL_EIO, "cannot create the Optuna schema in '%s': the file is read-only",
                               s->path);
            st = exec_fixed(s, "BEGIN IMMEDIATE", "starting to create the schema", err);
            if (st == OL_OK) st = inspect_schema(s, &empty, err); /* another process may have won */
            if (st == OL_OK && empty) st = create_schema(s, err);
            if (st == OL_OK) {
                st = exec_fixed(s, "COMMIT", "committing the schema", err);
            }
            if (!sqlite3_get_autocommit(s->db)) exec_fixed(s, "ROLLBACK", "rolling back", NULL);
        }
        if (st != OL_EBUSY || !retry_wait(s, &retry)) return st;
    }
}

/* WAL lets readers and the one writer work at once; switching needs a moment alone with the file. */
static ol_status enable_wal(sq_storage *s, ol_error *err) {
    if (sqlite3_db_readonly(s->db, "main")) return OL_OK;
    sq_retry retry = {ol_now(), 0};
    for (;;) {
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &q, NULL);
        if (rc != SQLITE_OK) return sq_fail(s, rc, err, "switching to WAL mode");
        rc = sqlite3_step(q);
        char mode[16] = "";
        if (rc == SQLITE_ROW) snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(q, 0));
        sqlite3_finalize(q);
        if (rc == SQLITE_ROW) {
            if (strcmp(mode, "wal"))
                return ol_fail(err, OL_ESTORAGE, "SQLite storage '%s' refused WAL mode (journal mode is '%s')",
                               s->path, mode);
            return OL_OK;
        }
        if (!is_busy(rc)) return sq_fail(s, rc, err, "switching to WAL mode");
        if (!retry_wait(s, &retry)) return sq_fail(s, rc, err, "switching to WAL mode");
    }
}

/*
 * Look at the file's header ourselves (SQLite would only notice at the first
 * query), through SQLite's own file handle. Opening the file a second time and
 * closing it would drop the POSIX locks that every other connection of this
 * process holds on it (the process's other threads: `optlab serve`'s request
 * threads, a worker's heartbeat thread); another process could then checkpoint
 * under their reads, which fail with "database disk image is malformed".
 */
static ol_status header_ok(sq_storage *s, ol_error *err) {
    sqlite3_file *f = NULL;
    sqlite3_int64 size = 0;
    if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK || !f || !f->pMethods ||
        f->pMethods->xFileSize(f, &size) != SQLITE_OK)
        return ol_fail(err, OL_EIO, "cannot read SQLite storage '%s'", s->path);
    unsigned char head[16] = {0};
    size_t got = size < (sqlite3_int64)sizeof head ? (size_t)size : sizeof head;
    if (got && f->pMethods->xRead(f, head, (int)got, 0) != SQLITE_OK)
        return ol_fail(err, OL_EIO, "cannot read SQLite storage '%s'", s->path);
    if (got < sizeof head || memcmp(head, "SQLite format 3", 16)) {
        char what[96];
        describe_bytes(head, got, what, sizeof what);
        return ol_fail(err, OL_EFORMAT, "'%s' is not an SQLite database (it starts with %s)", s->path, what);
    }
    return OL_OK;
}

/* The directory part of a path ("." when it has none). */
static void dir_of(const char *path, char *out, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == path)
        snprintf(out, cap, "/");
    else
        snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

ol_status ol_storage_open_sqlite(ol_storage **out, const char *url, const char *path, int flags, ol_error *err) {
    *out = NULL;
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    int existing_only = (flags & OL_STORAGE_OPEN_EXISTING) != 0;
    if (exists && S_ISDIR(sb.st_mode))
        return ol_fail(err, OL_EIO, "SQLite storage '%s' is a directory, not a file", path);
    if (!exists && existing_only)
        return ol_fail(err, OL_ENOTFOUND, "no storage at '%s': the file does not exist", path);
    if (!exists) {
        char dir[4096];
        dir_of(path, dir, sizeof dir);
        struct stat db;
        if (stat(dir, &db) != 0)
            return ol_fail(err, OL_EIO, "cannot create SQLite storage '%s': directory '%s': %s", path, dir,
                           strerror(errno));
        if (!S_ISDIR(db.st_mode))
            return ol_fail(err, OL_EIO, "cannot create SQLite storage '%s': '%s' is not a directory", path, dir);
        if (access(dir, W_OK) != 0)
            return ol_fail(err, OL_EIO, "cannot create SQLite storage '%s': directory '%s' is not writable (%s)",
                           path, dir, strerror(errno));
    }
    /* the header is looked at once SQLite has the file open (header_ok below) */
    int check_header = exists && sb.st_size > 0;

    sq_storage *s = calloc(1, sizeof *s);
    if (!s) return ol_fail(err, OL_ENOMEM, "out of memory opening '%s'", path);
    s->base.ops = &sqlite_ops;
    s->path = ol_strdup(path);
    s->jitter = (unsigned)getpid() * 2654435761u;
    if (!s->path) {
        free(s);
        return ol_fail(err, OL_ENOMEM, "out of memory opening '%s'", path);
    }
    int open_flags = SQLITE_OPEN_READWRITE | (existing_only ? 0 : SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &s->db, open_flags, NULL);
    ol_status st = OL_OK;
    if (rc != SQLITE_OK) {
        st = ol_fail(err, (rc & 0xff) == SQLITE_NOMEM ? OL_ENOMEM : OL_EIO, "cannot open SQLite storage '%s': %s",
                     path, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    }
    if (st == OL_OK && check_header) st = header_ok(s, err);
    if (st == OL_OK) {
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
        /* reading a large study through mmap saves a read() per page */
        exec_fixed(s, "PRAGMA mmap_size = 268435456", "setting mmap_size", NULL);
        st = prepare_schema(s, existing_only, err);
    }
    if (st == OL_OK) st = enable_wal(s, err);
    if (st != OL_OK) {
        sq_close(&s->base);
        return st;
    }
    (void)url; /* storage.c records the URL */
    *out = &s->base;
    return OL_OK;
}
