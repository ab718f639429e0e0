/*
 * postgres_conn.c — the PostgreSQL backend's connection: messages that name the
 * server and never a password, parameterised statements, connecting and
 * reconnecting with backoff, and the claim tokens that make a rerun write safe.
 * (postgres.c says how the backend fits together and why each write is safe to rerun.)
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postgres_internal.h"

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

ol_status pg_fail(pg_storage *pg, ol_error *err, ol_status st, const char *fmt, ...) {
    char body[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return ol_fail(err, st, "PostgreSQL %s: %s", pg->where, body);
}

/* "postgresql://user:pw@host/db?password=pw" -> same with pw replaced by *** */
char *pg_redact_url(const char *url) {
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
PGresult *pg_exec(pg_storage *pg, const char *what, const char *sql, int nparams,
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

/*
 * n statements in one round trip (libpq's pipeline mode): all are sent, then
 * their results read in order; each runs as pg_exec would run it alone (its
 * own snapshot, unless a BEGIN among them opens a transaction; after a failure
 * inside one, the caller rolls it back). res[i] receives statement i's result
 * (rows or a command's),
 * or, on the first failure, every res[] is NULL (cleared) and err says which
 * and why, as pg_exec says it. Without pipeline support in libpq, the queries
 * go one by one through pg_exec.
 */
ol_status pg_exec_pipeline(pg_storage *pg, const char *what, size_t n, const char *const *sql, const int *nparams,
                           const char *const *const *params, PGresult **res, ol_error *err) {
    for (size_t i = 0; i < n; i++) res[i] = NULL;
#ifdef LIBPQ_HAS_PIPELINING
    if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
        pg->lost = 1;
        return pg_fail(pg, err, OL_ESTORAGE, "%s: not connected", what);
    }
    int sent = PQenterPipelineMode(pg->conn);
    for (size_t i = 0; sent && i < n; i++) {
        pg->statements++;
        sent = PQsendQueryParams(pg->conn, sql[i], nparams[i], NULL, params[i], NULL, NULL, 0);
    }
    sent = sent && PQpipelineSync(pg->conn);
    ol_status st = OL_OK;
    char msg[700] = "";
    if (!sent) {
        pg_clean_msg(pg, PQerrorMessage(pg->conn), msg, sizeof msg);
        st = OL_ESTORAGE;
    }
    /* every result up to the sync point is read, even after a failure, so the connection is ready again */
    for (size_t i = 0; sent && i < n; i++) {
        PGresult *r = PQgetResult(pg->conn);
        if (!r) { /* the connection failed under the pipeline */
            if (st == OL_OK) pg_clean_msg(pg, PQerrorMessage(pg->conn), msg, sizeof msg);
            st = OL_ESTORAGE;
            sent = 0;
            break;
        }
        if ((PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK) && st == OL_OK) {
            res[i] = r;
        } else {
            if (st == OL_OK) {
                pg_clean_msg(pg, PQresultErrorMessage(r), msg, sizeof msg);
                if (!*msg) snprintf(msg, sizeof msg, "unexpected result (%s)", PQresStatus(PQresultStatus(r)));
                st = OL_ESTORAGE;
            }
            PQclear(r);
        }
        while ((r = PQgetResult(pg->conn)) != NULL) PQclear(r); /* the end of query i's results */
    }
    if (sent) { /* the sync point */
        PGresult *r;
        while ((r = PQgetResult(pg->conn)) != NULL) {
            int sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
            PQclear(r);
            if (sync) break;
        }
    }
    if (!PQexitPipelineMode(pg->conn) && st == OL_OK) {
        pg_clean_msg(pg, PQerrorMessage(pg->conn), msg, sizeof msg);
        st = OL_ESTORAGE;
    }
    if (st == OL_OK) return OL_OK;
    for (size_t i = 0; i < n; i++) {
        PQclear(res[i]);
        res[i] = NULL;
    }
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        pg->lost = 1;
        return pg_fail(pg, err, OL_ESTORAGE, "%s: connection lost: %s", what, msg);
    }
    return pg_fail(pg, err, OL_ESTORAGE, "%s: %s", what, *msg ? msg : "unexpected result");
#else
    for (size_t i = 0; i < n; i++) {
        res[i] = pg_exec(pg, what, sql[i], nparams[i], params[i], PGRES_TUPLES_OK, NULL, err);
        if (!res[i]) {
            for (size_t j = 0; j < i; j++) {
                PQclear(res[j]);
                res[j] = NULL;
            }
            return err->status;
        }
    }
    return OL_OK;
#endif
}

/* Append text to a PostgreSQL array literal as one quoted element ("a\"b"). */
void pg_array_put_text(char **o, const char *text) {
    *(*o)++ = '"';
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\') *(*o)++ = '\\';
        *(*o)++ = *c;
    }
    *(*o)++ = '"';
}

/* A statement whose result rows don't matter. */
ol_status pg_cmd(pg_storage *pg, const char *what, const char *sql, int nparams, const char *const *params,
                 ol_error *err) {
    PGresult *r = pg_exec(pg, what, sql, nparams, params, PGRES_COMMAND_OK, NULL, err);
    if (!r) return err ? err->status : OL_ESTORAGE;
    PQclear(r);
    return OL_OK;
}

/* A query whose rows only matter by number: *rows receives how many it returned. */
ol_status pg_count(pg_storage *pg, const char *what, const char *sql, int nparams,
                   const char *const *params, int *rows, ol_error *err) {
    PGresult *r = pg_exec(pg, what, sql, nparams, params, PGRES_TUPLES_OK, NULL, err);
    if (!r) return err->status;
    *rows = PQntuples(r);
    PQclear(r);
    return OL_OK;
}

/* OL_OK if the study (id as text) exists, else OL_ENOTFOUND naming it. */
ol_status pg_require_study(pg_storage *pg, const char *what, const char *id, ol_error *err) {
    const char *p[] = {id};
    int found = 0;
    ol_status st = pg_count(pg, what, "SELECT 1 FROM studies WHERE study_id = $1::int", 1, p, &found, err);
    if (st) return st;
    return found ? OL_OK : pg_fail(pg, err, OL_ENOTFOUND, "no study with id %s", id);
}

/* Upsert one attribute with `sql` (parameters: owner id, key, value_json).
 * A foreign-key violation means the owner is missing: OL_ENOTFOUND
 * "no <owner> with id N". */
ol_status pg_upsert_attr(pg_storage *pg, const char *what, const char *sql, const char *owner,
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

void pg_rollback(pg_storage *pg) {
    if (pg->lost || !pg->conn) return;
    PGresult *r = PQexec(pg->conn, "ROLLBACK");
    pg->statements++;
    PQclear(r);
    if (PQstatus(pg->conn) != CONNECTION_OK) pg->lost = 1;
}

void pg_fmt_i64(char *buf, int64_t v) { snprintf(buf, 24, "%lld", (long long)v); }
void pg_fmt_double(char *buf, double v) {
    if (isnan(v)) strcpy(buf, "NaN");
    else if (isinf(v)) strcpy(buf, v > 0 ? "Infinity" : "-Infinity");
    else snprintf(buf, 32, "%.17g", v);
}
double pg_parse_double(const char *s) { return strtod(s, NULL); }

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
ol_status pg_reconnect(pg_storage *pg, ol_error *err) {
    pg->prev_pid = pg->backend_pid;
    pg->backend_pid = 0;
    return pg_connect(pg, err);
}

/* A fresh claim token (JSON string) for create_trial/create_study. */
void pg_claim(pg_storage *pg, char *out, size_t cap) {
    snprintf(out, cap, "\"%s:%lu\"", pg->claim_base, ++pg->claim_seq);
}

/*
 * After a lost connection, make sure the old server process can no longer
 * commit anything: terminate it (allowed for one's own sessions) and wait
 * until it is gone, so a claim token that is absent now stays absent.
 */
ol_status pg_settle_old_backend(pg_storage *pg, ol_error *err) {
    int old_pid = pg->prev_pid;
    if (old_pid <= 0 || old_pid == pg->backend_pid) return OL_OK;
    char pid[24];
    pg_fmt_i64(pid, old_pid);
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
ol_status pg_find_claim(pg_storage *pg, const char *what, const char *sql, const char *const *params,
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
