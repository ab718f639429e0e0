/*
 * optlab/storage.h — where studies and trials live. One interface, several
 * backends chosen by URL:
 *   "sqlite:///relative/or/absolute.db"   SQLite in Optuna's RDB schema (v3.1)
 *   "postgresql://user@host:port/db"      PostgreSQL, same schema
 *   "memory:"                             in-process, for tests and benchmarks
 * Optuna tools (optuna.load_study, optuna-dashboard) read what optlab writes.
 *
 * The layer knows nothing of samplers or networks: a parameter is a name, its
 * internal float value (Optuna's representation: the value itself for float
 * and int distributions, the index for categorical ones) and its distribution
 * as Optuna's JSON text (e.g. {"name": "FloatDistribution", "attributes":
 * {"step": null, "low": 0.0001, "high": 0.01, "log": true}}).
 * Attribute values are JSON texts too (Optuna stores them so).
 */
#ifndef OPTLAB_STORAGE_H
#define OPTLAB_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** Trial states, numbered as optuna.trial.TrialState. */
typedef enum {
    OL_TRIAL_RUNNING = 0,
    OL_TRIAL_COMPLETE = 1,
    OL_TRIAL_PRUNED = 2,
    OL_TRIAL_FAIL = 3,
    OL_TRIAL_WAITING = 4
} ol_trial_state;

/** "RUNNING", "COMPLETE", ... as Optuna writes them. */
const char *ol_trial_state_name(ol_trial_state s);

/** One parameter of a trial. */
typedef struct {
    char *name;
    double value;            /**< internal representation (index for categorical) */
    char *distribution_json; /**< Optuna's distribution JSON */
} ol_param_rec;

/** One intermediate value (per-epoch metric), keyed by step. */
typedef struct {
    int64_t step;
    double value;
} ol_intermediate_rec;

/** A key and its JSON-encoded value. */
typedef struct {
    char *key;
    char *value_json;
} ol_attr_rec;

/** A trial as stored. Arrays are owned by the record (free with ol_trials_free). */
typedef struct {
    int64_t trial_id;  /**< storage-wide id */
    int number;        /**< 0-based number within its study */
    ol_trial_state state;
    int has_value;
    double value;
    double datetime_start;    /**< seconds since the epoch (UTC), 0 if unset */
    double datetime_complete; /**< seconds since the epoch (UTC), 0 if unset */
    size_t n_params;
    ol_param_rec *params;
    size_t n_intermediate;
    ol_intermediate_rec *intermediate; /**< sorted by step */
    size_t n_user_attrs;
    ol_attr_rec *user_attrs;
    size_t n_system_attrs;
    ol_attr_rec *system_attrs;
} ol_trial_rec;

/** A study as listed. */
typedef struct {
    int64_t study_id;
    char *name;
    int maximize;     /**< 1: MAXIMIZE, 0: MINIMIZE */
    int n_trials;     /**< all states */
    int n_complete;
} ol_study_rec;

/* Thread safety: a storage object is one connection (SQLite or PostgreSQL) and is
 * not thread-safe: open one per thread (a worker's heartbeat thread opens its own).
 * Many processes and threads may open the same URL: the database arbitrates. The
 * *_rec structs are plain values owned by the caller. */
typedef struct ol_storage ol_storage;

/** Flags of ol_storage_open_flags. */
enum {
    /** Open only a storage that already exists: an SQLite file that is not
     * there, or a PostgreSQL database without Optuna's schema, is OL_ENOTFOUND
     * naming it, and nothing is created. (A "memory:" storage always opens.) */
    OL_STORAGE_OPEN_EXISTING = 1,
    /** Skip the whole-file integrity check an SQLite file gets on open (PRAGMA
     * quick_check, which reads every page: about 1.3 ms per MB). For a short
     * command that reads what it needs before it writes (`optlab ask` loads its
     * study first, ol_study_load): SQLite refuses a damaged page when it reads
     * it, as OL_EFORMAT naming the file, so damage there still stops the
     * command before it writes; damage elsewhere in the file goes unseen. The
     * other checks on open (header, schema, revision) still run. No effect on
     * the other backends. */
    OL_STORAGE_OPEN_NO_CHECK = 2
};

/**
 * Open (creating if needed) the storage named by `url`. A file that exists but
 * is not an Optuna/optlab database, or whose schema version is foreign, is an
 * OL_EFORMAT error that names the file and what was found.
 *
 * Thread safety: one handle may be used by one thread at a time (the memory
 * backend locks itself; SQLite and PostgreSQL handles do not). Processes share
 * a storage through its URL, each with its own handle.
 *
 * Every name that enters (study names, parameter names, attribute keys) must
 * be 1 to 512 bytes of valid UTF-8 (Optuna's VARCHAR(512); Optuna cannot read
 * a file holding anything else); every attribute value and distribution must
 * be JSON text. These checks are made here, once, for every backend.
 */
ol_status ol_storage_open(ol_storage **out, const char *url, ol_error *err);
/** ol_storage_open with flags (OL_STORAGE_OPEN_EXISTING, or 0 as ol_storage_open). */
ol_status ol_storage_open_flags(ol_storage **out, const char *url, int flags, ol_error *err);
void ol_storage_close(ol_storage *st);
/** The URL the storage was opened with. */
const char *ol_storage_url(const ol_storage *st);

/** Create a study; OL_EINVAL if one with that name exists. */
ol_status ol_storage_create_study(ol_storage *st, const char *name, int maximize, int64_t *study_id,
                                  ol_error *err);
/** Find a study by name; OL_ENOTFOUND if absent (message names it). */
ol_status ol_storage_find_study(ol_storage *st, const char *name, int64_t *study_id, int *maximize,
                                ol_error *err);
/** All studies, in creation order. Free with ol_studies_free. */
ol_status ol_storage_list_studies(ol_storage *st, ol_study_rec **studies, size_t *n, ol_error *err);
void ol_studies_free(ol_study_rec *studies, size_t n);

/** Set (insert or replace) a study user attribute. */
ol_status ol_storage_set_study_attr(ol_storage *st, int64_t study_id, const char *key,
                                    const char *value_json, ol_error *err);
/** Study user attributes. Free with ol_attrs_free. */
ol_status ol_storage_get_study_attrs(ol_storage *st, int64_t study_id, ol_attr_rec **attrs, size_t *n,
                                     ol_error *err);
void ol_attrs_free(ol_attr_rec *attrs, size_t n);

/**
 * Create a RUNNING trial with the next number, atomically with respect to
 * other processes — but only while the study holds fewer than `max_trials`
 * trials that are COMPLETE, PRUNED or RUNNING (max_trials <= 0: no limit).
 * When the study is full, returns OL_ESTOPPED and creates nothing.
 * The trial's heartbeat is set to now.
 */
ol_status ol_storage_create_trial(ol_storage *st, int64_t study_id, int max_trials, int64_t *trial_id,
                                  int *number, ol_error *err);
/**
 * ol_storage_create_trial that also writes `n_attrs` trial system attributes
 * in the same transaction: a process killed at any moment leaves either no
 * trial or a trial with all of them (e.g. its "optlab:worker" owner). Keys and
 * values are checked as ol_storage_set_trial_system_attr checks them, before
 * anything is written.
 */
ol_status ol_storage_create_trial_with_attrs(ol_storage *st, int64_t study_id, int max_trials,
                                             const ol_attr_rec *system_attrs, size_t n_attrs, int64_t *trial_id,
                                             int *number, ol_error *err);

/** Record a parameter of a RUNNING trial. */
ol_status ol_storage_set_param(ol_storage *st, int64_t trial_id, const char *name, double value,
                               const char *distribution_json, ol_error *err);
/**
 * Record n parameters of a RUNNING trial in one transaction: all of them or,
 * on any error, none (each checked as ol_storage_set_param checks it; a name
 * given twice in one call is OL_EINVAL). One commit instead of n: one fsync
 * on SQLite, one round trip on PostgreSQL. n = 0 does nothing.
 */
ol_status ol_storage_set_params(ol_storage *st, int64_t trial_id, const ol_param_rec *params, size_t n,
                                ol_error *err);
/** Record an intermediate value of a RUNNING trial (replaces the same step). */
ol_status ol_storage_set_intermediate(ol_storage *st, int64_t trial_id, int64_t step, double value,
                                      ol_error *err);
/** Set a trial user attribute (JSON value). */
ol_status ol_storage_set_trial_attr(ol_storage *st, int64_t trial_id, const char *key,
                                    const char *value_json, ol_error *err);
/** Set a trial system attribute (JSON value). */
ol_status ol_storage_set_trial_system_attr(ol_storage *st, int64_t trial_id, const char *key,
                                           const char *value_json, ol_error *err);

/**
 * Move a RUNNING trial to a finished state (COMPLETE needs a value; FAIL and
 * PRUNED may pass NULL). If the trial is no longer RUNNING (another worker
 * marked it FAIL), returns OL_ESTATE and changes nothing.
 */
ol_status ol_storage_finish_trial(ol_storage *st, int64_t trial_id, ol_trial_state state,
                                  const double *value, ol_error *err);

/** Refresh the heartbeat of a RUNNING trial. */
ol_status ol_storage_heartbeat(ol_storage *st, int64_t trial_id, ol_error *err);
/**
 * Mark FAIL every RUNNING trial of the study whose heartbeat is older than
 * `grace_seconds`; returns how many in *n_failed.
 */
ol_status ol_storage_fail_stale(ol_storage *st, int64_t study_id, double grace_seconds, int *n_failed,
                                ol_error *err);

/** The last heartbeat of a RUNNING trial. */
typedef struct {
    int64_t trial_id;
    double heartbeat; /**< seconds since the epoch (UTC), in this machine's clock (PostgreSQL's are shifted by
                           the server's clock offset, so an age computed here is right across machines) */
} ol_heartbeat_rec;
/**
 * The last heartbeat of every RUNNING trial of the study that has one (a trial
 * written by a tool that keeps none is absent), by trial id. Read-only: for
 * views such as `optlab serve`, which show how long ago a worker last gave a
 * sign of life. *out is malloc'd (free it; it may be NULL when *n is 0).
 */
ol_status ol_storage_get_heartbeats(ol_storage *st, int64_t study_id, ol_heartbeat_rec **out, size_t *n,
                                    ol_error *err);

/** All trials of a study, by number. Free with ol_trials_free. */
ol_status ol_storage_get_trials(ol_storage *st, int64_t study_id, ol_trial_rec **trials, size_t *n,
                                ol_error *err);
void ol_trials_free(ol_trial_rec *trials, size_t n);
/**
 * Read only what may have changed since an earlier read: the trials of the
 * study whose trial_id is greater than `after_trial_id`, plus those whose ids
 * are listed in `ids` (the ones the caller holds unfinished), by number.
 * *n_total receives how many trials the study holds in the same snapshot, so a
 * caller can tell whether it missed one (a trial committed out of id order by
 * a concurrent writer) and read everything again. Finished trials never
 * change, so a caller that keeps them needs nothing else. Free with
 * ol_trials_free.
 */
ol_status ol_storage_get_trials_since(ol_storage *st, int64_t study_id, int64_t after_trial_id, const int64_t *ids,
                                      size_t n_ids, ol_trial_rec **trials, size_t *n, size_t *n_total,
                                      ol_error *err);
/** Deep copy of one trial record into *dst (free its arrays with ol_trial_rec_clear); 0 or -1 (no memory). */
int ol_trial_rec_copy(ol_trial_rec *dst, const ol_trial_rec *src);
/** Free the arrays of one record (not the record itself) and zero it. */
void ol_trial_rec_clear(ol_trial_rec *t);
/** 1 if `s` is valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF), else 0. */
int ol_utf8_valid(const char *s);

/** Look up an attribute's JSON text by key in an array of attributes (NULL if absent). */
const char *ol_attr_find(const ol_attr_rec *attrs, size_t n, const char *key);

/* ---- for backends: the table each backend fills (see storage.c) ---- */
typedef struct ol_storage_ops ol_storage_ops;

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
