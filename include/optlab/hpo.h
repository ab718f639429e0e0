/*
 * optlab/hpo.h — hyperparameter optimisation that knows nothing of neural
 * networks: search-space distributions (Optuna 3.1's Float/Int/Categorical,
 * with their exact JSON text), samplers behind one interface (random, and TPE
 * following Optuna 3.1's default TPESampler), and a define-by-run study with
 * an ask/tell API kept in any ol_storage (memory:, SQLite, PostgreSQL).
 *
 *   ol_study *s;  ol_sampler *tpe;
 *   ol_sampler_tpe_new(&tpe, NULL, &err);
 *   ol_study_open(&s, storage, &(ol_study_options){.name = "q", .maximize = 0,
 *                 .seed = 1, .n_trials = 70, .sampler = tpe}, &err);
 *   while (ol_study_ask(s, &t, &err) == OL_OK) {      // OL_ESTOPPED: study full
 *       ol_trial_suggest_float(t, "x", -5, 5, 0, 0, &x, &err);
 *       ol_study_tell(s, t, OL_TRIAL_COMPLETE, x * x, &err);   // frees t
 *   }
 *
 * Randomness: each (trial number, parameter name) draws from its own stream
 * derived from the study seed, so a resumed study reproduces an uninterrupted
 * one and adding a parameter never shifts the others.
 */
#ifndef OPTLAB_HPO_H
#define OPTLAB_HPO_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"
#include "optlab/storage.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/* ---- distributions ---- */

typedef enum { OL_DIST_FLOAT = 0, OL_DIST_INT = 1, OL_DIST_CATEGORICAL = 2 } ol_dist_kind;

/**
 * A parameter's distribution, as Optuna 3.1's FloatDistribution,
 * IntDistribution and CategoricalDistribution. Values have an external form
 * (the float, the integer, the choice) and an internal one stored in trials
 * (the value itself for float/int, the choice's index for categorical).
 * Thread safety: a plain value, read-only once made: shareable between threads.
 */
typedef struct {
    ol_dist_kind kind;
    double low, high;     /**< float/int bounds, inclusive */
    int log;              /**< sample uniformly in log space */
    double step;          /**< float: 0 = continuous, else grid step; int: >= 1 */
    size_t n_choices;     /**< categorical */
    char **choices_json;  /**< categorical: each choice as JSON text ("\"adam\"", "0.5", "null") */
} ol_distribution;

/** A float distribution (step 0 = continuous). Validated as ol_distribution_check. */
ol_status ol_dist_float(ol_distribution *d, double low, double high, int log, double step, ol_error *err);
/** An int distribution (step >= 1; log needs step 1). */
ol_status ol_dist_int(ol_distribution *d, int64_t low, int64_t high, int log, int64_t step, ol_error *err);
/** A categorical distribution over string choices (copied). */
ol_status ol_dist_categorical(ol_distribution *d, const char *const *choices, size_t n, ol_error *err);
/** Free what a distribution owns (its choices); the struct itself is the caller's. */
void ol_distribution_free(ol_distribution *d);

/**
 * Check a distribution, naming `param` in the message: low >= high, log with
 * low <= 0, log with a step other than 1 (int) or 0 (float), a non-positive
 * step, a range not a whole number of steps (Optuna would silently shrink
 * high), non-finite bounds, an empty categorical are OL_EINVAL.
 */
ol_status ol_distribution_check(const ol_distribution *d, const char *param, ol_error *err);

/** Optuna 3.1's distribution JSON text, exactly as it writes it. Caller frees. NULL on OOM. */
char *ol_distribution_to_json(const ol_distribution *d);
/** Parse Optuna's distribution JSON (Float, Int, Categorical, and the 2.x Uniform/LogUniform/... names). */
ol_status ol_distribution_from_json(ol_distribution *d, const char *json, ol_error *err);
/** Same kind, bounds, log, step and choices? */
int ol_distribution_equal(const ol_distribution *a, const ol_distribution *b);
/** Is an internal value a valid point of the distribution (on its grid, in range)? */
int ol_distribution_contains(const ol_distribution *d, double internal);

/** Format a double as Python's repr() does ("0.0001", "1e-05", "1.0"): for Optuna-exact JSON. */
void ol_format_pyfloat(char *buf, size_t n, double v);

/* ---- samplers ---- */

/** Store a system attribute (key, JSON value) on the trial being sampled (see ol_sample_ctx.tag). */
typedef ol_status (*ol_sample_tag_fn)(void *tag_ctx, const char *key, const char *value_json, ol_error *err);

/** Work a sampler keeps in a study between its asks (see ol_sample_ctx.memo): `owner` says which
 *  sampler code filled `data` (another one clears it first), `free_data` frees it. All zero: empty.
 *  Thread safety: the study's, one thread at a time. */
typedef struct {
    const void *owner;
    void *data;
    void (*free_data)(void *data);
} ol_sampler_memo;

/** What a sampler sees when asked for one parameter of one trial. */
typedef struct {
    const ol_trial_rec *trials; /**< the study's trials (all states) as of the ask, by number */
    size_t n_trials;
    int maximize;
    uint64_t seed;          /**< the study seed */
    int trial_number;       /**< the trial being sampled */
    const char *param_name;
    const ol_distribution *dist;
    const char *dist_json;  /**< dist's JSON text (history with the same text is the same distribution) */
    /** Set by the study (NULL elsewhere): a sampler that must remember something about the trial
     *  it samples (CMA-ES: the generation it was drawn from) stores it as a system attribute of
     *  that trial with tag(tag_ctx, key, value_json, err). */
    ol_sample_tag_fn tag;
    void *tag_ctx;
    /** Set by the study (NULL elsewhere): where the digest of this trial's history is kept once a
     *  joint sampler has computed it (0 = not yet), so its other suggests need not digest it again. */
    uint64_t *history_key_memo;
    /** Set by the study (NULL elsewhere): the study's memo, kept until it closes. Finished trials
     *  never change, so what a sampler derived from one (identified by its trial_id) holds at every
     *  later ask; TPE keeps each finished trial's rank and parameter value there, so a long
     *  history is not searched by name again at every ask. The draws are the same without it. */
    ol_sampler_memo *memo;
} ol_sample_ctx;

/** A sampler: one function that draws an internal value for ctx's parameter.
 *  Thread safety: read-only after creation (its state is its options): studies in
 *  several threads may share one sampler. */
typedef struct ol_sampler ol_sampler;
struct ol_sampler {
    const char *name; /**< "random", "tpe", "mvtpe", "gp", "cmaes" */
    ol_status (*sample)(const ol_sampler *self, const ol_sample_ctx *ctx, double *internal, ol_error *err);
    void (*destroy)(ol_sampler *self);
    void *state; /**< sampler-specific options */
};

/** Options of the TPE sampler; ol_tpe_defaults() gives Optuna 3.1's defaults. */
typedef struct {
    int n_startup_trials;   /**< 10: random until this many COMPLETE+PRUNED trials */
    int n_ei_candidates;    /**< 24 candidates drawn from l(x) */
    double prior_weight;    /**< 1.0 */
    int consider_magic_clip;/**< 1 */
    int consider_endpoints; /**< 0 */
    int gamma_max;          /**< 25: gamma(n) = min(ceil(0.1 n), gamma_max) */
    int constant_liar;      /**< 1 (optlab's default; Optuna 3.1's is off): other RUNNING trials
                                 count as the worst observations ("above"), so parallel workers
                                 do not all sample near the same point. With one worker asking
                                 in turn there are none, and the draws equal Optuna's default. */
} ol_tpe_options;

ol_tpe_options ol_tpe_defaults(void);
/** Uniform sampling (log space for log distributions), as Optuna's RandomSampler. */
ol_status ol_sampler_random_new(ol_sampler **out, ol_error *err);
/** TPE as Optuna 3.1's default TPESampler (opt NULL = defaults). */
ol_status ol_sampler_tpe_new(ol_sampler **out, const ol_tpe_options *opt, ol_error *err);
/** A sampler's note to its user: one line, e.g. why an ask fell back to random. */
typedef void (*ol_sampler_log_fn)(void *log_ctx, const char *msg);

/**
 * Options of the Gaussian-process sampler (src/hpo/gp.c describes the model:
 * Matérn-5/2 ARD on the unit cube, marginal-likelihood fit, log-EI).
 */
typedef struct {
    int n_startup_trials; /**< 10: random until this many COMPLETE trials */
    int constant_liar;    /**< 1: other RUNNING trials count as the worst observed value */
    /** Called (if not NULL) when an ask cannot build its model and draws at random
     *  instead (all values equal, a matrix not positive definite): the reason, one line. */
    ol_sampler_log_fn log;
    void *log_ctx;
} ol_gp_options;

ol_gp_options ol_gp_defaults(void);
/** The Gaussian-process sampler (opt NULL = defaults); n_startup_trials < 1 is OL_EINVAL. */
ol_status ol_sampler_gp_new(ol_sampler **out, const ol_gp_options *opt, ol_error *err);
/** Set a GP sampler's fallback log callback (see ol_gp_options.log); no effect on other samplers. */
void ol_sampler_gp_set_log(ol_sampler *s, ol_sampler_log_fn log, void *log_ctx);
/**
 * Multivariate TPE as Optuna 3.1's TPESampler(multivariate=True): one joint
 * Parzen estimator over the parameters every finished trial holds (the file
 * comment of src/hpo/mvtpe.c gives the rules); other parameters by the
 * univariate TPE. The options are the TPE's (opt NULL = defaults, the liar on).
 */
ol_status ol_sampler_mvtpe_new(ol_sampler **out, const ol_tpe_options *opt, ol_error *err);
/**
 * A source task for the CMA-ES warm start (WS-CMA-ES, Nomura et al., AAAI 2021; Optuna's
 * source_trials): a finished study whose best trials say where to begin. Its search space is the
 * float/int parameters (not single-valued) that all its COMPLETE trials hold with one
 * distribution; a target study uses it when its own CMA-ES space is the same (names and
 * distributions). "Best" follows the source's own direction.
 */
typedef struct {
    const char *name;            /**< for messages (the study's name) */
    const ol_trial_rec *trials;  /**< its trials, any states (read during ol_sampler_cmaes_new only) */
    size_t n_trials;
    int maximize;                /**< the source study's direction */
} ol_cmaes_source;

/** The warm start's defaults, the cmaes package's get_warm_start_mgd's (which Optuna uses, fixed):
 *  the best gamma fraction of a source's COMPLETE trials (floor(gamma N) of them, at least one) and
 *  the prior alpha^2 I added to their covariance, on the unit cube (Optuna: in raw units). */
#define OL_CMAES_WS_GAMMA 0.1
#define OL_CMAES_WS_ALPHA 0.1

/**
 * Options of the CMA-ES sampler (src/hpo/cmaes.c: Hansen's tutorial, IPOP restarts, on the unit
 * cube of the float and int parameters); ol_cmaes_defaults() gives them. Optuna's CmaEsSampler
 * names are kept.
 */
typedef struct {
    int n_startup_trials;  /**< 1 (Optuna's): the independent sampler until this many COMPLETE trials */
    int popsize;           /**< 0: 4 + floor(3 ln n) for n parameters; else >= 2 */
    double sigma0;         /**< 0: 1/6 of the unit cube's side (Optuna's min range / 6); else in (0, 1] */
    int restart_ipop;      /**< 1 (restart_strategy "ipop", optlab's default; Optuna's is none): restart
                                with inc_popsize times the population when a termination criterion hits */
    int inc_popsize;       /**< 2: IPOP's population factor, >= 2 */
    int independent_tpe;   /**< 0: parameters CMA-ES does not handle (categorical, conditional, a
                                one-parameter space) and the start-up are drawn at random; 1: by TPE */
    const char *x0_json;   /**< NULL (the cube's centre) or a JSON object {"name": external value}: the first
                                mean (copied by ol_sampler_cmaes_new) */
    int with_margin;       /**< 0; 1: CMA-ES with Margin (Hamano et al., GECCO 2022) on the int and stepped
                                float parameters: the probability of leaving the mean's grid value is kept
                                >= 1 / (n lambda) (each side >= half of it) */
    const ol_cmaes_source *sources; /**< NULL, or n_sources source tasks for the warm start (read, with
                                their trials, by ol_sampler_cmaes_new only); not with x0 or sigma0 */
    size_t n_sources;
    double source_gamma;   /**< 0: OL_CMAES_WS_GAMMA; else in (0, 1]: the fraction of best source trials */
    double source_alpha;   /**< 0: OL_CMAES_WS_ALPHA; else in (0, 1]: the prior's scale on the unit cube */
    /** Called (if not NULL) when an ask leaves CMA-ES for the independent sampler (a one-parameter
     *  space): the reason, one line. */
    ol_sampler_log_fn log;
    void *log_ctx;
} ol_cmaes_options;

/** The system attributes CMA-ES tags each trial it draws with: the restart and the generation
 *  (JSON integers) whose distribution drew it. The sampler's state is recomputed from them. */
#define OL_CMAES_ATTR_RESTART "optlab:cma:restart"
#define OL_CMAES_ATTR_GENERATION "optlab:cma:generation"
/** With with_margin, also the point CMA-ES drew on the unit cube before the grid values were read
 *  from it (a JSON array, by parameter name): what the update is told (Optuna's x_for_tell). */
#define OL_CMAES_ATTR_X "optlab:cma:x"

ol_cmaes_options ol_cmaes_defaults(void);
/** The CMA-ES sampler (opt NULL = defaults); bad options are OL_EINVAL naming the option. */
ol_status ol_sampler_cmaes_new(ol_sampler **out, const ol_cmaes_options *opt, ol_error *err);
/**
 * Parse Optuna-style keyword arguments of CmaEsSampler, a JSON object (NULL or "" = none):
 * n_startup_trials, popsize, sigma0, restart_strategy ("ipop" | "none" | null), inc_popsize,
 * x0 (object), independent_sampler ("random" | "tpe"), with_margin (bool), source_study (a study
 * name or an array of them: checked for form here, read by ol_sampler_new_in_storage; not with x0
 * or sigma0), source_gamma and source_alpha (optlab's, in (0, 1]); "seed" is accepted and ignored (the study's seed rules). Into *opt (which should hold
 * the defaults); *x0_json receives a malloc'd copy of x0's text (or NULL) that opt->x0_json then
 * points at: the caller frees it. An unknown key or a bad value is OL_EINVAL naming it.
 */
ol_status ol_cmaes_options_from_json(const char *json, ol_cmaes_options *opt, char **x0_json, ol_error *err);
/**
 * The source studies a CMA-ES kwargs object names (its "source_study": a name or an array of names),
 * malloc'd (free each, then the array); *n = 0 when it names none. Bad JSON is OL_EINVAL.
 */
ol_status ol_cmaes_source_names(const char *json, char ***names, size_t *n, ol_error *err);
/**
 * Does a CMA-ES sampler's warm start fit a target space, given before any trial? names/dists are
 * the target's searched parameters (categoricals and single-valued ones are skipped here). OL_OK when
 * the sampler has no source, or the float/int ones are exactly one source's space; else OL_EINVAL
 * saying what differs. Samplers other than cmaes: OL_OK.
 */
ol_status ol_sampler_cmaes_check_space(const ol_sampler *s, const char *const *names, const ol_distribution *dists,
                                       size_t n, ol_error *err);
/** "random", "tpe", "mvtpe", "gp" or "cmaes" (for command lines and experiment files). */
ol_status ol_sampler_new_by_name(ol_sampler **out, const char *name, ol_error *err);
/** A sampler by name with keyword arguments (JSON object text; NULL = defaults). Only cmaes reads
 *  any; for the others anything but {} or {"seed": N} is OL_EINVAL. */
ol_status ol_sampler_new_by_name_kwargs(ol_sampler **out, const char *name, const char *kwargs_json, ol_error *err);
/** As ol_sampler_new_by_name_kwargs, and a cmaes "source_study" (docs/hpo.md) is read from st: each
 *  named study must exist there and have enough COMPLETE trials (OL_EINVAL naming it otherwise).
 *  ol_sampler_new_by_name_kwargs refuses source_study, having no storage to read it from. */
ol_status ol_sampler_new_in_storage(ol_sampler **out, const char *name, const char *kwargs_json, ol_storage *st,
                                    ol_error *err);
/** Check a sampler's name and kwargs without making it (source studies are not looked up): for an
 *  experiment file read before its storage is known. */
ol_status ol_sampler_check_kwargs(const char *name, const char *kwargs_json, ol_error *err);
/** Set the log callback of a sampler that has one (gp, cmaes); no effect on the others. */
void ol_sampler_set_log(ol_sampler *s, ol_sampler_log_fn log, void *log_ctx);
void ol_sampler_free(ol_sampler *s);

/* ---- pruners ---- */

/**
 * What a pruner sees when a running trial asks whether to stop at `step`:
 * the study's trials as stored now (all states, the asking one included,
 * each with its intermediate values sorted by step).
 */
typedef struct {
    const ol_trial_rec *trials;
    size_t n_trials;
    int maximize;
    int trial_number; /**< the trial asking */
    int64_t step;     /**< the step it just reported */
} ol_prune_ctx;

/** A pruner: one function that says whether ctx's trial should stop now.
 *  Thread safety: read-only after creation, shareable between threads like a sampler. */
typedef struct ol_pruner ol_pruner;
struct ol_pruner {
    const char *name; /**< "median" */
    ol_status (*should_prune)(const ol_pruner *self, const ol_prune_ctx *ctx, int *prune, ol_error *err);
    void (*destroy)(ol_pruner *self);
    void *state; /**< pruner-specific options */
};

/**
 * Options of the median pruner (Optuna 3.1's MedianPruner = PercentilePruner
 * at 50 %). At a step s >= n_warmup_steps on the interval grid
 * ((s - n_warmup_steps) % interval_steps == 0), once at least
 * n_startup_trials trials are COMPLETE: prune when the trial's best
 * intermediate value so far (steps <= s) is worse than the median of the
 * COMPLETE trials' values at step s (those that reached s; at least
 * n_min_trials of them, else no pruning). A trial whose values so far are
 * all NaN is pruned.
 */
typedef struct {
    int n_startup_trials; /**< 5 */
    int n_warmup_steps;   /**< 0 (Optuna's default; optlab's experiment files default to 3) */
    int interval_steps;   /**< 1 */
    int n_min_trials;     /**< 1 */
} ol_median_pruner_options;

ol_median_pruner_options ol_median_pruner_defaults(void);
/** A median pruner (opt NULL = defaults); bad options (negative, interval < 1, min < 1) are OL_EINVAL. */
ol_status ol_pruner_median_new(ol_pruner **out, const ol_median_pruner_options *opt, ol_error *err);
void ol_pruner_free(ol_pruner *p);

/**
 * The median pruner's decision as a pure function (no storage): what
 * ol_pruner_median_new's should_prune computes. For tests and for callers
 * holding the history themselves.
 */
int ol_median_prune_decision(const ol_median_pruner_options *opt, const ol_prune_ctx *ctx);

/* ---- study and trials ---- */

/* Thread safety: a study and its trials are not thread-safe, and they use the
 * ol_storage they were opened on: give each thread (or process) its own storage and
 * study object; they cooperate through the storage, as Optuna's workers do. */
typedef struct ol_study ol_study;
typedef struct ol_trial ol_trial;

typedef struct {
    const char *name;          /**< study name in the storage */
    int maximize;              /**< direction */
    uint64_t seed;             /**< one seed fixes every sampler draw */
    int n_trials;              /**< budget shared by all processes (COMPLETE+PRUNED+RUNNING); <= 0: none */
    const ol_sampler *sampler; /**< borrowed; must outlive the study */
    const ol_pruner *pruner;   /**< borrowed, may be NULL (never prune); must outlive the study */
    const char *ignore_attr;   /**< may be NULL; trials carrying this system attribute are left out of the
                                    history the sampler and the pruner see (e.g. optlab's re-evaluation
                                    trials, "optlab:reeval": stored in the study, never learned from) */
} ol_study_options;

/**
 * Open the study `opt->name` in `st`, creating it if absent. An existing study
 * with the other direction is an OL_EINVAL error naming both.
 */
ol_status ol_study_open(ol_study **out, ol_storage *st, const ol_study_options *opt, ol_error *err);
void ol_study_close(ol_study *s);
int64_t ol_study_id(const ol_study *s);

/**
 * Fix a parameter for every trial asked from now on (like Optuna's
 * enqueue_trial): suggest returns `external_value` (the float, the integer,
 * or a categorical choice's index) if it lies in the distribution, and
 * records it; the trial's system attribute "fixed_params" lists them.
 */
ol_status ol_study_fix_param(ol_study *s, const char *name, double external_value, ol_error *err);

/**
 * Start a trial: created through ol_storage_create_trial with the study's
 * budget, so processes sharing a storage never exceed it. OL_ESTOPPED (and
 * *out = NULL) when the study is full. The history the sampler sees is read once here:
 * the study keeps the trials it has read, and reads only those that are new or were
 * unfinished at its last read (finished trials never change). A study and its trials
 * are used by one thread at a time; the study must outlive its trials.
 */
ol_status ol_study_ask(ol_study *s, ol_trial **out, ol_error *err);
/**
 * ol_study_ask whose trial is created together with `n_attrs` system
 * attributes in one storage transaction (ol_storage_create_trial_with_attrs):
 * e.g. {"optlab:worker", "\"HOST:PID\""}, so a process killed right after
 * the ask never leaves a RUNNING trial without its owner.
 */
ol_status ol_study_ask_with_attrs(ol_study *s, const ol_attr_rec *system_attrs, size_t n_attrs, ol_trial **out,
                                  ol_error *err);

/**
 * Finish a trial and free it (also on error). COMPLETE records `value`;
 * a NaN value is stored as FAIL (as Optuna does). PRUNED and FAIL ignore value;
 * a PRUNED trial gets its last reported intermediate value (as Optuna 3.1).
 */
ol_status ol_study_tell(ol_study *s, ol_trial *t, ol_trial_state state, double value, ol_error *err);

/**
 * Read the study's trials now, as the next ask would (that ask then reads only
 * what changed since). A command that must not write to a damaged storage
 * calls it before its first ask: a damaged page the study needs is refused
 * here (OL_EFORMAT), before the ask creates a trial.
 */
ol_status ol_study_load(ol_study *s, ol_error *err);

/** Give up a trial without telling (it stays RUNNING in storage; for crashes in tests). */
void ol_trial_abandon(ol_trial *t);

int ol_trial_number(const ol_trial *t);
int64_t ol_trial_id(const ol_trial *t);

/** Fix a parameter for this trial only (see ol_study_fix_param). */
ol_status ol_trial_fix_param(ol_trial *t, const char *name, double external_value, ol_error *err);

/**
 * Suggest a value for `name` from `d` and record it with its Optuna JSON.
 * Suggesting the same name again in a trial returns the same value if the
 * distribution is equal, and is OL_EINVAL if it differs. *internal receives
 * the internal value.
 */
ol_status ol_trial_suggest(ol_trial *t, const char *name, const ol_distribution *d, double *internal, ol_error *err);
/**
 * Suggest n parameters at once: internal[i] receives the value that
 * ol_trial_suggest(t, names[i], &dists[i], ...) called for i = 0, 1, ... in
 * turn would give, bit for bit, but the new ones are recorded in one storage
 * transaction (ol_storage_set_params) instead of one each: one commit for an
 * ask's parameters. On an error none of this call's parameters is recorded
 * or kept by the trial; a parameter that could not be drawn is named first
 * in the message ("parameter lr: ...").
 */
ol_status ol_trial_suggest_many(ol_trial *t, const char *const *names, const ol_distribution *dists, size_t n,
                                double *internal, ol_error *err);
/** Float in [low, high] (log: sampled in log space; step 0 = continuous). */
ol_status ol_trial_suggest_float(ol_trial *t, const char *name, double low, double high, int log, double step,
                                 double *out, ol_error *err);
/** Integer in [low, high] on the grid low + k*step. */
ol_status ol_trial_suggest_int(ol_trial *t, const char *name, int64_t low, int64_t high, int log, int64_t step,
                               int64_t *out, ol_error *err);
/** One of n string choices; *index receives its index. */
ol_status ol_trial_suggest_categorical(ol_trial *t, const char *name, const char *const *choices, size_t n,
                                       size_t *index, ol_error *err);

/** Record an intermediate value (e.g. a per-epoch accuracy) at `step`. */
ol_status ol_trial_report(ol_trial *t, int64_t step, double value, ol_error *err);

/**
 * Should the trial stop now? Asks the study's pruner about the last step
 * reported with ol_trial_report, over the study's trials as stored now (so
 * trials other processes finished count). *prune = 0 when the study has no
 * pruner or nothing was reported yet. A pruned trial is then told
 * OL_TRIAL_PRUNED by the caller; its intermediate values stay stored.
 */
ol_status ol_trial_should_prune(ol_trial *t, int *prune, ol_error *err);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
