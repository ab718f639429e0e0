/*
 * backend.h — what a storage backend implements. storage.c dispatches the
 * public ol_storage_* calls through this table; each backend (memory.c,
 * sqlite.c, postgres.c) fills one and embeds `ol_storage` as the first member
 * of its own handle struct. Helpers the backends share (storage.c, records.c)
 * are declared at the end.
 */
#ifndef OPTLAB_STORAGE_BACKEND_H
#define OPTLAB_STORAGE_BACKEND_H

#include "optlab/storage.h"

struct ol_storage_ops {
    const char *name; /* "memory", "sqlite", "postgresql" */
    void (*close)(ol_storage *st);
    ol_status (*create_study)(ol_storage *st, const char *name, int maximize, int64_t *study_id, ol_error *err);
    ol_status (*find_study)(ol_storage *st, const char *name, int64_t *study_id, int *maximize, ol_error *err);
    ol_status (*list_studies)(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err);
    ol_status (*set_study_attr)(ol_storage *st, int64_t study_id, const char *key, const char *value_json,
                                ol_error *err);
    ol_status (*get_study_attrs)(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                 ol_error *err);
    /* creates the trial, its heartbeat and the n_attrs system attributes in one transaction */
    ol_status (*create_trial)(ol_storage *st, int64_t study_id, int max_trials, const ol_attr_rec *attrs,
                              size_t n_attrs, int64_t *trial_id, int *number, ol_error *err);
    /* records params[0..n) (n >= 1, names distinct) of a RUNNING trial in one transaction: all or none */
    ol_status (*set_params)(ol_storage *st, int64_t trial_id, const ol_param_rec *params, size_t n, ol_error *err);
    ol_status (*set_intermediate)(ol_storage *st, int64_t trial_id, int64_t step, double value, ol_error *err);
    ol_status (*set_trial_attr)(ol_storage *st, int64_t trial_id, int system, const char *key,
                                const char *value_json, ol_error *err);
    ol_status (*finish_trial)(ol_storage *st, int64_t trial_id, ol_trial_state state, const double *value,
                              ol_error *err);
    ol_status (*heartbeat)(ol_storage *st, int64_t trial_id, ol_error *err);
    ol_status (*fail_stale)(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed,
                            ol_error *err);
    /* RUNNING trials' heartbeats (those that have one), by trial id */
    ol_status (*get_heartbeats)(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n, ol_error *err);
    /* trials with trial_id > after or listed in ids (after 0, no ids: all), and the study's trial count */
    ol_status (*get_trials)(ol_storage *st, int64_t study_id, int64_t after, const int64_t *ids, size_t n_ids,
                            ol_trial_rec **trials, size_t *n, size_t *n_total, ol_error *err);
};

/* The public handle's common head; backends put it first in their struct. */
struct ol_storage {
    const ol_storage_ops *ops;
    char *url;
};

/* Backend constructors: `path` is the URL's file part ("sqlite:///x.db" -> "x.db"); `flags` as
 * ol_storage_open_flags (OL_STORAGE_OPEN_EXISTING: create nothing). */
ol_status ol_storage_open_memory(ol_storage **out, const char *url, ol_error *err);
ol_status ol_storage_open_sqlite(ol_storage **out, const char *url, const char *path, int flags, ol_error *err);
ol_status ol_storage_open_postgres(ol_storage **out, const char *url, int flags, ol_error *err);

/* ---- validate.c: Optuna's value encoding and the checks of what is read back ----
 * Optuna stores a float as (value, type): finite -> (v, "FINITE"), +-inf ->
 * (NULL, "INF_POS"/"INF_NEG"), NaN -> (NULL, "NAN", intermediate values only). */
const char *ol_float_type(double v); /* "FINITE", "INF_POS", "INF_NEG" or "NAN" */
/* Decode a stored (value, type) pair. `has_number` says the value column held
 * a number (not NULL, not text). A FINITE type without a finite number, an
 * unknown type, or NAN where `allow_nan` is 0 is OL_EFORMAT with a message
 * "<where>: ..." (where_fmt and its arguments name the row, e.g. "'f.db': the
 * value of trial_id 7"; formatted only when the row is refused). */
ol_status ol_float_decode(const char *type, int has_number, double number, int allow_nan, double *out,
                          ol_error *err, const char *where_fmt, ...) __attribute__((format(printf, 7, 8)));
/* A stored trial number: NULL, negative or above INT_MAX (an ol_trial_rec's
 * number is an int; Optuna's are below 2^53) is OL_EFORMAT naming the row. */
ol_status ol_number_decode(int is_null, long long number, int *out, ol_error *err, const char *where_fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* A stored direction: "MAXIMIZE" -> 1, "MINIMIZE" -> 0, anything else (NULL: no row) OL_EFORMAT. */
ol_status ol_direction_decode(const char *text, int *maximize, ol_error *err, const char *where_fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* helpers shared by backends */
char *ol_strdup(const char *s);              /* NULL on allocation failure */
double ol_unix_now(void);                    /* wall-clock seconds since the epoch */

/* records.c: attaching child rows to their trial when reading trials back. */
typedef struct {
    int64_t trial_id;
    size_t index; /* position in the trial array */
} ol_trial_index;

/* An index of trials[0..n) sorted by trial id (malloc'd; free it), or NULL on
 * allocation failure. */
ol_trial_index *ol_trial_index_build(const ol_trial_rec *trials, size_t n);
/* The trial with this id, or NULL if it is not in the index (or ix is NULL). */
ol_trial_rec *ol_trial_index_find(ol_trial_rec *trials, const ol_trial_index *ix, size_t n, int64_t trial_id);
/* The same, looking first at trials[*hint] and the one after it (*hint: the position found last,
 * 0 to begin): the child rows of a study mostly come in trial order, so most rows are found
 * there without a search. *hint becomes the position found. */
ol_trial_rec *ol_trial_index_find_near(ol_trial_rec *trials, const ol_trial_index *ix, size_t n, int64_t trial_id,
                                       size_t *hint);
/* Sets *state from a stored state name ("RUNNING", "COMPLETE", ...); returns 0
 * (state untouched) if text is NULL or no state has that name. */
int ol_trial_state_parse(const char *text, ol_trial_state *state);

#endif
