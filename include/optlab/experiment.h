/*
 * optlab/experiment.h — the experiment engine as a library: what `optlab run`
 * and `optlab worker` do, callable from any C program.
 *
 *   experiment file ─► ol_experiment (parsed, checked; spaces are ol_distributions)
 *                   ─► ol_exp_runner: one study per [optimizer] section and repetition
 *                   ─► ol_exp_prepare: studies found or created, checked, attributes written
 *                   ─► ol_exp_worker_run: fail stale ─► ask ─► train ─► tell, until full
 *
 * A minimal program (examples/run_experiment.c does this against SQLite):
 *
 *   ol_experiment e;  ol_exp_runner r;  ol_error err;
 *   ol_experiment_load(&e, "tiny.ini", &err);
 *   ol_exp_runner_init(&r, &e, "sqlite:///t.db", 0);
 *   ol_exp_add_studies(&r, 0, 1, NULL, &err);
 *   ol_exp_load_splits(&r, "data", &err);
 *   ol_exp_prepare(&r, NULL, OL_EXP_CREATE, &err);
 *   ol_exp_worker_run(&r, &err);        // the trials, in this process
 *   ol_exp_runner_free(&r);  ol_experiment_free(&e);
 *
 * The names the engine leaves in storage (study names, attribute keys, trial
 * statuses) are in optlab/conventions.h, which the report reads too.
 *
 * Library code: nothing here prints or exits. Progress reaches the caller
 * through ol_exp_runner.on_event; a stop is asked for by setting
 * ol_exp_runner.stop (from a signal handler too: it is a sig_atomic_t).
 *
 * Thread safety: an ol_experiment is read-only after loading and may be
 * shared by threads; an ol_exp_runner belongs to one thread at a time (its
 * worker loop runs a heartbeat thread of its own, on its own storage
 * connection).
 */
#ifndef OPTLAB_EXPERIMENT_H
#define OPTLAB_EXPERIMENT_H

#include <signal.h>
#include <stdint.h>

#include "optlab/conventions.h"
#include "optlab/core.h"
#include "optlab/data.h"
#include "optlab/hpo.h"
#include "optlab/nn.h"
#include "optlab/storage.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

#define OL_EXP_NAME_MAX 64
#define OL_EXP_MAX_OPTIMIZERS 32
#define OL_EXP_MAX_PARAMS 16
/** Choices of one `choice` line in an experiment file. */
#define OL_EXP_MAX_CHOICES 16
/** Studies one runner handles at most (optimizer sections x repetitions). */
#define OL_EXP_MAX_STUDIES 256

/* ---- parameter specs: one grammar for experiment files and `optlab ask` ---- */

/**
 * One parameter's search space (or fixed value), as written after `NAME =`
 * in an experiment file or after `NAME=` in `optlab ask --param`:
 *
 *   word form (experiment files)       colon form (optlab ask)
 *   0.9              fixed value        float:LOW:HIGH[:log][:step=S]
 *   LOW HIGH         float              int:LOW:HIGH[:log][:step=S]
 *   log LOW HIGH     float, log scale   cat:A,B,C   (string choices)
 *   int [log] LOW HIGH
 *   choice A B ...   numeric choices (true/false read as 1/0)
 *
 * Both forms land in the same ol_distribution: `log 1e-4 1e-2` and
 * `float:1e-4:1e-2:log` give equal distributions with equal JSON.
 */
typedef struct {
    int fixed;            /**< 1: `value` is used as it is, nothing is searched */
    double value;         /**< the fixed value */
    ol_distribution dist; /**< the search space when !fixed (owns its choices) */
    int numeric_choices;  /**< categorical whose choices are numbers (`choice`): ol_param_spec_choice_value reads them */
} ol_param_spec;

/**
 * Parse `text` (either form above) into `out`. `fixed_ok` = 0 refuses a bare
 * value (the colon form never has one). Messages say what is wrong without
 * naming the parameter, which the caller adds ("lr = 2 1: low 2 must be below high 1").
 * On failure `out` holds nothing to free.
 */
ol_status ol_param_spec_parse(const char *text, int fixed_ok, ol_param_spec *out, ol_error *err);
/** The number a numeric choice stands for (its JSON text read back); NAN if `index` is out of range. */
double ol_param_spec_choice_value(const ol_param_spec *p, size_t index);
/** Free what a spec owns. */
void ol_param_spec_free(ol_param_spec *p);

/* ---- the experiment file ---- */

typedef enum { OL_DATASET_MNIST = 0, OL_DATASET_FASHION_MNIST = 1 } ol_exp_dataset;
typedef enum {
    OL_EXP_SAMPLER_TPE = 0,
    OL_EXP_SAMPLER_RANDOM = 1,
    OL_EXP_SAMPLER_GP = 2,
    OL_EXP_SAMPLER_MVTPE = 3,
    OL_EXP_SAMPLER_CMAES = 4
} ol_exp_sampler;
typedef enum { OL_EXP_PRUNER_NONE = 0, OL_EXP_PRUNER_MEDIAN = 1 } ol_exp_pruner;
/** Trial k's initial weights and batch order: the same in every study of a repetition (paired) or its own. */
typedef enum { OL_EXP_INIT_PAIRED = 0, OL_EXP_INIT_INDEPENDENT = 1 } ol_exp_init;
/** The sampler's random stream: the same in every study of a repetition (shared) or its own. */
typedef enum { OL_EXP_STREAM_SHARED = 0, OL_EXP_STREAM_OWN = 1 } ol_exp_stream;

/** "mnist" | "fashion-mnist" (the data layer's corpus name). */
const char *ol_exp_dataset_name(ol_exp_dataset d);
/** "tpe" | "random" | "gp" | "mvtpe" | "cmaes" (the names ol_sampler_new_by_name knows). */
const char *ol_exp_sampler_name(ol_exp_sampler s);
/** "none" | "median". */
const char *ol_exp_pruner_name(ol_exp_pruner p);
/** "paired" | "independent". */
const char *ol_exp_init_name(ol_exp_init i);
/** "shared" | "own". */
const char *ol_exp_stream_name(ol_exp_stream s);
/** OL_LOSS_NAME_REFERENCE | OL_LOSS_NAME_LOGITS (conventions.h). */
const char *ol_exp_loss_name(ol_loss_kind l);

/** One hyperparameter line of an optimizer section. */
typedef struct {
    char name[OL_EXP_NAME_MAX]; /**< registry hyperparameter name = the study's param name */
    ol_param_spec spec;
    int line;                   /**< line in the file, for messages */
    int schedule;               /**< 1: a `schedule.KEY = ...` line: `name` is "schedule.KEY" and its value fills
                                     "$KEY" in the schedule's JSON instead of setting the optimizer */
} ol_exp_param;

/** One `[optimizer NAME]` or `[optimizer NAME as STUDY]` section. */
typedef struct {
    char name[OL_EXP_NAME_MAX];  /**< registry name (aliases are resolved to it) */
    char label[OL_EXP_NAME_MAX]; /**< display label from the registry (", logits loss" appended when
                                      the section's loss differs from the experiment's) */
    char study[OL_EXP_NAME_MAX]; /**< study-name suffix: STUDY, else `name` */
    ol_loss_kind loss;           /**< the section's `loss =`, else the experiment's */
    int loss_set;                /**< the section set its own loss */
    int n_params;
    ol_exp_param params[OL_EXP_MAX_PARAMS];
    int line;
    char schedule[OL_EXP_NAME_MAX]; /**< `schedule = NAME[:JSON]`: torch's schedule name, "" = constant rate */
    char *schedule_json;            /**< its keyword JSON (malloc'd, may hold "$KEY" placeholders), NULL = none */
    int schedule_line;              /**< line of `schedule =`, 0 if none */
} ol_exp_optimizer;

/** A parsed, checked experiment (docs/experiments.md). */
typedef struct {
    char path[512];              /**< the file it came from */
    char name[OL_EXP_NAME_MAX];  /**< experiment name (study prefix) */
    ol_exp_dataset dataset;
    ol_loss_kind loss;           /**< OL_LOSS_SEED is the reference loss (`loss = reference`, old name `seed`) */
    char *model;                 /**< model spec (malloc'd); the seed CNN by default */
    int train, valid_epoch, valid_trial;
    int test;                    /**< test images: 0 = the whole test file, else a random subset */
    int batch_size, patience, max_epochs;
    int trials;
    ol_exp_sampler sampler;
    char *sampler_kwargs;        /**< `sampler_kwargs = {JSON}` (malloc'd, as written; NULL = none): the sampler's
                                      options, Optuna's keyword names (only cmaes has any; checked at load) */
    ol_exp_pruner pruner;
    int pruner_startup;          /**< median pruner: COMPLETE trials before any pruning (5) */
    int pruner_warmup;           /**< median pruner: epochs never pruned at the start of a trial (3) */
    int pruner_interval;         /**< median pruner: check every this many epochs (1) */
    char baseline[OL_EXP_NAME_MAX]; /**< experiment the report compares with ("" = none) */
    uint64_t seed;               /**< the random seed; nothing else is called seed */
    ol_exp_init init;            /**< `init = paired | independent` (paired) */
    ol_exp_stream sampler_stream; /**< `sampler_stream = shared | own` (shared) */
    int reevaluate_top;          /**< re-evaluate the best this many configurations of each study (0: none) */
    int reevaluate_median;       /**< and this many around the median COMPLETE value (0) */
    int reevaluate_seeds;        /**< R fresh seeds per re-evaluated configuration (10) */
    int n_optimizers;
    ol_exp_optimizer optimizers[OL_EXP_MAX_OPTIMIZERS];
} ol_experiment;

/**
 * Parse and check the experiment file at `path`. Every optimizer and
 * hyperparameter is looked up in the optimizer registry; fixed values and
 * ranges must lie in the hyperparameter's valid range. On failure `exp` is
 * left freed and err holds "PATH:LINE: message".
 */
ol_status ol_experiment_load(ol_experiment *exp, const char *path, ol_error *err);
/** Same, from text in memory; `origin` names it in messages. */
ol_status ol_experiment_parse_string(ol_experiment *exp, const char *text, const char *origin, ol_error *err);
/** Free what loading allocated (safe on a zeroed or freed struct). */
void ol_experiment_free(ol_experiment *exp);
/**
 * The section's schedule keyword JSON with every "$KEY" placeholder replaced by
 * values[i] of its `schedule.KEY` parameter params[i] (values has n_params
 * entries; non-schedule entries are ignored). *out is malloc'd JSON text, NULL
 * when the section has no keywords. Fails naming a placeholder without a line.
 */
ol_status ol_exp_schedule_kwargs(const ol_exp_optimizer *o, const double *values, char **out, ol_error *err);
/**
 * "NAME" or "NAME:JSON" as the file wrote it (placeholders kept), for the
 * study attribute optlab:schedule and the report; "" without a schedule.
 */
void ol_exp_schedule_text(const ol_exp_optimizer *o, char *buf, size_t n);
/** An optimizer section by study name, else by registry name or alias (the first such); NULL if absent. */
const ol_exp_optimizer *ol_experiment_find_optimizer(const ol_experiment *exp, const char *name);
/**
 * Is `name` safe as a study-name component? Letters, digits, '_', '-', '.',
 * '+' only, under OL_EXP_NAME_MAX; the message names the character and its position.
 */
ol_status ol_experiment_check_name(const char *name, const char *what, ol_error *err);
/**
 * Is `name` acceptable as a study name given on a command line? Rejects
 * empty names, quotes, backslashes and control characters, which survive
 * storage but break the shell lines and reports that quote study names.
 */
ol_status ol_experiment_check_study_name(const char *name, ol_error *err);

/* ---- the runner: studies, trials, workers ---- */

/** One study of the experiment as a runner sees it. */
typedef struct {
    const ol_exp_optimizer *opt;
    char name[256]; /**< study name (conventions.h: ol_study_name_make) */
    uint64_t seed;  /**< study seed (sampler and trial seeds derive from it) */
    int repeat;     /**< repetition index */
    int64_t id;     /**< storage id, set by ol_exp_prepare */
} ol_exp_study;

/** What a worker loop reports (ol_exp_runner.on_event). */
typedef enum {
    OL_EXP_EVENT_TRIAL_DONE = 0, /**< a trial of this process was told (trial_number, state, value, ...) */
    OL_EXP_EVENT_TRIAL_LOST,     /**< a trial was failed as stale by another worker before it was told */
    OL_EXP_EVENT_STALE_FAILED,   /**< count trials of dead workers (or stale heartbeats) were marked FAIL */
    OL_EXP_EVENT_WAITING,        /**< the study is full, count trials of other workers still run */
    OL_EXP_EVENT_SAMPLER_NOTE    /**< the sampler fell back for one ask (message says why; e.g. a GP fit failed) */
} ol_exp_event_kind;

/** One event of the worker loop. */
typedef struct {
    ol_exp_event_kind kind;
    const ol_exp_study *study;
    int trial_number;
    ol_trial_state state;   /**< TRIAL_DONE: how it was told */
    double value;           /**< TRIAL_DONE: the value (COMPLETE) */
    int epochs;             /**< TRIAL_DONE: epochs trained */
    double seconds;         /**< TRIAL_DONE: training seconds */
    const char *status;     /**< TRIAL_DONE: an OL_TRIAL_STATUS_* word */
    int count;              /**< STALE_FAILED, WAITING */
    const char *message;    /**< SAMPLER_NOTE: one line from the sampler */
} ol_exp_event;

/** Called by the worker loop, from the thread that runs it. */
typedef void (*ol_exp_event_fn)(void *user, const ol_exp_event *ev);

/**
 * Everything a worker needs. Initialise with ol_exp_runner_init, add
 * studies, load splits, prepare, then run. Fields may be changed between
 * init and run.
 */
typedef struct {
    const ol_experiment *exp;
    const char *storage_url;  /**< each worker opens its own connection to it */
    int trials;               /**< budget per study (COMPLETE + PRUNED) */
    ol_exp_study studies[OL_EXP_MAX_STUDIES];
    int n_studies;
    ol_splits splits;
    char host[256];           /**< HOST of the optlab:worker attribute "HOST:PID" */
    double grace_seconds;     /**< a RUNNING trial with an older heartbeat is failed (default 60) */
    double heartbeat_seconds; /**< > 0: a thread refreshes the running trial's heartbeat this often;
                                   0 (default): once per epoch */
    ol_exp_event_fn on_event; /**< may be NULL */
    void *user;               /**< passed to on_event */
    volatile sig_atomic_t stop; /**< set non-zero (e.g. to a signal number) to stop after the epoch */
    double deadline;            /**< > 0: an ol_now() time (monotonic, so shared by forked workers) after
                                     which a worker starts no trial: its running trial finishes and is
                                     stored, then ol_exp_worker_run returns OL_OK (Optuna's timeout) */
    void *heartbeat_;           /**< private: the worker loop's heartbeat thread while it runs */
} ol_exp_runner;

/** Zero `r` and set its defaults: the file's trials (or `trials` if > 0), grace 60 s, heartbeat per epoch, this host. */
void ol_exp_runner_init(ol_exp_runner *r, const ol_experiment *exp, const char *storage_url, int trials);
/** Free the runner's splits (the runner struct itself is the caller's). */
void ol_exp_runner_free(ol_exp_runner *r);

/**
 * Name and seed one study: "EXPERIMENT/STUDY" for repetition 0,
 * "EXPERIMENT#rR/STUDY" otherwise; a repetition keeps the data split and
 * derives its sampler and initialisation seed from the experiment seed by
 * the name "repeat/R".
 */
void ol_exp_study_identity(const ol_experiment *e, const ol_exp_optimizer *eo, int repeat, ol_exp_study *s);

/**
 * Add the studies of repetitions first .. first+count-1: every optimizer
 * section, or only the one `only` names (NULL: all). Returns how many were
 * added, or -1 when they would exceed OL_EXP_MAX_STUDIES (err says so).
 */
int ol_exp_add_studies(ol_exp_runner *r, int first, int count, const char *only, ol_error *err);

/** Load the experiment's dataset from `data_dir` (NULL: $OPTLAB_DATA, else ./data) and make the splits (experiment seed). */
ol_status ol_exp_load_splits(ol_exp_runner *r, const char *data_dir, ol_error *err);

/** How ol_exp_prepare treats studies missing from the storage. */
typedef enum {
    OL_EXP_CREATE = 0,     /**< check every existing study first, then create the missing ones (optlab run) */
    OL_EXP_CREATE_RACING   /**< find or create each in turn, another process may create it at the same moment (optlab worker) */
} ol_exp_create_mode;

/**
 * Make the runner's studies ready in `st` (a connection of the caller's):
 * existing ones must maximize and have been made by this experiment's
 * sections (optimizer, seed, dataset, loss); missing ones are created; the
 * study attributes of conventions.h are written (upserts); trials left
 * RUNNING by dead workers are marked FAIL, their number per study added to
 * n_failed[i] when n_failed is not NULL. Sets every study's id.
 */
ol_status ol_exp_prepare(ol_exp_runner *r, ol_storage *st, ol_exp_create_mode mode, int *n_failed, ol_error *err);

/** Check that an existing study was made by this experiment's section (optimizer, seed, dataset, loss). */
ol_status ol_exp_check_existing(ol_storage *st, const ol_exp_study *s, const ol_experiment *e, ol_error *err);

/** Write the study attributes of docs/storage-conventions.md (upserts: safe to repeat). */
ol_status ol_exp_write_study_attrs(ol_storage *st, const ol_exp_study *s, const ol_exp_runner *r, ol_error *err);

/**
 * Mark FAIL the study's RUNNING trials whose worker ran on r->host and is
 * gone, and those whose heartbeat is older than r->grace_seconds. Returns
 * how many, or -1 with err set.
 */
int ol_exp_fail_dead_trials(const ol_exp_runner *r, ol_storage *st, int64_t study_id, ol_error *err);

/** What one trial came to (ol_exp_run_trial). */
typedef struct {
    int number;           /**< trial number, -1 if none was asked */
    ol_trial_state state; /**< how it was told */
    double value;         /**< valid-trial accuracy (COMPLETE) */
    const char *status;   /**< OL_TRIAL_STATUS_* */
    int epochs;
    double seconds;
    int lost;             /**< failed as stale by another worker before it was told */
} ol_exp_trial_result;

/**
 * The trial objective: ask `study` for a trial of runner study `s`, turn its
 * parameters into optimizer settings, train `model` on the runner's splits
 * (intermediate values and pruning each epoch), classify the outcome
 * (COMPLETE, PRUNED, FAIL; status ok / pruned / interrupted / diverged /
 * never_learned), evaluate the test split if it is the study's best so far,
 * write the trial attributes and tell. `st` is the study's storage.
 * OL_OK when told (or taken away by another worker: res->lost), OL_ESTOPPED
 * when the study is full, another status on error (the trial is then FAIL).
 */
ol_status ol_exp_run_trial(ol_exp_runner *r, ol_storage *st, ol_study *study, const ol_exp_study *s, ol_model *model,
                           ol_exp_trial_result *res, ol_error *err);

/**
 * The worker loop in the calling process: for each study in order, fail
 * dead workers' trials, ask, train, tell — until the study has its N
 * COMPLETE + PRUNED trials. A full study whose RUNNING trials belong to
 * others is waited for (polling, failing stale ones), so a slot freed by a
 * dead worker is run again. Opens its own storage connection (and a second
 * one for the heartbeat thread when r->heartbeat_seconds > 0). OL_OK when
 * every study is full, OL_ESTOPPED when r->stop was set, another status on error.
 */
ol_status ol_exp_worker_run(ol_exp_runner *r, ol_error *err);

/** A worker stops a study (OL_EINVAL, naming the study and the last trial's status) after
 *  this many of its trials in a row ended FAIL: FAIL does not count against the budget,
 *  so a study whose every trial fails (a diverging learning rate) would otherwise never end. */
#define OL_EXP_MAX_FAILS_IN_A_ROW 20

/** A study's progress as stored now. */
typedef struct {
    int done;        /**< COMPLETE + PRUNED */
    int complete, failed, running;
    double best;     /**< best COMPLETE value, -inf if none */
    int best_number; /**< its trial number, -1 if none */
    int reeval;      /**< COMPLETE re-evaluation trials (optlab:reeval), counted in none of the above */
} ol_exp_progress;

/** Count a study's trials (from ol_storage_get_trials' records); re-evaluation trials count only in `reeval`. */
void ol_exp_progress_count(const ol_trial_rec *trials, size_t n, ol_exp_progress *p);

/* ---- diagnostics: why a trial never learns ---- */

/** A sigmoid output below / above these is saturated (derivative y(1-y) < 0.0099). */
#define OL_DIAG_SIGMOID_LOW 0.01
#define OL_DIAG_SIGMOID_HIGH 0.99

typedef struct ol_exp_diag ol_exp_diag;

/**
 * Diagnostics for one trial of `model` trained with `loss`, measured on the
 * first min(batch, data->n) images of `data` after each of the first
 * OL_DIAG_EPOCHS epochs: one forward + backward on that fixed batch and one
 * pass over the activations. The trainer's next step overwrites what this
 * leaves, so recording diagnostics does not change the training run. NULL
 * when out of memory (the trial then has no diagnostics).
 */
ol_exp_diag *ol_exp_diag_new(ol_model *model, const ol_dataset *data, ol_loss_kind loss, int batch);
/** Take the diagnostics after epoch `epoch0` (from 0); ignored when epoch0 >= OL_DIAG_EPOCHS. */
void ol_exp_diag_after_epoch(ol_exp_diag *d, int epoch0);
/** The recorded diagnostics as JSON text (malloc'd; NULL if none were taken); docs/never-learn.md. */
char *ol_exp_diag_json(const ol_exp_diag *d);
void ol_exp_diag_free(ol_exp_diag *d);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
