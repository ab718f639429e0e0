/*
 * postgres_internal.h — what the files of the PostgreSQL backend share
 * (postgres.c, postgres_conn.c, postgres_study.c, postgres_trial.c,
 * postgres_read.c): the handle, the retry macro and the helpers. Internal to
 * liboptlab (hidden, like everything not in include/optlab/).
 */
#ifndef OPTLAB_STORAGE_POSTGRES_INTERNAL_H
#define OPTLAB_STORAGE_POSTGRES_INTERNAL_H

#include <libpq-fe.h>

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

#pragma GCC visibility push(hidden)
/* postgres_conn.c */
ol_status pg_fail(pg_storage *pg, ol_error *err, ol_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
char *pg_redact_url(const char *url);
PGresult *pg_exec(pg_storage *pg, const char *what, const char *sql, int nparams,
                  const char *const *params, ExecStatusType want, char *sqlstate, ol_error *err);
/* Append text to an array literal as one quoted element (room: 2 * strlen(text) + 2 bytes). */
void pg_array_put_text(char **o, const char *text);
/* n statements in one round trip (pipeline mode), each with its own snapshot; res[i] its result */
ol_status pg_exec_pipeline(pg_storage *pg, const char *what, size_t n, const char *const *sql, const int *nparams,
                           const char *const *const *params, PGresult **res, ol_error *err);
ol_status pg_cmd(pg_storage *pg, const char *what, const char *sql, int nparams, const char *const *params,
                 ol_error *err);
ol_status pg_count(pg_storage *pg, const char *what, const char *sql, int nparams,
                   const char *const *params, int *rows, ol_error *err);
ol_status pg_require_study(pg_storage *pg, const char *what, const char *id, ol_error *err);
ol_status pg_upsert_attr(pg_storage *pg, const char *what, const char *sql, const char *owner,
                         const char *id, const char *key, const char *value_json, ol_error *err);
void pg_rollback(pg_storage *pg);
void pg_fmt_i64(char *buf, int64_t v);
void pg_fmt_double(char *buf, double v);
double pg_parse_double(const char *s);
ol_status pg_reconnect(pg_storage *pg, ol_error *err);
void pg_claim(pg_storage *pg, char *out, size_t cap);
ol_status pg_settle_old_backend(pg_storage *pg, ol_error *err);
ol_status pg_find_claim(pg_storage *pg, const char *what, const char *sql, const char *const *params,
                        int64_t *id, int *number, int *found, ol_error *err);

/* postgres_study.c */
ol_status pg_create_study(ol_storage *st, const char *name, int maximize, int64_t *study_id, ol_error *err);
ol_status pg_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize, ol_error *err);
ol_status pg_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err);
ol_status pg_set_study_attr(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                            ol_error *err);
ol_status pg_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                             ol_error *err);

/* postgres_trial.c */
ol_status pg_create_trial(ol_storage *st, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                          size_t n_attrs, int64_t *trial_id, int *number, ol_error *err);
ol_status pg_set_params(ol_storage *st, int64_t trial_id, const ol_param_rec *params, size_t n, ol_error *err);
ol_status pg_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value, ol_error *err);
ol_status pg_set_trial_attr(ol_storage *st, int64_t trial_id, int system, const char *key,
                            const char *value_json, ol_error *err);
ol_status pg_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                          ol_error *err);
ol_status pg_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err);
ol_status pg_get_heartbeats(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n, ol_error *err);
ol_status pg_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed, ol_error *err);

/* postgres_read.c */
ol_status pg_get_trials(ol_storage *st, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                        ol_trial_rec **trials, size_t *n, size_t *n_total, ol_error *err);
#pragma GCC visibility pop

#endif
