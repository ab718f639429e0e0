/*
 * optlab/optim.h — optimizers over flat float arrays, and the registry that
 * describes them.
 *
 * The registry is the seam the whole program shares: one table
 * entry per optimizer gives its name, aliases, every hyperparameter (default,
 * valid range, suggested search range and scale) and its step function. The
 * CLI lists optimizers from it, experiment files name its entries, HPO search
 * spaces are checked against it, reports label axes from it.
 *
 * Semantics and defaults follow torch.optim as shipped in Debian (PyTorch 1.13),
 * down to the float32 order of operations; docs/optimizers.md gives each update
 * rule and where the seed note's equations differ.
 *
 * Typical use:
 *     ol_optimizer *opt; ol_error err;
 *     ol_optimizer_create(&opt, "adamw", &err);
 *     ol_optimizer_set_from_string(opt, "learning_rate=1e-3,weight_decay=0.01", &err);
 *     ol_optimizer_add_group(opt, params, grads, n, &err);
 *     for (...) { compute grads; ol_optimizer_step(opt, &err); }
 *     ol_optimizer_free(opt);
 * The optimizer keeps the pointers given to add_group: write new gradients into
 * the same array before every step.
 */
#ifndef OPTLAB_OPTIM_H
#define OPTLAB_OPTIM_H

#include <stddef.h>

#include "optlab/core.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/** Every hyperparameter any optimizer knows; an optimizer uses a subset. */
typedef enum {
    OL_HP_LEARNING_RATE,
    OL_HP_BETA1,
    OL_HP_BETA2,
    OL_HP_EPS,
    OL_HP_WEIGHT_DECAY,
    OL_HP_MOMENTUM,
    OL_HP_DAMPENING,
    OL_HP_NESTEROV,
    OL_HP_ALPHA,
    OL_HP_CENTERED,
    OL_HP_AMSGRAD,
    OL_HP_LR_DECAY,
    OL_HP_INITIAL_ACCUMULATOR_VALUE,
    OL_HP_RHO,
    OL_HP_MOMENTUM_DECAY,
    OL_HP_MAXIMIZE,
    OL_HP_DECOUPLED_WEIGHT_DECAY,
    OL_HP_SEED_VARIANT,
    /* the modern optimizers (Lion, LAMB, Adafactor, Schedule-Free AdamW, Muon, Prodigy) */
    OL_HP_BIAS_CORRECTION,
    OL_HP_EPS2,
    OL_HP_CLIP_THRESHOLD,
    OL_HP_DECAY_RATE,
    OL_HP_RELATIVE_STEP,
    OL_HP_SCALE_PARAMETER,
    OL_HP_WARMUP_STEPS,
    OL_HP_NS_STEPS,
    OL_HP_ADAMW_LR_RATIO,
    OL_HP_MUON_ENDS,
    OL_HP_RMS_MATCH,
    OL_HP_D0,
    OL_HP_D_COEF,
    /* ASGD and Rprop (torch.optim 1.13) */
    OL_HP_LAMBD,
    OL_HP_T0,
    OL_HP_ETA_MINUS,
    OL_HP_ETA_PLUS,
    OL_HP_STEP_SIZE_MIN,
    OL_HP_STEP_SIZE_MAX,
    OL_HP_COUNT
} ol_hparam_id;

/** What values a hyperparameter takes. */
typedef enum {
    OL_HP_REAL, /**< a real number in [min, max] (ends open or closed, see flags) */
    OL_HP_BOOL  /**< 0 or 1 ("true"/"false" in settings strings) */
} ol_hparam_kind;

/** Description of one hyperparameter of one optimizer (a registry row). */
typedef struct ol_hparam_info {
    ol_hparam_id id;
    const char *name;           /**< ours, e.g. "learning_rate" */
    const char *aliases[4];     /**< e.g. "lr" (torch.optim's keyword); unused slots NULL */
    ol_hparam_kind kind;
    double default_value;       /**< torch.optim 1.13's default where torch has one */
    double min, max;            /**< valid range */
    int min_open, max_open;     /**< 1: that end is excluded (e.g. beta in [0, 1)) */
    int searchable;             /**< 1: search_low/high/log suggest a search range */
    double search_low, search_high;
    int search_log;             /**< 1: search on a log scale */
    const char *help;           /**< one line */
} ol_hparam_info;

/**
 * One tensor of a parameter group as a step function sees it: where it starts
 * in the group's arrays and its shape. A group whose shapes were never set is
 * one 1-D tensor of n values.
 */
typedef struct {
    size_t offset;              /**< first index in the group's params/grads/state slots */
    size_t rows, cols;          /**< 2-D: rows x cols (row-major); 1-D: rows values, cols = 0 */
    int matrix;                 /**< Muon: 1 if this tensor takes the orthogonalised update (resolved rule) */
} ol_tensor_view;

/** Arguments of a step function: one parameter group, one step. */
typedef struct {
    float *params;              /**< n values, updated in place */
    const float *grads;         /**< n values */
    float *state;               /**< state_floats * n values: state[k*n + i] is slot k of param i */
    size_t n;
    const double *hp;           /**< OL_HP_COUNT values (the group's learning rate and decay filled in) */
    long step;                  /**< 1 for the first step */
    double *scalars;            /**< OL_OPTIM_SCALARS per-group scalars (e.g. NAdam's mu product), 0 at start */
    const ol_tensor_view *tensors; /**< the group's tensors in order (at least one), covering all n values */
    size_t n_tensors;
    float *scratch;             /**< the entry's scratch_floats(tensors) floats, or NULL */
} ol_optim_step_args;

/** Per-group scalar state slots available to a step function. */
#define OL_OPTIM_SCALARS 4

/** One fused pass over a group's arrays. Never fails: values were checked when set. */
typedef void (*ol_optim_step_fn)(const ol_optim_step_args *a);

/** One optimizer (a registry entry).
 *  Thread safety: registry entries (and their ol_hparam_info rows) are constant
 *  tables: any thread may read them at any time. */
typedef struct ol_optim_info {
    const char *name;           /**< lower-case key, e.g. "adamw" */
    const char *label;          /**< for people and plots, e.g. "AdamW" */
    const char *aliases[6];     /**< e.g. torch.optim's class name; unused slots NULL */
    const char *summary;        /**< one line */
    const char *equations;      /**< the update as implemented, plain text, several lines */
    const char *seed_equations; /**< the seed note's form when it differs (seed_variant=1), or NULL */
    const ol_hparam_info *hparams;
    size_t n_hparams;
    size_t state_floats;        /**< state floats per parameter (with every option on) */
    ol_optim_step_fn step;
    /** Checks combinations of values before a step (e.g. nesterov needs momentum > 0), or NULL. */
    ol_status (*validate)(const struct ol_optim_info *o, const double *hp, ol_error *err);
    /** Scratch floats a step needs for a group's tensors (e.g. Muon's Newton-Schulz products), or NULL for none. */
    size_t (*scratch_floats)(const ol_tensor_view *tensors, size_t n_tensors);
    /** 1: the update depends on tensor shapes (set them with ol_optimizer_set_shapes). */
    int uses_shapes;
    /** Writes a group's evaluation point into its params (eval = 1) or the training point back
     *  (eval = 0), for optimizers where the two differ (Schedule-Free AdamW); NULL otherwise. */
    void (*eval_params)(const ol_optim_step_args *a, int eval);
    /** Called once per step after every group's step, with each group's scalars (in group order),
     *  for state shared across groups (Prodigy's d); NULL otherwise. hp: the optimizer-wide values. */
    void (*after_groups)(double *const *scalars, size_t n_groups, const double *hp);
} ol_optim_info;

/* ---- registry ---- */

/** Number of registered optimizers. */
size_t ol_optim_count(void);

/** The i-th optimizer (0 <= i < count), in listing order; NULL past the end. */
const ol_optim_info *ol_optim_at(size_t i);

/** Find an optimizer by name or alias, case-insensitively ("AdamW", "rmsprop", "NAG"); NULL if unknown. */
const ol_optim_info *ol_optim_find(const char *name_or_alias);

/** Find one of o's hyperparameters by name or alias ("lr", "learning_rate"), case-insensitively; NULL if o has none such. */
const ol_hparam_info *ol_optim_find_hparam(const ol_optim_info *o, const char *name_or_alias);

/**
 * Check a value against a hyperparameter's valid range (NaN and infinities are
 * rejected; booleans must be 0 or 1). On failure the message names the
 * optimizer, the hyperparameter, the value and the range.
 */
ol_status ol_hparam_check(const ol_optim_info *o, const ol_hparam_info *h, double value, ol_error *err);

/** "[0, 1)", "(0, inf)" ... the valid range of h as text, into buf; returns buf. */
const char *ol_hparam_range_text(const ol_hparam_info *h, char *buf, size_t size);

/* ---- an optimizer instance ---- */

/* Thread safety: an optimizer is not thread-safe; use one per thread, and do not
 * let two optimizers step the same arrays at once (the arrays stay the caller's). */
typedef struct ol_optimizer ol_optimizer;

/** Create an optimizer by name or alias with its default hyperparameters. OL_ENOTFOUND names unknown optimizers. */
ol_status ol_optimizer_create(ol_optimizer **out, const char *name, ol_error *err);

/** Free it (NULL is fine). The arrays given to add_group stay the caller's. */
void ol_optimizer_free(ol_optimizer *o);

/** The registry entry it was created from. */
const ol_optim_info *ol_optimizer_info(const ol_optimizer *o);

/**
 * Set a hyperparameter by name or alias. learning_rate and weight_decay set the
 * value for groups added later and for every existing group. Unknown names and
 * out-of-range values fail, naming the field and the value; nothing is clamped.
 */
ol_status ol_optimizer_set(ol_optimizer *o, const char *hparam, double value, ol_error *err);

/** Current value of a hyperparameter (the optimizer-wide one). */
ol_status ol_optimizer_get(const ol_optimizer *o, const char *hparam, double *value, ol_error *err);

/**
 * Set several hyperparameters from "name=value,name=value" (spaces allowed;
 * booleans as 0/1/true/false; "betas=(0.9,0.999)" or "betas=[0.9,0.999]" sets
 * beta1 and beta2). All-or-nothing: on error nothing is changed.
 */
ol_status ol_optimizer_set_from_string(ol_optimizer *o, const char *settings, ol_error *err);

/**
 * Add a parameter group: n params updated in place from n grads, with the
 * current learning rate and weight decay. Allocates the group's state (zeroed).
 * n must be > 0; params and grads must not be NULL.
 */
ol_status ol_optimizer_add_group(ol_optimizer *o, float *params, const float *grads, size_t n, ol_error *err);

/** How the Muon rule treats a tensor (ol_tensor_shape.role). */
typedef enum {
    OL_TENSOR_AUTO = 0,   /**< default rule: 2-D tensors take Muon except the first and the last 2-D tensor
                               of the optimizer (over all groups, in order) unless muon_ends=1; 1-D take AdamW */
    OL_TENSOR_MATRIX = 1, /**< force the orthogonalised (Muon) update; the tensor must be 2-D */
    OL_TENSOR_VECTOR = 2  /**< force the elementwise (AdamW) update */
} ol_tensor_role;

/** One parameter tensor of a group, as callers describe it (e.g. nn's conv weight: out x in*k*k). */
typedef struct {
    char name[48];        /**< for messages, e.g. "conv64k3.weight"; may be empty */
    size_t rows, cols;    /**< 2-D: rows x cols, row-major; 1-D: rows values and cols = 0 */
    ol_tensor_role role;  /**< only Muon reads it */
} ol_tensor_shape;

/**
 * Tell a group the shapes of the tensors it holds, in order: their sizes
 * (rows x cols, or rows for 1-D) must add up to the group's n exactly.
 * Adafactor factors the second moment of 2-D tensors, LAMB computes one trust
 * ratio per tensor, Muon orthogonalises 2-D tensors; the other optimizers are
 * elementwise and ignore shapes. Without this call a group is one 1-D tensor.
 * Fails (naming the tensor) on a zero size, a total that differs from n, or
 * OL_TENSOR_MATRIX on a 1-D tensor; the group is then unchanged.
 */
ol_status ol_optimizer_set_shapes(ol_optimizer *o, size_t group, const ol_tensor_shape *shapes, size_t count,
                                  ol_error *err);

/**
 * Parse "3x4 3 5x3@muon 5@adamw" (white-space separated; ROWSxCOLS or N, with an
 * optional @muon / @adamw role) into at most max shapes; *count gets the number.
 * The replay format's `shape` line uses it. Errors name the token.
 */
ol_status ol_tensor_shapes_parse(const char *text, ol_tensor_shape *out, size_t max, size_t *count, ol_error *err);

/**
 * Switch every group's params between the point where gradients are taken
 * (eval = 0, what steps need) and the point to evaluate the model at
 * (eval = 1). They differ for Schedule-Free AdamW (gradients at y, evaluate at
 * the average x); for every other optimizer, and before the first step, this
 * does nothing. Switching back restores the training point bit-identically.
 * A step while the evaluation point is in place fails (OL_ESTATE).
 */
ol_status ol_optimizer_eval_params(ol_optimizer *o, int eval, ol_error *err);

/** Number of groups added. */
size_t ol_optimizer_group_count(const ol_optimizer *o);

/** Set a group's own learning_rate or weight_decay (the only per-group hyperparameters). */
ol_status ol_optimizer_set_group(ol_optimizer *o, size_t group, const char *hparam, double value, ol_error *err);

/** One step over every group: one fused pass per group, no allocation. */
ol_status ol_optimizer_step(ol_optimizer *o, ol_error *err);

/** Set the learning rate of every group (and of groups added later), e.g. for a schedule between steps. */
ol_status ol_optimizer_set_lr(ol_optimizer *o, double lr, ol_error *err);

/** Steps taken so far. */
long ol_optimizer_steps(const ol_optimizer *o);

/**
 * Save the whole state (hyperparameters, per-group learning rate / decay /
 * step count, state arrays) as a versioned, CRC-32-checked blob, malloc'd into
 * *blob (free() it). The parameters themselves are not included: they are the
 * caller's to save.
 */
ol_status ol_optimizer_save(const ol_optimizer *o, void **blob, size_t *size, ol_error *err);

/**
 * Restore a blob written by ol_optimizer_save into an optimizer of the same
 * kind whose groups have already been added with the same sizes. Continuing
 * after a load is bit-identical to never having stopped. A corrupt, truncated,
 * foreign or mismatched blob fails with OL_EFORMAT (or OL_EINVAL for a size
 * mismatch) and leaves the optimizer unchanged.
 */
ol_status ol_optimizer_load(ol_optimizer *o, const void *blob, size_t size, ol_error *err);

/* ---- learning-rate schedules (torch.optim.lr_scheduler 1.13), src/optim/schedule.c ---- */

/**
 * A learning-rate schedule bound to one optimizer: torch.optim.lr_scheduler 1.13's
 * StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
 * LinearLR, PolynomialLR, OneCycleLR, ReduceLROnPlateau and SequentialLR. The
 * arithmetic is torch's (chainable form, in double), so learning rates replay
 * torch's to the last bit (tests/optim/replay_schedules.sh). One learning rate is
 * set on every group of the optimizer.
 *
 * Two ways to make one: from a struct (ol_schedule_params_init, set the fields,
 * ol_schedule_create_from), which is in both liboptlab and liboptlab-optim; or from
 * torch's name and keyword arguments as JSON text (ol_schedule_create), which is in
 * liboptlab only (it reads the JSON with cJSON, which liboptlab-optim does not link).
 *
 * Use as torch: create after setting the optimizer's learning rate (creation
 * already sets the first step's rate, as torch's constructor does), then call
 * ol_schedule_step after every optimizer step (or every epoch).
 *
 * Thread safety: a schedule is not thread-safe; step it from the thread that steps
 * its optimizer. The kind table (ol_schedule_kind_name) is constant.
 */
typedef struct ol_schedule ol_schedule;

/** The schedule kinds, in the order of ol_schedule_kind_name. */
typedef enum {
    OL_SCHED_STEP,          /**< StepLR */
    OL_SCHED_MULTISTEP,     /**< MultiStepLR */
    OL_SCHED_EXPONENTIAL,   /**< ExponentialLR */
    OL_SCHED_COSINE,        /**< CosineAnnealingLR */
    OL_SCHED_WARM_RESTARTS, /**< CosineAnnealingWarmRestarts */
    OL_SCHED_LINEAR,        /**< LinearLR */
    OL_SCHED_POLYNOMIAL,    /**< PolynomialLR */
    OL_SCHED_ONE_CYCLE,     /**< OneCycleLR */
    OL_SCHED_PLATEAU,       /**< ReduceLROnPlateau */
    OL_SCHED_SEQUENTIAL,    /**< SequentialLR */
    OL_SCHED_KIND_COUNT
} ol_schedule_kind;

/** The most milestones (MultiStepLR, SequentialLR) and SequentialLR children one schedule takes. */
#define OL_SCHEDULE_MAX_LIST 64

/**
 * A schedule's settings: torch's keyword arguments as C fields (torch's name in the
 * comment). Fill one with ol_schedule_params_init, which sets torch's defaults, then
 * set what differs. Each kind reads only its own fields. Fields torch requires have
 * no default: StepLR's step_size, CosineAnnealingLR's T_max, WarmRestarts' T_0 stay 0
 * and ExponentialLR's gamma and OneCycleLR's max_lr NaN, which ol_schedule_params_check
 * refuses until they are set.
 */
typedef struct ol_schedule_params {
    ol_schedule_kind kind;
    long step_size;                            /**< StepLR step_size */
    double gamma;                              /**< StepLR, MultiStepLR (0.1), ExponentialLR (required) */
    long milestones[OL_SCHEDULE_MAX_LIST];     /**< MultiStepLR, SequentialLR milestones */
    size_t n_milestones;
    long t_max;                                /**< CosineAnnealingLR T_max */
    double eta_min;                            /**< CosineAnnealingLR, CosineAnnealingWarmRestarts (0) */
    long t_0, t_mult;                          /**< CosineAnnealingWarmRestarts T_0, T_mult (1) */
    double start_factor, end_factor;           /**< LinearLR (1/3, 1) */
    long total_iters;                          /**< LinearLR, PolynomialLR (5) */
    double power;                              /**< PolynomialLR (1) */
    /* OneCycleLR: max_lr (required); total_steps, or 0 to take epochs * steps_per_epoch;
     * pct_start 0.3; anneal_linear 0 ("cos") or 1 ("linear"); cycle_momentum 1;
     * base_momentum 0.85; max_momentum 0.95; div_factor 25; final_div_factor 1e4; three_phase 0 */
    double max_lr;
    long total_steps, epochs, steps_per_epoch;
    double pct_start;
    int anneal_linear, cycle_momentum;
    double base_momentum, max_momentum, div_factor, final_div_factor;
    int three_phase;
    /* ReduceLROnPlateau: mode_max 0 ("min") or 1 ("max"); factor 0.1; patience 10;
     * threshold 1e-4; threshold_abs 0 ("rel") or 1 ("abs"); cooldown 0; min_lr 0; eps 1e-8 */
    int mode_max;
    double factor;
    long patience;
    double threshold;
    int threshold_abs;
    long cooldown;
    double min_lr, eps;
    /** SequentialLR schedulers: n_schedulers settings, each of a kind other than OneCycleLR,
     *  ReduceLROnPlateau and SequentialLR; milestones holds n_schedulers - 1 increasing steps.
     *  The array stays the caller's (creation copies what it needs). */
    const struct ol_schedule_params *schedulers;
    size_t n_schedulers;
} ol_schedule_params;

/** Number of schedule kinds, and the i-th kind's torch name ("StepLR", ...), NULL past the end. */
size_t ol_schedule_kind_count(void);
const char *ol_schedule_kind_name(size_t i);

/** Set every field of p to torch's default for kind (the fields torch requires: see ol_schedule_params). */
void ol_schedule_params_init(ol_schedule_params *p, ol_schedule_kind kind);

/**
 * Check settings without an optimizer (everything but what depends on the optimizer,
 * e.g. OneCycleLR's momentum cycling). A value out of range fails with OL_EINVAL and
 * a message naming the schedule, the field (torch's keyword) and the value.
 */
ol_status ol_schedule_params_check(const ol_schedule_params *p, ol_error *err);

/**
 * Create a schedule for opt (which it keeps; free the schedule first) from settings
 * checked as ol_schedule_params_check does. Reads the optimizer's current learning
 * rate as torch's initial_lr and sets the rate of the first step (e.g. LinearLR:
 * lr * start_factor; OneCycleLR: max_lr / div_factor, and momentum or beta1 =
 * max_momentum when cycle_momentum).
 */
ol_status ol_schedule_create_from(ol_schedule **out, ol_optimizer *opt, const ol_schedule_params *p, ol_error *err);

/**
 * liboptlab only (src/optim/schedule_json.c; not in liboptlab-optim). Check a schedule
 * given as torch's name (case-insensitive) and keyword arguments as a JSON object, e.g.
 * "CosineAnnealingLR" and {"T_max": 50, "eta_min": 1e-5}; SequentialLR takes
 * {"schedulers": [["LinearLR", {...}], ["CosineAnnealingLR", {...}]], "milestones": [5]}.
 * Unknown names, unknown keywords, values of the wrong type and out-of-range values
 * fail with a message naming them.
 */
ol_status ol_schedule_check(const char *name, const char *json_kwargs, ol_error *err);

/**
 * liboptlab only. ol_schedule_create_from with the settings read from torch's name and
 * JSON keyword arguments as ol_schedule_check reads them; json_kwargs may be NULL or ""
 * for {}.
 */
ol_status ol_schedule_create(ol_schedule **out, ol_optimizer *opt, const char *name, const char *json_kwargs,
                             ol_error *err);

/** Free it (NULL is fine). */
void ol_schedule_free(ol_schedule *s);

/** 1 if the schedule needs a metric at every step (ReduceLROnPlateau). */
int ol_schedule_needs_metric(const ol_schedule *s);

/** 1 for OneCycleLR, which torch steps after every batch (its total_steps counts batches). */
int ol_schedule_per_batch(const ol_schedule *s);

/** ReduceLROnPlateau's mode: 1 for "max" (a higher metric is better), 0 for "min"; 0 for other schedules. */
int ol_schedule_maximizes(const ol_schedule *s);

/**
 * Advance one step (torch's scheduler.step(), or step(metric) for ReduceLROnPlateau)
 * and set the optimizer's learning rate (and momentum/beta1 for OneCycleLR). metric
 * is ignored unless ol_schedule_needs_metric; it must then be finite. Stepping
 * OneCycleLR past total_steps fails (OL_ESTATE), as torch raises.
 */
ol_status ol_schedule_step(ol_schedule *s, double metric, ol_error *err);

/** OneCycleLR's total_steps (the most steps it can take); -1 for schedules without a limit. */
long ol_schedule_step_limit(const ol_schedule *s);

/** The learning rate the schedule last set (torch's get_last_lr()[0]). */
double ol_schedule_lr(const ol_schedule *s);

/** The schedule's torch name, e.g. "CosineAnnealingLR". */
const char *ol_schedule_name(const ol_schedule *s);

/* ---- L-BFGS (torch.optim.LBFGS 1.13), src/optim/lbfgs.c ---- */

/**
 * L-BFGS needs the loss and gradient at points of its choosing, so it has its own
 * entry point with a closure rather than a registry entry. The closure writes the
 * gradient at params (n floats) into grads and the loss into *loss; a non-OK
 * status stops the step and is passed on (its message prefixed "lbfgs: closure").
 */
typedef ol_status (*ol_lbfgs_closure)(void *user, const float *params, float *grads, double *loss, ol_error *err);

typedef struct ol_lbfgs ol_lbfgs;

/**
 * Create an L-BFGS over params[0..n) (kept and updated in place). settings: torch's
 * keywords as "name=value,...": lr (1), max_iter (20), max_eval (max_iter*5/4),
 * tolerance_grad (1e-7), tolerance_change (1e-9), history_size (100),
 * line_search_fn (none | strong_wolfe). Unknown names and bad values fail, naming them.
 */
ol_status ol_lbfgs_create(ol_lbfgs **out, float *params, size_t n, const char *settings, ol_error *err);

/** Free it (NULL is fine). */
void ol_lbfgs_free(ol_lbfgs *o);

/**
 * One torch LBFGS.step(closure): up to max_iter iterations, each with a line search
 * (strong Wolfe) or a fixed step lr. *loss (may be NULL) receives the loss at the
 * parameters the step started from, as torch returns it.
 */
ol_status ol_lbfgs_step(ol_lbfgs *o, ol_lbfgs_closure closure, void *user, double *loss, ol_error *err);

/** Closure calls so far (torch's state['func_evals']). */
long ol_lbfgs_evaluations(const ol_lbfgs *o);


OL_END_API
#ifdef __cplusplus
}
#endif
#endif
