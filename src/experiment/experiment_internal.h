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

/**
 * Check section o's schedule (schedule.c) once the whole file is read: name,
 * keywords and placeholders at every extreme of the searched values, against
 * the optimizer and against the run. On failure *line is the line to cite.
 */
ol_status exp_schedule_validate(const ol_experiment *e, const ol_exp_optimizer *o, int *line, ol_error *err);

#endif
