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
 *  - finish_trial, fail_stale, set_params and set_intermediate only act on a
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
 *
 * The backend is split by concern, sharing postgres_internal.h: this file
 * opens and closes a storage and checks or creates its schema;
 * postgres_conn.c connects, reconnects, runs statements and words messages;
 * postgres_study.c holds the studies and their attributes; postgres_trial.c
 * the writes to trials; postgres_read.c reads a study's trials back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "postgres_internal.h"

static const ol_storage_ops pg_ops;

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
    pg->base.url = pg_redact_url(url);
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
    .set_params = pg_set_params,
    .set_intermediate = pg_set_intermediate,
    .set_trial_attr = pg_set_trial_attr,
    .finish_trial = pg_finish_trial,
    .heartbeat = pg_heartbeat,
    .fail_stale = pg_fail_stale,
    .get_heartbeats = pg_get_heartbeats,
    .get_trials = pg_get_trials,
};
