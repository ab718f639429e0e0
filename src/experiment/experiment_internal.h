/*
 * experiment_internal.h — what the experiment layer's files share and no one
 * else sees: a growing text buffer for JSON attribute values (no fixed
 * buffer that could silently cut a value short), and the heartbeat thread
 * the worker loop (runner.c) runs and the trial objective (trial.c) asks.
 */
#ifndef OPTLAB_EXPERIMENT_INTERNAL_H
#define OPTLAB_EXPERIMENT_INTERNAL_H

#include <stddef.h>

#include "optlab/experiment.h"

/** A growing NUL-terminated text; `failed` is set (and the text kept as it was) when memory runs out. */
typedef struct {
    char *text;
    size_t len, cap;
    int failed;
} exp_text;

/** Append printf-style; never truncates (grows instead). */
void exp_text_printf(exp_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Append `s` as a JSON string (quoted, escaped). */
void exp_text_json_string(exp_text *t, const char *s);
/** Append a number as Python's repr (Optuna's JSON), or null when not finite. */
void exp_text_json_number(exp_text *t, double v);
/** The text ("" when empty); NULL when memory ran out. */
const char *exp_text_str(exp_text *t);
void exp_text_free(exp_text *t);

/** Is the running trial lost (failed as stale by another worker)? 0 without a heartbeat thread. */
int exp_heartbeat_lost(ol_exp_runner *r);
/** Tell the heartbeat thread which trial to keep alive (0: none); no-op without one. */
void exp_heartbeat_set(ol_exp_runner *r, int64_t trial_id);

/* ---- re-evaluation (reeval.c) ---- */

/** One re-evaluation slot: configuration `source` (a trial of the study) trained with fresh seed `seed_index`. */
typedef struct {
    const ol_trial_rec *source; /* the trial whose parameters are retrained */
    int seed_index;             /* 0 .. reevaluate_seeds - 1 */
} exp_reeval_slot;

/** Is this stored trial a re-evaluation trial (system attribute optlab:reeval)? */
int exp_is_reeval(const ol_trial_rec *t);

/**
 * ol_exp_run_trial, or with `slot` a re-evaluation trial: created with its
 * optlab:reeval / optlab:reeval_seed system attributes, the source's
 * parameters fixed, the fresh seed's initialisation and batch order, test
 * accuracy always recorded; given up (status duplicate, FAIL) when another
 * worker took the same slot first.
 */
ol_status exp_run_trial(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s, ol_model *model,
                        const exp_reeval_slot *slot, ol_exp_trial_result *res, ol_error *err);

/**
 * The re-evaluation stage of one study whose search is full: until every slot
 * (selected configuration x seed) is COMPLETE, ask and train the first
 * missing one; wait for slots other workers hold. `study` is opened without
 * a budget. OL_OK when every slot is COMPLETE or when r->stop was set (the caller
 * reports the stop), another status on error.
 */
ol_status exp_reeval_study(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s,
                           ol_model *model, double poll, ol_error *err);

/**
 * Is `slot` held by a trial of the study other than trial `number` with a lower
 * number (RUNNING, COMPLETE, or FAIL for a reason that would repeat)? *taken = 1 if so.
 */
ol_status exp_reeval_slot_taken(ol_storage *st, int64_t study_id, int number, const exp_reeval_slot *slot, int *taken,
                                ol_error *err);

/** The worker loop's event callback, shared with reeval.c. */
void exp_emit(ol_exp_runner *r, ol_exp_event ev);
/** Is r->deadline set and past? Then a worker starts no further trial (--timeout). */
int exp_timed_out(const ol_exp_runner *r);
/** Sleep about `seconds`, waking early when r->stop is set. */
void exp_nap(const ol_exp_runner *r, double seconds);
/**
 * Check section o's schedule (schedule.c) once the whole file is read: name,
 * keywords and placeholders at every extreme of the searched values, against
 * the optimizer and against the run. On failure *line is the line to cite.
 */
ol_status exp_schedule_validate(const ol_experiment *e, const ol_exp_optimizer *o, int *line, ol_error *err);

#endif
