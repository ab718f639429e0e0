/*
 * sqlite_internal.h — what the files of the SQLite backend share (sqlite.c,
 * sqlite_exec.c, sqlite_study.c, sqlite_trial.c, sqlite_read.c): the handle,
 * the statement ids, the transaction loop and the helpers. Internal to
 * liboptlab (hidden, like everything not in include/optlab/).
 */
#ifndef OPTLAB_STORAGE_SQLITE_INTERNAL_H
#define OPTLAB_STORAGE_SQLITE_INTERNAL_H

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

typedef struct {
    ol_storage base; /* must be first: storage.c sees only this */
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[Q_COUNT];
    unsigned jitter; /* state of the backoff jitter */
    int no_page_check; /* OL_STORAGE_OPEN_NO_CHECK: no PRAGMA quick_check on open */
} sq_storage;

static inline sq_storage *sq(ol_storage *st) { return (sq_storage *)st; }

typedef struct {
    double started;
    int attempt;
} sq_retry;

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
            st = sq_txn_begin(s, write, err);                                                                    \
            if (st == OL_OK) {                                                                                \
                __VA_ARGS__                                                                                   \
            }                                                                                                 \
            st = sq_txn_end(s, st, err);                                                                         \
            if (st != OL_EBUSY || !sq_retry_wait(s, &retry_)) break;                                             \
        }                                                                                                     \
    } while (0)

/* "YYYY-MM-DD HH:MM:SS.ffffff" and its terminator fit in this many bytes (sq_format_local, sq_format_utc). */
#define DATETIME_LEN 64

#pragma GCC visibility push(hidden)
/* sqlite_exec.c */
ol_status sq_fail(sq_storage *s, int rc, ol_error *err, const char *doing);
sqlite3_stmt *sq_stmt(sq_storage *s, int q, ol_error *err, ol_status *status);
ol_status sq_step(sq_storage *s, sqlite3_stmt *q, int *row, const char *doing, ol_error *err);
ol_status sq_run(sq_storage *s, sqlite3_stmt *q, const char *doing, ol_error *err);
ol_status sq_run_simple(sq_storage *s, int q, const char *doing, ol_error *err);
void sq_bind_text(sqlite3_stmt *q, int i, const char *text);
char *sq_column_dup(sqlite3_stmt *q, int i);
int sq_retry_wait(sq_storage *s, sq_retry *r);
ol_status sq_txn_begin(sq_storage *s, int write, ol_error *err);
ol_status sq_txn_end(sq_storage *s, ol_status st, ol_error *err);
void sq_format_local(double t, char *buf);
void sq_format_utc(double t, char *buf);
double sq_parse_datetime(const unsigned char *text, int utc);
ol_status sq_trial_state(sq_storage *s, int64_t trial_id, ol_trial_state *state, ol_error *err);
ol_status sq_require_running(sq_storage *s, int64_t trial_id, const char *doing, ol_error *err);
ol_status sq_require_study(sq_storage *s, int64_t study_id, ol_error *err);

/* sqlite_study.c */
ol_status sq_create_study(ol_storage *base, const char *name, int maximize, int64_t *study_id,
                          ol_error *err);
ol_status sq_find_study(ol_storage *base, const char *name, int64_t *study_id, int *maximize,
                        ol_error *err);
ol_status sq_list_studies(ol_storage *base, ol_study_rec **out, size_t *n_out, ol_error *err);
ol_status sq_set_study_attr(ol_storage *base, int64_t study_id, const char *key, const char *value_json,
                            ol_error *err);
ol_status sq_append_attr(ol_attr_rec **attrs, size_t *n, sqlite3_stmt *q, int col, ol_error *err);
ol_status sq_get_study_attrs(ol_storage *base, int64_t study_id, ol_attr_rec **out, size_t *n_out,
                             ol_error *err);

/* sqlite_trial.c */
ol_status sq_count_trials(sq_storage *s, int q_id, int64_t study_id, int *count, ol_error *err);
ol_status sq_create_trial(ol_storage *base, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                          size_t n_attrs, int64_t *trial_id, int *number, ol_error *err);
ol_status sq_set_params(ol_storage *base, int64_t trial_id, const ol_param_rec *params, size_t n, ol_error *err);
ol_status sq_set_intermediate(ol_storage *base, int64_t trial_id, int64_t step_no, double value,
                              ol_error *err);
ol_status sq_set_trial_attr(ol_storage *base, int64_t trial_id, int system, const char *key,
                            const char *value_json, ol_error *err);
ol_status sq_finish_trial(ol_storage *base, int64_t trial_id, ol_trial_state state, const double *value,
                          ol_error *err);
ol_status sq_heartbeat(ol_storage *base, int64_t trial_id, ol_error *err);
ol_status sq_get_heartbeats(ol_storage *base, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                           ol_error *err);
ol_status sq_fail_stale(ol_storage *base, int64_t study_id, double grace_seconds, int *n_failed,
                        ol_error *err);

/* sqlite_read.c */
ol_status sq_get_trials(ol_storage *base, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                        ol_trial_rec **out, size_t *n_out, size_t *n_total, ol_error *err);
#pragma GCC visibility pop

#endif
