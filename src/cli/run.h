/*
 * run.h — what `optlab run` (cmd_run.c) shares with `optlab worker`
 * (cmd_worker.c): the experiment as a list of studies, and the worker loop
 * (ask → train → tell until every study has its N trials) that both run —
 * `run` in forked children of one machine, `worker` in the process itself on
 * any number of machines sharing a PostgreSQL storage.
 */
#ifndef OPTLAB_CLI_RUN_H
#define OPTLAB_CLI_RUN_H

#include <stdint.h>

#include "experiment.h"
#include "optlab/data.h"
#include "optlab/storage.h"

/** Studies one run or worker handles at most (optimizer sections x repetitions). */
#define RUN_MAX_STUDIES 256

/** Command-line options of `optlab run` (the worker fills the ones it has). */
typedef struct {
    const char *file;
    const char *storage;
    const char *data_dir;
    const char *only;
    const char *report_dir;
    int jobs;
    int trials;     /* 0: the file's */
    int repetition; /* first repetition to run (0: the plain study names) */
    int repeats;    /* how many repetitions, from `repetition` on (at least 1) */
    int no_report;
    int quiet;
} run_options;

/** One study of the experiment as a run sees it. */
typedef struct {
    const exp_optimizer *opt;
    char name[256];     /* study name */
    uint64_t seed;      /* study seed (sampler and trial seeds derive from it) */
    int repeat;         /* repetition index */
    int64_t id;
    /* progress (parent) */
    int done, complete, failed, running;
    double best;
    int best_number;
    int finished; /* all trials done, no RUNNING */
    char *seen;   /* seen[number]: finished trial already reported (plain output) */
    int seen_cap;
} run_study;

/** Everything a worker needs; the studies' ids must be set (studies exist). */
typedef struct {
    const experiment *exp;
    const run_options *opt;
    int trials; /* budget per study */
    run_study studies[RUN_MAX_STUDIES];
    int n_studies;
    ol_splits splits;
    char host[256];           /* HOST of the optlab:worker attribute "HOST:PID" */
    double grace_seconds;     /* a RUNNING trial with an older heartbeat is failed (run: 60) */
    double heartbeat_seconds; /* > 0: a thread refreshes the running trial's heartbeat this often;
                                 0: once per epoch (run's behaviour) */
    int log_trials;           /* print one line per finished trial of this process (worker) */
} run_ctx;

/**
 * The worker loop: for each study in order, fail dead workers' trials (this
 * host's dead PIDs, heartbeats older than grace), ask, train, tell — until
 * the study has its N COMPLETE + PRUNED trials. A full study whose RUNNING
 * trials belong to others is waited for (polling, failing stale ones), so a
 * slot freed by a dead worker is run again. Opens its own storage
 * connection. Returns the exit status (0, 1 on error, 128+signal when
 * stopped by SIGINT/SIGTERM after run_worker_signals()).
 */
int run_worker_main(run_ctx *rc);

/**
 * Name and seed one study of the experiment: "EXPERIMENT/STUDY" for repetition
 * 0, "EXPERIMENT#rR/STUDY" otherwise; a repetition keeps the data split and
 * derives its sampler and initialisation seed from the experiment seed by
 * the name "repeat/R".
 */
void run_study_identity(const experiment *e, const exp_optimizer *eo, int repeat, run_study *s);

/** Load the experiment's dataset and make its splits into rc->splits (from the experiment seed). */
ol_status run_load_splits(run_ctx *rc, const char *data_dir, ol_error *err);

/**
 * Add to rc the studies of repetitions first .. first+count-1: every
 * [optimizer] section, or only the one `only` names (NULL: all). Returns how
 * many were added, or -1 when they would exceed RUN_MAX_STUDIES (err says so).
 */
int run_add_studies(run_ctx *rc, int first, int count, const char *only, ol_error *err);

/** Install the worker's SIGINT/SIGTERM handlers (first: stop after the epoch; again 2 s later: exit). */
void run_worker_signals(void);

/** Check that an existing study was made by this experiment's section (optimizer, seed, dataset). */
int run_check_existing(ol_storage *st, run_study *s, const experiment *e, ol_error *err);

/** Write the study attributes of docs/storage-conventions.md (upserts: safe to repeat). */
ol_status run_write_study_attrs(ol_storage *st, const run_study *s, const run_ctx *rc, ol_error *err);

#endif
