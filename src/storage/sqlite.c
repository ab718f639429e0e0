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
 *
 * The backend is split by concern, sharing sqlite_internal.h: this file opens
 * and closes a storage and checks or creates its schema; sqlite_exec.c holds
 * the statements, errors, transactions and datetimes every operation uses;
 * sqlite_study.c the studies and their attributes; sqlite_trial.c the writes
 * to trials (create, params, values, heartbeats, stale trials); sqlite_read.c
 * reads a study's trials back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sqlite_internal.h"

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

/* ---------------------------------------------------------------- errors */

static int is_busy(int rc) {
    int primary = rc & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
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
    .set_params = sq_set_params,
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
    /* A damaged page elsewhere would surface mid-study; find it now, before anything is written
     * (unless the caller reads what it needs first: OL_STORAGE_OPEN_NO_CHECK). */
    if (s->no_page_check) return OL_OK;
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
        if (st != OL_EBUSY || !sq_retry_wait(s, &retry)) return st;
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
        if (!sq_retry_wait(s, &retry)) return sq_fail(s, rc, err, "switching to WAL mode");
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
    s->no_page_check = (flags & OL_STORAGE_OPEN_NO_CHECK) != 0;
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
