/*
 * postgres.c — the PostgreSQL storage backend (libpq), for many workers on
 * many machines sharing one study. It writes exactly the schema Debian's
 * Optuna 3.1 creates on PostgreSQL (alembic revision v3.0.0.d, version_info
 * schema 12), so optuna.load_study(storage="postgresql://...") reads it.
 *
 * How it keeps the study right with many writers:
 *  - create_trial runs in one transaction that first locks the study's row
 *    (SELECT ... FOR UPDATE on studies), then — in a new statement, so its
 *    READ COMMITTED snapshot sees every trial committed before the lock was
 *    granted — counts the study's trials and inserts the next number. Two
 *    workers can therefore never issue the same number or overshoot the budget.
 *  - finish_trial, fail_stale, set_param and set_intermediate only act on a
 *    RUNNING trial, in single conditional statements: a trial failed by one
 *    worker cannot be completed by another, or the other way round.
 *  - Timestamps are the server's clock in UTC (now() AT TIME ZONE 'UTC'), so
 *    heartbeats from machines with skewed clocks or other PGTZ settings compare.
 *
 * Connection faults. Opening retries a refused or dropped connection with
 * exponential backoff (0.25 s, 0.5 s, 1 s, ... within OPTLAB_PG_RETRY_SECONDS,
 * default 15 s) and gives up at once on errors that retrying cannot fix (bad
 * password, unknown role or database). A statement that loses the connection
 * (server restart) reconnects with the same backoff and runs the operation
 * again. Rerunning is safe because every write is idempotent or detects its
 * own earlier success:
 *  - params, intermediate values, attributes and heartbeats are upserts;
 *  - finish_trial on a retry accepts "already in the requested state with the
 *    same value" as its own earlier commit whose reply was lost;
 *  - create_trial and create_study write a claim token (HOST:PID:time:seq) as
 *    a system attribute "optlab:claim" in the same transaction. After a lost
 *    connection the retry first makes sure the old server process is gone
 *    (pg_terminate_backend on its pid, which a role may do to its own
 *    sessions), then looks the token up: found means the earlier attempt
 *    committed and its trial is returned; absent means it certainly did not
 *    commit, and only then is a new trial created. No number is issued twice
 *    and no trial is recorded twice.
 *
 * Messages name the server as user@host:port/db; a password (in the URL, or
 * anywhere libpq might echo it) is never printed, and ol_storage_url() returns
 * the URL with the password replaced by "***". Every statement is
 * parameterised (PQexecParams); nothing is spliced into SQL text.
 */
#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

#define PG_SCHEMA_ALEMBIC "v3.0.0.d" /* Optuna 3.0/3.1's alembic head */
#define PG_SCHEMA_VERSION 12         /* optuna.storages._rdb.models.SCHEMA_VERSION */
#define PG_LIBRARY_VERSION "3.1.0"
#define PG_CLAIM_KEY "optlab:claim"
#define PG_MAX_OP_RETRIES 4 /* reconnect cycles for one operation */

typedef struct {
    ol_storage base;
    PGconn *conn;
    char *conninfo;     /* the URL as given (may hold a password): for reconnecting only */
    char *password;     /* to scrub from messages; NULL if none in the URL */
    char where[320];    /* "user@host:port/db" for messages */
    double retry_budget; /* seconds of reconnect attempts */
    int backend_pid;    /* server process of the current connection */
    int prev_pid;       /* ... and of the connection lost before it */
    int lost;           /* the last statement lost the connection */
    int retrying;       /* this attempt follows a lost connection */
    long statements;    /* round trips issued (docs/scaling.md) */
    unsigned long claim_seq;
    char claim_base[200];
} pg_storage;

static const ol_storage_ops pg_ops;

/* ---- messages ------------------------------------------------------------ */

/* Copy libpq's message, trimmed to its first meaningful lines and with the
 * password (if libpq ever echoed it) replaced by ***. */
static void pg_clean_msg(const pg_storage *pg, const char *in, char *out, size_t cap) {
    if (!in) in = "";
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 4 < cap;) {
        if (pg->password && *pg->password && !strncmp(in + i, pg->password, strlen(pg->password))) {
            memcpy(out + o, "***", 3);
            o += 3;
            i += strlen(pg->password);
            continue;
        }
        char c = in[i++];
        if (c == '\n' || c == '\t') c = ' ';
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == ' ') o--;
    out[o] = 0;
}

static ol_status pg_fail(pg_storage *pg, ol_error *err, ol_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ol_status pg_fail(pg_storage *pg, ol_error *err, ol_status st, const char *fmt, ...) {
    char body[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return ol_fail(err, st, "PostgreSQL %s: %s", pg->where, body);
}

/* "postgresql://user:pw@host/db?password=pw" -> same with pw replaced by *** */
static char *redact_url(const char *url) {
    size_t n = strlen(url);
    char *out = malloc(n + 16);
    if (!out) return NULL;
    const char *auth = strstr(url, "://");
    auth = auth ? auth + 3 : url;
    const char *auth_end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < auth_end; p++)
        if (*p == '@') at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    size_t o = 0;
    if (colon) {
        memcpy(out, url, (size_t)(colon + 1 - url));
        o = (size_t)(colon + 1 - url);
        memcpy(out + o, "***", 3);
        o += 3;
        url = at;
    }
    /* query parameter password=... */
    const char *q = strstr(url, "password=");
    if (q && (q[-1] == '?' || q[-1] == '&')) {
        size_t head = (size_t)(q + 9 - url);
        memcpy(out + o, url, head);
        o += head;
        memcpy(out + o, "***", 3);
        o += 3;
        url = q + 9 + strcspn(q + 9, "&");
    }
    strcpy(out + o, url);
    return out;
}

/* ---- statements ---------------------------------------------------------- */

/*
 * Run one parameterised statement. Returns the result (caller PQclears) when
 * its status is `want`; otherwise fills err, sets pg->lost if the connection
 * is gone, and returns NULL. `sqlstate` (optional, 6 bytes) receives the
 * error's SQLSTATE.
 */
static PGresult *pg_exec(pg_storage *pg, const char *what, const char *sql, int nparams,
                         const char *const *params, ExecStatusType want, char *sqlstate, ol_error *err) {
    if (sqlstate) sqlstate[0] = 0;
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        pg->lost = 1;
        pg_fail(pg, err, OL_ESTORAGE, "%s: not connected", what);
        return NULL;
    }
    pg->statements++;
    PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (res && PQresultStatus(res) == want) return res;
    char msg[700];
    pg_clean_msg(pg, res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn), msg, sizeof msg);
    if (!*msg) pg_clean_msg(pg, PQerrorMessage(pg->conn), msg, sizeof msg);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (sqlstate && state) snprintf(sqlstate, 6, "%s", state);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        pg->lost = 1;
        pg_fail(pg, err, OL_ESTORAGE, "%s: connection lost: %s", what, msg);
    } else {
        pg_fail(pg, err, OL_ESTORAGE, "%s: %s", what, *msg ? msg : "unexpected result");
    }
    PQclear(res);
    return NULL;
}

/* A statement whose result rows don't matter. */
static ol_status pg_cmd(pg_storage *pg, const char *what, const char *sql, int nparams, const char *const *params,
                        ol_error *err) {
    PGresult *r = pg_exec(pg, what, sql, nparams, params, PGRES_COMMAND_OK, NULL, err);
    if (!r) return err ? err->status : OL_ESTORAGE;
    PQclear(r);
    return OL_OK;
}

/* A query whose rows only matter by number: *rows receives how many it returned. */
static ol_status pg_count(pg_storage *pg, const char *what, const char *sql, int nparams,
                          const char *const *params, int *rows, ol_error *err) {
    PGresult *r = pg_exec(pg, what, sql, nparams, params, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    *rows = PQntuples(r);
    PQclear(r);
    return OL_OK;
}

/* OL_OK if the study (id as text) exists, else OL_ENOTFOUND naming it. */
static ol_status pg_require_study(pg_storage *pg, const char *what, const char *id, ol_error *err) {
    const char *p[] = {id};
    int found = 0;
    ol_status st = pg_count(pg, what, "SELECT 1 FROM studies WHERE study_id = $1::int", 1, p, &found, err);
    if (st) return st;
    return found ? OL_OK : pg_fail(pg, err, OL_ENOTFOUND, "no study with id %s", id);
}

/* Upsert one attribute with `sql` (parameters: owner id, key, value_json).
 * A foreign-key violation means the owner is missing: OL_ENOTFOUND
 * "no <owner> with id N". */
static ol_status pg_upsert_attr(pg_storage *pg, const char *what, const char *sql, const char *owner,
                                const char *id, const char *key, const char *value_json, ol_error *err) {
    char state[6];
    const char *p[] = {id, key, value_json};
    PGresult *r = pg_exec(pg, what, sql, 3, p, PGRES_COMMAND_OK, state, err);
    if (!r) {
        if (!strcmp(state, "23503")) return pg_fail(pg, err, OL_ENOTFOUND, "no %s with id %s", owner, id);
        return err->status;
    }
    PQclear(r);
    return OL_OK;
}

static void pg_rollback(pg_storage *pg) {
    if (pg->lost || !pg->conn) return;
    PGresult *r = PQexec(pg->conn, "ROLLBACK");
    pg->statements++;
    PQclear(r);
    if (PQstatus(pg->conn) != CONNECTION_OK) pg->lost = 1;
}

static void fmt_i64(char *buf, int64_t v) { snprintf(buf, 24, "%lld", (long long)v); }
static void fmt_double(char *buf, double v) {
    if (isnan(v)) strcpy(buf, "NaN");
    else if (isinf(v)) strcpy(buf, v > 0 ? "Infinity" : "-Infinity");
    else snprintf(buf, 32, "%.17g", v);
}
static double parse_double(const char *s) { return strtod(s, NULL); }

/* ---- connecting ---------------------------------------------------------- */

static double pg_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pg_sleep(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* Errors where the server answered and said no: retrying cannot help. */
static int pg_permanent_failure(const char *msg) {
    static const char *const transient[] = {"starting up", "shutting down", "recovery mode", "too many clients",
                                            "terminating connection", "out of memory",
                                            /* after a crash, while replaying WAL */
                                            "not yet accepting connections",
                                            /* max_connections minus the superuser slots reached */
                                            "remaining connection slots are reserved"};
    static const char *const permanent[] = {"authentication failed", "no password supplied", "does not exist",
                                            "no pg_hba.conf entry", "permission denied", "invalid URI",
                                            "invalid connection option", "missing \"=\"", "invalid port",
                                            "invalid integer value"};
    for (size_t i = 0; i < sizeof permanent / sizeof *permanent; i++)
        if (strstr(msg, permanent[i])) return 1;
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        if (strstr(msg, transient[i])) return 0;
    return strstr(msg, "FATAL") != NULL;
}

static void pg_describe(pg_storage *pg) {
    const char *user = pg->conn ? PQuser(pg->conn) : NULL;
    const char *host = pg->conn ? PQhost(pg->conn) : NULL;
    const char *port = pg->conn ? PQport(pg->conn) : NULL;
    const char *db = pg->conn ? PQdb(pg->conn) : NULL;
    if (!user || !*user) return; /* keep the previous description (or the URL's) */
    snprintf(pg->where, sizeof pg->where, "%s@%s:%s/%s", user, host && *host ? host : "localhost",
             port && *port ? port : "5432", db && *db ? db : user);
}

static void pg_quiet_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* Connect, retrying transient failures with backoff within pg->retry_budget. */
static ol_status pg_connect(pg_storage *pg, ol_error *err) {
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {"5", "optlab", pg->conninfo, NULL};
    double t0 = pg_clock(), delay = 0.25;
    int attempts = 0;
    char msg[700] = "";
    for (;;) {
        if (pg->conn) PQfinish(pg->conn);
        pg->conn = PQconnectdbParams(keys, vals, 1);
        attempts++;
        if (!pg->conn) return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory connecting");
        pg_describe(pg);
        if (PQstatus(pg->conn) == CONNECTION_OK) break;
        pg_clean_msg(pg, PQerrorMessage(pg->conn), msg, sizeof msg);
        if (pg_permanent_failure(msg)) {
            if (strstr(msg, "authentication failed") || strstr(msg, "no password supplied"))
                return pg_fail(pg, err, OL_ESTORAGE,
                               "the server refused user '%s' (bad or missing password; give it in the URL, "
                               "PGPASSWORD or ~/.pgpass): %s",
                               PQuser(pg->conn) ? PQuser(pg->conn) : "?", msg);
            return pg_fail(pg, err, OL_ESTORAGE, "cannot connect: %s", msg);
        }
        double spent = pg_clock() - t0;
        if (spent + delay > pg->retry_budget) {
            /* the server answered "full": asking whether it runs would mislead */
            int full = strstr(msg, "too many clients") || strstr(msg, "remaining connection slots");
            return pg_fail(pg, err, OL_ESTORAGE, "cannot connect after %d attempt%s over %.1f s: %s (%s)", attempts,
                           attempts == 1 ? "" : "s", spent, msg,
                           full ? "the server is full: raise its max_connections, use fewer workers or a pooler, "
                                  "or wait longer with OPTLAB_PG_RETRY_SECONDS"
                                : "is the server running and listening there?");
        }
        pg_sleep(delay);
        delay *= 2;
    }
    pg->backend_pid = PQbackendPID(pg->conn);
    pg->lost = 0;
    /* Server notices ("there is no transaction in progress") must not reach stderr. */
    PQsetNoticeProcessor(pg->conn, pg_quiet_notice, NULL);
    return OL_OK;
}

/* Reconnect after a lost connection, remembering which server process the
 * lost connection had (see pg_settle_old_backend). */
static ol_status pg_reconnect(pg_storage *pg, ol_error *err) {
    pg->prev_pid = pg->backend_pid;
    pg->backend_pid = 0;
    return pg_connect(pg, err);
}

/*
 * Run `once` until it succeeds, fails for a reason other than a lost
 * connection, or reconnecting fails. pg->retrying tells the operation that an
 * earlier attempt may have committed.
 */
#define PG_WITH_RETRY(pg, err, call)                                                                                 \
    do {                                                                                                           \
        ol_error local_err_;                                                                                       \
        if (!(err)) (err) = &local_err_;                                                                           \
        (pg)->retrying = 0;                                                                                        \
        for (int attempt_ = 0;; attempt_++) {                                                                      \
            (pg)->lost = 0;                                                                                        \
            ol_status s_ = (call);                                                                                 \
            if (s_ == OL_OK || !(pg)->lost) return s_;                                                             \
            if (attempt_ >= PG_MAX_OP_RETRIES) return s_;                                                          \
            ol_error keep_ = *(err);                                                                               \
            if (pg_reconnect((pg), (err)) != OL_OK)                                                                \
                return ol_error_prefix((err), "%s; reconnecting failed", keep_.msg);                              \
            (pg)->retrying = 1;                                                                                    \
        }                                                                                                          \
    } while (0)

/* A fresh claim token (JSON string) for create_trial/create_study. */
static void pg_claim(pg_storage *pg, char *out, size_t cap) {
    snprintf(out, cap, "\"%s:%lu\"", pg->claim_base, ++pg->claim_seq);
}

/*
 * After a lost connection, make sure the old server process can no longer
 * commit anything: terminate it (allowed for one's own sessions) and wait
 * until it is gone, so a claim token that is absent now stays absent.
 */
static ol_status pg_settle_old_backend(pg_storage *pg, ol_error *err) {
    int old_pid = pg->prev_pid;
    if (old_pid <= 0 || old_pid == pg->backend_pid) return OL_OK;
    char pid[24];
    fmt_i64(pid, old_pid);
    const char *p[] = {pid};
    for (int i = 0; i < 50; i++) {
        int alive = 0;
        ol_status st = pg_count(pg, "checking the previous session",
                                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1::int", 1, p,
                                &alive, err);
        if (st) return st;
        if (!alive) return OL_OK;
        pg_sleep(0.05);
    }
    return pg_fail(pg, err, OL_EBUSY, "the previous session (pid %d) did not end; cannot tell whether its last write "
                                       "committed",
                   old_pid);
}

/*
 * After a lost connection: did the earlier attempt commit? `sql` selects the
 * row carrying claim token params[1] (params[0] names the study), giving its
 * id and, when `number` is not NULL, its number. *found says whether it is
 * there; if so *id (and *number) are set.
 */
static ol_status pg_find_claim(pg_storage *pg, const char *what, const char *sql, const char *const *params,
                               int64_t *id, int *number, int *found, ol_error *err) {
    PGresult *r = pg_exec(pg, what, sql, 2, params, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    *found = PQntuples(r) == 1;
    if (*found) {
        *id = atoll(PQgetvalue(r, 0, 0));
        if (number) *number = atoi(PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return OL_OK;
}

/* ---- schema -------------------------------------------------------------- */

/* Optuna 3.1's tables, as its SQLAlchemy models create them on PostgreSQL. */
static const char *const schema_sql[] = {
    "CREATE TYPE studydirection AS ENUM ('NOT_SET', 'MINIMIZE', 'MAXIMIZE')",
    "CREATE TYPE trialstate AS ENUM ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')",
    "CREATE TYPE trialvaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG')",
    "CREATE TYPE trialintermediatevaluetype AS ENUM ('FINITE', 'INF_POS', 'INF_NEG', 'NAN')",
    "CREATE TABLE studies (study_id SERIAL NOT NULL, study_name VARCHAR(512) NOT NULL, PRIMARY KEY (study_id))",
    "CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name)",
    "CREATE TABLE version_info (version_info_id INTEGER NOT NULL CHECK (version_info_id = 1), "
    "schema_version INTEGER, library_version VARCHAR(256), PRIMARY KEY (version_info_id))",
    "CREATE TABLE study_directions (study_direction_id SERIAL NOT NULL, direction studydirection NOT NULL, "
    "study_id INTEGER NOT NULL, objective INTEGER NOT NULL, PRIMARY KEY (study_direction_id), "
    "UNIQUE (study_id, objective), FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE study_user_attributes (study_user_attribute_id SERIAL NOT NULL, study_id INTEGER, "
    "key VARCHAR(512), value_json TEXT, PRIMARY KEY (study_user_attribute_id), UNIQUE (study_id, key), "
    "FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE study_system_attributes (study_system_attribute_id SERIAL NOT NULL, study_id INTEGER, "
    "key VARCHAR(512), value_json TEXT, PRIMARY KEY (study_system_attribute_id), UNIQUE (study_id, key), "
    "FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE trials (trial_id SERIAL NOT NULL, number INTEGER, study_id INTEGER, state trialstate NOT NULL, "
    "datetime_start TIMESTAMP WITHOUT TIME ZONE, datetime_complete TIMESTAMP WITHOUT TIME ZONE, "
    "PRIMARY KEY (trial_id), FOREIGN KEY(study_id) REFERENCES studies (study_id))",
    "CREATE TABLE trial_user_attributes (trial_user_attribute_id SERIAL NOT NULL, trial_id INTEGER, "
    "key VARCHAR(512), value_json TEXT, PRIMARY KEY (trial_user_attribute_id), UNIQUE (trial_id, key), "
    "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_system_attributes (trial_system_attribute_id SERIAL NOT NULL, trial_id INTEGER, "
    "key VARCHAR(512), value_json TEXT, PRIMARY KEY (trial_system_attribute_id), UNIQUE (trial_id, key), "
    "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_params (param_id SERIAL NOT NULL, trial_id INTEGER, param_name VARCHAR(512), "
    "param_value DOUBLE PRECISION, distribution_json TEXT, PRIMARY KEY (param_id), UNIQUE (trial_id, param_name), "
    "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_values (trial_value_id SERIAL NOT NULL, trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, "
    "value DOUBLE PRECISION, value_type trialvaluetype NOT NULL, PRIMARY KEY (trial_value_id), "
    "UNIQUE (trial_id, objective), FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_intermediate_values (trial_intermediate_value_id SERIAL NOT NULL, trial_id INTEGER NOT NULL, "
    "step INTEGER NOT NULL, intermediate_value DOUBLE PRECISION, "
    "intermediate_value_type trialintermediatevaluetype NOT NULL, PRIMARY KEY (trial_intermediate_value_id), "
    "UNIQUE (trial_id, step), FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE trial_heartbeats (trial_heartbeat_id SERIAL NOT NULL, trial_id INTEGER NOT NULL, "
    "heartbeat TIMESTAMP WITHOUT TIME ZONE NOT NULL, PRIMARY KEY (trial_heartbeat_id), UNIQUE (trial_id), "
    "FOREIGN KEY(trial_id) REFERENCES trials (trial_id))",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
    "INSERT INTO alembic_version (version_num) VALUES ('" PG_SCHEMA_ALEMBIC "')",
    "INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, 12, '" PG_LIBRARY_VERSION
    "')",
};

/* What is there: 0 nothing of ours (create), 1 Optuna 3.1 schema, else an error. */
static ol_status pg_check_schema(pg_storage *pg, int *empty, ol_error *err) {
    PGresult *r = pg_exec(pg, "reading the schema",
                          "SELECT to_regclass('alembic_version') IS NOT NULL, to_regclass('studies') IS NOT NULL, "
                          "to_regclass('trials') IS NOT NULL, to_regclass('version_info') IS NOT NULL",
                          0, NULL, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    int has_alembic = PQgetvalue(r, 0, 0)[0] == 't', has_studies = PQgetvalue(r, 0, 1)[0] == 't';
    int has_trials = PQgetvalue(r, 0, 2)[0] == 't', has_version = PQgetvalue(r, 0, 3)[0] == 't';
    PQclear(r);
    *empty = !has_alembic && !has_studies && !has_trials && !has_version;
    if (*empty) return OL_OK;
    if (!has_alembic || !has_studies || !has_trials)
        return pg_fail(pg, err, OL_EFORMAT,
                       "the database holds tables that are not an Optuna study storage (alembic_version %s, studies "
                       "%s, trials %s); use an empty database",
                       has_alembic ? "present" : "missing", has_studies ? "present" : "missing",
                       has_trials ? "present" : "missing");
    r = pg_exec(pg, "reading alembic_version", "SELECT version_num FROM alembic_version", 0, NULL, PGRES_TUPLES_OK,
                NULL, err);
    if (!r) return err->status;
    char found[64] = "(none)";
    if (PQntuples(r) > 0) snprintf(found, sizeof found, "%s", PQgetvalue(r, 0, 0));
    int rows = PQntuples(r);
    PQclear(r);
    if (rows != 1 || strcmp(found, PG_SCHEMA_ALEMBIC))
        return pg_fail(pg, err, OL_EFORMAT,
                       "the database's Optuna schema version is '%s'; optlab reads and writes only '%s' (Optuna 3.0 "
                       "and 3.1)",
                       found, PG_SCHEMA_ALEMBIC);
    if (has_version) {
        r = pg_exec(pg, "reading version_info", "SELECT schema_version FROM version_info", 0, NULL, PGRES_TUPLES_OK,
                    NULL, err);
        if (!r) return err->status;
        int v = PQntuples(r) > 0 ? atoi(PQgetvalue(r, 0, 0)) : -1;
        PQclear(r);
        if (v != PG_SCHEMA_VERSION)
            return pg_fail(pg, err, OL_EFORMAT, "version_info.schema_version is %d; optlab expects %d (Optuna 3.1)", v,
                           PG_SCHEMA_VERSION);
    }
    return OL_OK;
}

/* Create the schema if the database is empty; workers starting at once
 * serialise on an advisory lock and the later ones find the schema made.
 * The lock is a session lock taken before the re-check's transaction starts:
 * inside one transaction that was already open while another session created
 * the tables, the catalog cache can still answer "no such table" (an advisory
 * lock does not make PostgreSQL read catalog invalidations), and the second
 * worker would then try to create the schema again ("type ... already exists"). */
static ol_status pg_ensure_schema(pg_storage *pg, ol_error *err) {
    int empty = 0;
    ol_status st = pg_check_schema(pg, &empty, err);
    if (st || !empty) return st;
    PGresult *r = pg_exec(pg, "creating the schema", "SELECT pg_advisory_lock(7075311)", 0, NULL, PGRES_TUPLES_OK,
                          NULL, err);
    if (!r) return err->status ? err->status : OL_ESTORAGE;
    PQclear(r);
    if ((st = pg_check_schema(pg, &empty, err)) == OL_OK && empty) {
        if ((st = pg_cmd(pg, "creating the schema", "BEGIN", 0, NULL, err)) == OL_OK) {
            for (size_t i = 0; i < sizeof schema_sql / sizeof *schema_sql && !st; i++)
                st = pg_cmd(pg, "creating the schema", schema_sql[i], 0, NULL, err);
            if (!st) st = pg_cmd(pg, "creating the schema", "COMMIT", 0, NULL, err);
            else pg_rollback(pg);
        }
    }
    ol_error e2;
    r = pg_exec(pg, "creating the schema", "SELECT pg_advisory_unlock(7075311)", 0, NULL, PGRES_TUPLES_OK, NULL, &e2);
    if (r) PQclear(r);
    return st;
}

/* ---- studies ------------------------------------------------------------- */

static ol_status create_study_once(pg_storage *pg, const char *name, int maximize, const char *claim,
                                   int64_t *study_id, ol_error *err) {
    char state[6];
    if (pg->retrying) {
        /* did the lost attempt commit? */
        const char *p[] = {name, claim};
        int found = 0;
        ol_status st = pg_find_claim(pg, "creating a study",
                                     "SELECT s.study_id FROM studies s JOIN study_system_attributes a USING (study_id) "
                                     "WHERE s.study_name = $1 AND a.key = '" PG_CLAIM_KEY "' AND a.value_json = $2",
                                     p, study_id, NULL, &found, err);
        if (st || found) return st;
    }
    const char *p[] = {name, maximize ? "MAXIMIZE" : "MINIMIZE", claim};
    PGresult *r = pg_exec(pg, "creating a study",
                          "WITH s AS (INSERT INTO studies (study_name) VALUES ($1) RETURNING study_id), "
                          "d AS (INSERT INTO study_directions (direction, study_id, objective) "
                          "      SELECT $2::studydirection, study_id, 0 FROM s), "
                          "c AS (INSERT INTO study_system_attributes (study_id, key, value_json) "
                          "      SELECT study_id, '" PG_CLAIM_KEY "', $3 FROM s) "
                          "SELECT study_id FROM s",
                          3, p, PGRES_TUPLES_OK, state, err);
    if (!r) {
        if (!strcmp(state, "23505"))
            return pg_fail(pg, err, OL_EINVAL, "a study named '%s' already exists", name);
        return err->status;
    }
    *study_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return OL_OK;
}

static ol_status pg_create_study(ol_storage *st, const char *name, int maximize, int64_t *study_id, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    char claim[256];
    pg_claim(pg, claim, sizeof claim);
    PG_WITH_RETRY(pg, err,
                  (pg->retrying && pg_settle_old_backend(pg, err)) ? err->status
                      : create_study_once(pg, name, maximize, claim, study_id, err));
}

static ol_status find_study_once(pg_storage *pg, const char *name, int64_t *study_id, int *maximize, ol_error *err) {
    const char *p[] = {name};
    PGresult *r = pg_exec(pg, "finding a study",
                          "SELECT s.study_id, d.direction FROM studies s LEFT JOIN study_directions d "
                          "ON d.study_id = s.study_id AND d.objective = 0 WHERE s.study_name = $1",
                          1, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return pg_fail(pg, err, OL_ENOTFOUND, "no study named '%s'", name);
    }
    if (study_id) *study_id = atoll(PQgetvalue(r, 0, 0));
    int mx = 0;
    ol_status st = ol_direction_decode(PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1), &mx, err,
                                       "PostgreSQL %s: study '%.400s'", pg->where, name);
    if (maximize) *maximize = mx;
    PQclear(r);
    return st;
}

static ol_status pg_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!name) return pg_fail(pg, err, OL_EINVAL, "study name is missing");
    PG_WITH_RETRY(pg, err, find_study_once(pg, name, study_id, maximize, err));
}

static ol_status list_studies_once(pg_storage *pg, ol_study_rec **studies, size_t *n, ol_error *err) {
    PGresult *r = pg_exec(pg, "listing studies",
                          "SELECT s.study_id, s.study_name, d.direction, count(t.trial_id), "
                          "count(t.trial_id) FILTER (WHERE t.state = 'COMPLETE') "
                          "FROM studies s LEFT JOIN study_directions d ON d.study_id = s.study_id AND d.objective = 0 "
                          "LEFT JOIN trials t ON t.study_id = s.study_id "
                          "GROUP BY s.study_id, s.study_name, d.direction ORDER BY s.study_id",
                          0, NULL, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    int rows = PQntuples(r);
    ol_study_rec *out = calloc(rows ? (size_t)rows : 1, sizeof *out);
    if (!out) {
        PQclear(r);
        return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory listing %d studies", rows);
    }
    for (int i = 0; i < rows; i++) {
        out[i].study_id = atoll(PQgetvalue(r, i, 0));
        out[i].name = ol_strdup(PQgetvalue(r, i, 1));
        out[i].n_trials = atoi(PQgetvalue(r, i, 3));
        out[i].n_complete = atoi(PQgetvalue(r, i, 4));
        if (!out[i].name) {
            ol_studies_free(out, (size_t)i);
            PQclear(r);
            return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory listing studies");
        }
        ol_status dst = ol_direction_decode(PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2), &out[i].maximize,
                                            err, "PostgreSQL %s: study '%.400s'", pg->where, out[i].name);
        if (dst) {
            ol_studies_free(out, (size_t)i + 1);
            PQclear(r);
            return dst;
        }
    }
    PQclear(r);
    *studies = out;
    *n = (size_t)rows;
    return OL_OK;
}

static ol_status pg_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *studies = NULL;
    *n = 0;
    PG_WITH_RETRY(pg, err, list_studies_once(pg, studies, n, err));
}

static ol_status set_study_attr_once(pg_storage *pg, int64_t study_id, const char *key, const char *value_json,
                                     ol_error *err) {
    char id[24];
    fmt_i64(id, study_id);
    return pg_upsert_attr(pg, "setting a study attribute",
                          "INSERT INTO study_user_attributes (study_id, key, value_json) VALUES ($1::int, $2, $3) "
                          "ON CONFLICT (study_id, key) DO UPDATE SET value_json = EXCLUDED.value_json",
                          "study", id, key, value_json, err);
}

static ol_status pg_set_study_attr(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                                   ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!key || !value_json) return pg_fail(pg, err, OL_EINVAL, "study attribute key or value is missing");
    PG_WITH_RETRY(pg, err, set_study_attr_once(pg, study_id, key, value_json, err));
}

/* Rows (key, value_json) -> attribute array. */
static ol_status attrs_from_result(PGresult *r, int row0, int rows, int col, ol_attr_rec **attrs, size_t *n,
                                   ol_error *err) {
    ol_attr_rec *a = calloc(rows ? (size_t)rows : 1, sizeof *a);
    if (!a) return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading attributes");
    for (int i = 0; i < rows; i++) {
        a[i].key = ol_strdup(PQgetvalue(r, row0 + i, col));
        a[i].value_json = ol_strdup(PQgetvalue(r, row0 + i, col + 1));
        if (!a[i].key || !a[i].value_json) {
            ol_attrs_free(a, (size_t)i + 1);
            return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading attributes");
        }
    }
    *attrs = a;
    *n = (size_t)rows;
    return OL_OK;
}

static ol_status get_study_attrs_once(pg_storage *pg, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                      ol_error *err) {
    char id[24];
    fmt_i64(id, study_id);
    const char *p[] = {id};
    PGresult *r = pg_exec(pg, "reading study attributes",
                          "SELECT key, value_json FROM study_user_attributes WHERE study_id = $1::int ORDER BY study_user_attribute_id",
                          1, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    if (PQntuples(r) == 0) {
        /* empty: does the study exist at all? */
        PQclear(r);
        ol_status st = pg_require_study(pg, "reading study attributes", id, err);
        if (st) return st;
        *attrs = calloc(1, sizeof **attrs);
        *n = 0;
        return *attrs ? OL_OK : ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    }
    ol_status st = attrs_from_result(r, 0, PQntuples(r), 0, attrs, n, err);
    PQclear(r);
    return st;
}

static ol_status pg_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                    ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *attrs = NULL;
    *n = 0;
    PG_WITH_RETRY(pg, err, get_study_attrs_once(pg, study_id, attrs, n, err));
}

/* ---- trials -------------------------------------------------------------- */

static ol_status create_trial_once(pg_storage *pg, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                                   size_t n_attrs, const char *claim, int64_t *trial_id, int *number,
                                   ol_error *err) {
    char id[24], max[24];
    fmt_i64(id, study_id);
    fmt_i64(max, max_trials);
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
    ol_status st = pg_cmd(pg, "creating a trial", "BEGIN", 0, NULL, err);
    if (st) return st;
    const char *p1[] = {id};
    int found = 0;
    if (pg_count(pg, "creating a trial (locking the study)",
                 "SELECT study_id FROM studies WHERE study_id = $1::int FOR UPDATE", 1, p1, &found, err))
        goto fail;
    if (!found) {
        pg_rollback(pg);
        return pg_fail(pg, err, OL_ENOTFOUND, "no study with id %s", id);
    }
    /* A new statement: its snapshot is taken after the lock was granted. */
    const char *p2[] = {id, max, claim};
    PGresult *r = pg_exec(pg, "creating a trial",
                "WITH n AS (SELECT count(*) AS n_all, "
                "           count(*) FILTER (WHERE state IN ('COMPLETE', 'PRUNED', 'RUNNING')) AS n_live "
                "           FROM trials WHERE study_id = $1::int), "
                "t AS (INSERT INTO trials (number, study_id, state, datetime_start) "
                "      SELECT n_all, $1::int, 'RUNNING', now() AT TIME ZONE 'UTC' FROM n "
                "      WHERE $2::int <= 0 OR n_live < $2::int RETURNING trial_id, number), "
                "h AS (INSERT INTO trial_heartbeats (trial_id, heartbeat) "
                "      SELECT trial_id, now() AT TIME ZONE 'UTC' FROM t), "
                "c AS (INSERT INTO trial_system_attributes (trial_id, key, value_json) "
                "      SELECT trial_id, '" PG_CLAIM_KEY "', $3 FROM t) "
                "SELECT t.trial_id, t.number, n.n_live FROM n LEFT JOIN t ON true",
                3, p2, PGRES_TUPLES_OK, NULL, err);
    if (!r) goto fail;
    int created = !PQgetisnull(r, 0, 0);
    if (created) {
        *trial_id = atoll(PQgetvalue(r, 0, 0));
        *number = atoi(PQgetvalue(r, 0, 1));
    }
    long live = atol(PQgetvalue(r, 0, 2));
    PQclear(r);
    if (!created) {
        pg_rollback(pg);
        return pg_fail(pg, err, OL_ESTOPPED, "study %s is full: %ld of %d trials are complete, pruned or running", id,
                       live, max_trials);
    }
    /* the caller's attributes (e.g. the worker that owns the trial), in the same transaction */
    char tid[24];
    fmt_i64(tid, *trial_id);
    for (size_t i = 0; i < n_attrs; i++) {
        const char *pa[] = {tid, attrs[i].key, attrs[i].value_json};
        if (pg_cmd(pg, "creating a trial (its attributes)",
                   "INSERT INTO trial_system_attributes (trial_id, key, value_json) VALUES ($1::int, $2, $3) "
                   "ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json",
                   3, pa, err))
            goto fail;
    }
    if ((st = pg_cmd(pg, "creating a trial (commit)", "COMMIT", 0, NULL, err))) return st;
    return OL_OK;
fail:
    pg_rollback(pg);
    return err->status ? err->status : OL_ESTORAGE;
}

static ol_status pg_create_trial(ol_storage *st, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
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

static ol_status set_param_once(pg_storage *pg, int64_t trial_id, const char *name, double value,
                                const char *dist, ol_error *err) {
    char id[24], v[32];
    fmt_i64(id, trial_id);
    fmt_double(v, value);
    const char *p[] = {id, name, v, dist};
    return pg_write_running(pg, "setting a parameter",
                            "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
                            "SELECT $1::int, $2, $3::float8, $4 WHERE EXISTS "
                            "(SELECT 1 FROM trials WHERE trial_id = $1::int AND state = 'RUNNING') "
                            "ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = EXCLUDED.param_value, "
                            "distribution_json = EXCLUDED.distribution_json RETURNING 1",
                            4, p, id, "set a parameter of", err);
}

static ol_status pg_set_param(ol_storage *st, int64_t trial_id, const char *name, double value,
                              const char *distribution_json, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!name || !*name || !distribution_json)
        return pg_fail(pg, err, OL_EINVAL, "trial %lld: parameter name or distribution is missing",
                       (long long)trial_id);
    PG_WITH_RETRY(pg, err, set_param_once(pg, trial_id, name, value, distribution_json, err));
}

static ol_status set_intermediate_once(pg_storage *pg, int64_t trial_id, int64_t step, double value, ol_error *err) {
    char id[24], s[24], v[32];
    fmt_i64(id, trial_id);
    fmt_i64(s, step);
    const char *type = ol_float_type(value);
    fmt_double(v, value);
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

static ol_status pg_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, set_intermediate_once(pg, trial_id, step, value, err));
}

static ol_status set_trial_attr_once(pg_storage *pg, int64_t trial_id, int system, const char *key,
                                     const char *value_json, ol_error *err) {
    char id[24];
    fmt_i64(id, trial_id);
    return pg_upsert_attr(pg, "setting a trial attribute",
                          system ? "INSERT INTO trial_system_attributes (trial_id, key, value_json) "
                                   "VALUES ($1::int, $2, $3) ON CONFLICT (trial_id, key) DO UPDATE "
                                   "SET value_json = EXCLUDED.value_json"
                                 : "INSERT INTO trial_user_attributes (trial_id, key, value_json) "
                                   "VALUES ($1::int, $2, $3) ON CONFLICT (trial_id, key) DO UPDATE "
                                   "SET value_json = EXCLUDED.value_json",
                          "trial", id, key, value_json, err);
}

static ol_status pg_set_trial_attr(ol_storage *st, int64_t trial_id, int system, const char *key,
                                   const char *value_json, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    if (!key || !*key || !value_json)
        return pg_fail(pg, err, OL_EINVAL, "trial %lld: attribute key or value is missing", (long long)trial_id);
    PG_WITH_RETRY(pg, err, set_trial_attr_once(pg, trial_id, system, key, value_json, err));
}

static ol_status finish_trial_once(pg_storage *pg, int64_t trial_id, ol_trial_state state, const double *value,
                                   ol_error *err) {
    char id[24], v[32] = "";
    fmt_i64(id, trial_id);
    const char *vtype = "FINITE";
    if (value) {
        fmt_double(v, *value);
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
                same = !isfinite(*value) || (!PQgetisnull(r, 0, 1) && parse_double(PQgetvalue(r, 0, 1)) == *value);
        }
        PQclear(r);
        if (same) return OL_OK;
    }
    return trial_not_running(pg, id, "finish", err);
}

static ol_status pg_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                                 ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, finish_trial_once(pg, trial_id, state, value, err));
}

static ol_status heartbeat_once(pg_storage *pg, int64_t trial_id, ol_error *err) {
    char id[24];
    fmt_i64(id, trial_id);
    const char *p[] = {id};
    return pg_write_running(pg, "recording a heartbeat",
                            "INSERT INTO trial_heartbeats (trial_id, heartbeat) "
                            "SELECT $1::int, now() AT TIME ZONE 'UTC' WHERE EXISTS "
                            "(SELECT 1 FROM trials WHERE trial_id = $1::int AND state = 'RUNNING') "
                            "ON CONFLICT (trial_id) DO UPDATE SET heartbeat = EXCLUDED.heartbeat RETURNING 1",
                            1, p, id, "heartbeat", err);
}

static ol_status pg_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, heartbeat_once(pg, trial_id, err));
}

static ol_status fail_stale_once(pg_storage *pg, int64_t study_id, double grace, int *n_failed, ol_error *err) {
    char id[24], g[32];
    fmt_i64(id, study_id);
    fmt_double(g, grace);
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

static ol_status pg_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *n_failed = 0;
    if (!(grace_seconds >= 0))
        return pg_fail(pg, err, OL_EINVAL, "heartbeat grace period %g s is not a non-negative number", grace_seconds);
    PG_WITH_RETRY(pg, err, fail_stale_once(pg, study_id, grace_seconds, n_failed, err));
}

static ol_status get_heartbeats_once(pg_storage *pg, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                     ol_error *err) {
    char id[24];
    fmt_i64(id, study_id);
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
    double offset = ol_unix_now() - parse_double(PQgetvalue(r, 0, 2));
    for (int i = 0; i < rows; i++) {
        (*out)[i].trial_id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
        (*out)[i].heartbeat = parse_double(PQgetvalue(r, i, 1)) + offset;
    }
    *n = (size_t)rows;
    PQclear(r);
    return OL_OK;
}

static ol_status pg_get_heartbeats(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                   ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    PG_WITH_RETRY(pg, err, get_heartbeats_once(pg, study_id, out, n, err));
}

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
    double number = has ? parse_double(PQgetvalue(r, row, vcol)) : 0;
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
    fmt_i64(id, study_id);
    const char *p[] = {id, after, ids};
    PGresult *res[Q_N] = {0};
    ol_trial_rec *trials = NULL;
    ol_trial_index *ix = NULL;
    size_t n = 0;
    ol_status st = OL_OK;
    /* Finished trials never change and the trial rows come first, so rows the
     * child queries return for trials not yet listed are simply skipped. */
    PGresult *r = pg_exec(pg, "reading trials",
                          "SELECT t.trial_id, t.number, t.state, v.value, v.value_type, "
                          "EXTRACT(EPOCH FROM t.datetime_start), EXTRACT(EPOCH FROM t.datetime_complete), "
                          "(SELECT count(*) FROM trials c WHERE c.study_id = $1::int) "
                          "FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
                          "WHERE t.study_id = $1::int AND (t.trial_id > $2::int OR t.trial_id = ANY($3::int[])) ORDER BY t.number, t.trial_id",
                          3, p, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    n = (size_t)PQntuples(r);
    if (n == 0) {
        /* nothing new: the count comes from its own query */
        PQclear(r);
        const char *pc[] = {id};
        r = pg_exec(pg, "reading trials", "SELECT count(*) FROM trials WHERE study_id = $1::int", 1, pc,
                    PGRES_TUPLES_OK, NULL, err);
        if (!r) return err->status;
        *n_total = (size_t)atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        if ((st = pg_require_study(pg, "reading trials", id, err))) return st;
        *out = calloc(1, sizeof **out);
        *n_out = 0;
        return *out ? OL_OK : ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    }
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
        t->datetime_start = PQgetisnull(r, row, 5) ? 0 : parse_double(PQgetvalue(r, row, 5));
        t->datetime_complete = PQgetisnull(r, row, 6) ? 0 : parse_double(PQgetvalue(r, row, 6));
    }
    PQclear(r);
    if (st) goto out;
    if (!(ix = ol_trial_index_build(trials, n))) {
        st = ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory reading %zu trials", n);
        goto out;
    }

    for (int q = 0; q < Q_N; q++) {
        res[q] = pg_exec(pg, "reading trials", child_sql[q], 3, p, PGRES_TUPLES_OK, NULL, err);
        if (!res[q]) {
            st = err->status;
            goto out;
        }
    }
    /* count, allocate, fill */
    for (int q = 0; q < Q_N; q++) {
        int rows = PQntuples(res[q]);
        for (int i = 0; i < rows; i++) {
            ol_trial_rec *t = ol_trial_index_find(trials, ix, n, atoll(PQgetvalue(res[q], i, 0)));
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
            ol_trial_rec *t = ol_trial_index_find(trials, ix, n, atoll(PQgetvalue(rq, i, 0)));
            if (!t) continue;
            if (q == Q_PARAMS) {
                if (PQgetisnull(rq, i, 1) || PQgetisnull(rq, i, 2) || PQgetisnull(rq, i, 3) ||
                    !isfinite(parse_double(PQgetvalue(rq, i, 2)))) {
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
                pr->value = parse_double(PQgetvalue(rq, i, 2));
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

static ol_status pg_get_trials(ol_storage *st, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                               ol_trial_rec **trials, size_t *n, size_t *n_total, ol_error *err) {
    pg_storage *pg = (pg_storage *)st;
    *trials = NULL;
    *n = 0;
    char after_text[24];
    fmt_i64(after_text, after);
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

/* ---- open / close -------------------------------------------------------- */

static void pg_close(ol_storage *st) {
    pg_storage *pg = (pg_storage *)st;
    if (!pg) return;
    if (pg->conn) PQfinish(pg->conn);
    free(pg->conninfo);
    free(pg->password);
    free(pg);
}

/* The URL's password (for scrubbing messages), or NULL. */
static char *url_password(const char *url) {
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
    PQfreemem(errmsg);
    if (!opts) return NULL;
    char *pw = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, "password") && o->val && *o->val) pw = ol_strdup(o->val);
    PQconninfoFree(opts);
    return pw;
}

/* With OPEN_EXISTING: the schema must be there already; nothing is created. */
static ol_status pg_require_schema(pg_storage *pg, ol_error *err) {
    int empty = 0;
    ol_status st = pg_check_schema(pg, &empty, err);
    if (st == OL_OK && empty)
        return pg_fail(pg, err, OL_ENOTFOUND, "no storage in this database (no Optuna tables; run a study first)");
    return st;
}

/* The schema check (or creation) at open, run again after a lost connection
 * like any operation: a server restarting just as a worker starts is no error.
 * Both steps are safe to repeat (creation re-checks under its advisory lock). */
static ol_status pg_open_schema(pg_storage *pg, int flags, ol_error *err) {
    PG_WITH_RETRY(pg, err,
                  (flags & OL_STORAGE_OPEN_EXISTING) ? pg_require_schema(pg, err) : pg_ensure_schema(pg, err));
}


ol_status ol_storage_open_postgres(ol_storage **out, const char *url, int flags, ol_error *err) {
    ol_error local_err;
    if (!err) err = &local_err;
    *out = NULL;
    pg_storage *pg = calloc(1, sizeof *pg);
    if (!pg) return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    pg->base.ops = &pg_ops;
    /* libpq knows "postgresql://" and "postgres://" alike */
    pg->conninfo = ol_strdup(url);
    pg->password = url_password(url);
    pg->base.url = redact_url(url);
    if (!pg->conninfo || !pg->base.url) {
        free(pg->base.url);
        pg_close(&pg->base);
        return ol_fail(err, OL_ENOMEM, "PostgreSQL: out of memory");
    }
    snprintf(pg->where, sizeof pg->where, "%s", pg->base.url);
    const char *budget = getenv("OPTLAB_PG_RETRY_SECONDS");
    pg->retry_budget = budget && *budget ? atof(budget) : 15.0;
    if (!(pg->retry_budget >= 0)) pg->retry_budget = 15.0;
    char host[128] = "?";
    gethostname(host, sizeof host - 1);
    snprintf(pg->claim_base, sizeof pg->claim_base, "%.120s:%ld:%.0f", host, (long)getpid(), ol_unix_now() * 1e6);

    ol_status st = pg_reconnect(pg, err);
    if (st == OL_OK) st = pg_open_schema(pg, flags, err);
    if (st != OL_OK) {
        free(pg->base.url);
        pg_close(&pg->base);
        return st;
    }
    *out = &pg->base;
    return OL_OK;
}

static const ol_storage_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .create_study = pg_create_study,
    .find_study = pg_find_study,
    .list_studies = pg_list_studies,
    .set_study_attr = pg_set_study_attr,
    .get_study_attrs = pg_get_study_attrs,
    .create_trial = pg_create_trial,
    .set_param = pg_set_param,
    .set_intermediate = pg_set_intermediate,
    .set_trial_attr = pg_set_trial_attr,
    .finish_trial = pg_finish_trial,
    .heartbeat = pg_heartbeat,
    .fail_stale = pg_fail_stale,
    .get_heartbeats = pg_get_heartbeats,
    .get_trials = pg_get_trials,
};
