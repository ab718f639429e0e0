/*
 * experiment.h — an experiment file (INI, docs/experiments.md) parsed and
 * checked into a plain struct that `optlab run` turns into one study per
 * optimizer section. Parsing never prints: errors come back in ol_error as
 * "FILE:LINE: what is wrong (key = value)".
 */
#ifndef OPTLAB_CLI_EXPERIMENT_H
#define OPTLAB_CLI_EXPERIMENT_H

#include <stdint.h>

#include "optlab/core.h"

#define EXP_NAME_MAX 64
#define EXP_MAX_OPTIMIZERS 16
#define EXP_MAX_HPARAMS 16
#define EXP_MAX_CHOICES 16

/** How one hyperparameter is set in a study. */
typedef enum {
    EXP_FIXED = 0, /**< `eps = 1e-8`: one value, not searched */
    EXP_FLOAT,     /**< `beta1 = 0.8 0.95` or `learning_rate = log 1e-4 1e-2` */
    EXP_INT,       /**< `k = int 1 8` or `k = int log 1 64` */
    EXP_CHOICE     /**< `nesterov = choice 0 1`: categorical over numbers */
} exp_space_kind;

/** One hyperparameter line of an optimizer section. */
typedef struct {
    char name[EXP_NAME_MAX]; /**< registry hyperparameter name = the study's param name */
    exp_space_kind kind;
    double fixed;            /**< EXP_FIXED */
    double low, high;        /**< EXP_FLOAT / EXP_INT, inclusive */
    int log;                 /**< log scale (EXP_FLOAT / EXP_INT) */
    int n_choices;           /**< EXP_CHOICE */
    double choices[EXP_MAX_CHOICES];
    int line;                /**< line in the file, for messages */
} exp_hparam;

/** One `[optimizer NAME]` section. */
typedef struct {
    char name[EXP_NAME_MAX];  /**< registry name (aliases are resolved to it) */
    char label[EXP_NAME_MAX]; /**< display label from the registry (", logits loss" appended when
                                   the section's loss differs from the experiment's) */
    char study[EXP_NAME_MAX]; /**< study name suffix: `[optimizer NAME as STUDY]`, else `name` */
    char loss[16];            /**< "seed" | "logits": the section's `loss =`, else the experiment's */
    int n_hparams;
    exp_hparam hparams[EXP_MAX_HPARAMS];
    int line;
} exp_optimizer;

/** A parsed, checked experiment. */
typedef struct {
    char path[512];             /**< the file it came from */
    char name[EXP_NAME_MAX];    /**< experiment name (study prefix) */
    char dataset[EXP_NAME_MAX]; /**< "mnist" | "fashion-mnist" */
    char loss[16];              /**< "seed" | "logits" */
    char *model;                /**< model spec (malloc'd); the seed CNN by default */
    int train, valid_epoch, valid_trial;
    int test;                   /**< test images: 0 = the whole test file (10,000), else a random subset */
    int batch_size, patience, max_epochs;
    int trials;
    char sampler[16];           /**< "tpe" | "random" */
    char pruner[16];            /**< "none" | "median" */
    int pruner_startup;         /**< median pruner: COMPLETE trials before any pruning (5) */
    int pruner_warmup;          /**< median pruner: epochs never pruned at the start of a trial (3) */
    int pruner_interval;        /**< median pruner: check every this many epochs (1) */
    char baseline[EXP_NAME_MAX]; /**< experiment the report compares with ("" = none), e.g. the unpruned twin */
    uint64_t seed;
    int n_optimizers;
    exp_optimizer optimizers[EXP_MAX_OPTIMIZERS];
} experiment;

/**
 * Parse and check the experiment file at `path`. Every optimizer and
 * hyperparameter is looked up in the optimizer registry; fixed values and
 * ranges must lie in the hyperparameter's valid range. On failure `exp` is
 * left freed and err holds "PATH:LINE: message".
 */
ol_status experiment_load(experiment *exp, const char *path, ol_error *err);

/** Same, from text in memory; `origin` names it in messages. */
ol_status experiment_parse_string(experiment *exp, const char *text, const char *origin, ol_error *err);

/** Free what experiment_load allocated (safe on a zeroed or freed struct). */
void experiment_free(experiment *exp);

/** Find an optimizer section by study name, else by registry name or alias (the first such
 *  section); NULL if absent. */
const exp_optimizer *experiment_find_optimizer(const experiment *exp, const char *name);

/**
 * Is `name` safe as a study-name component? Rejects empty names, quotes,
 * backslashes, '/', '#', control characters and white space, which would be
 * ambiguous in study names and in shell/SQL quoting; the message says which
 * character at which position.
 */
ol_status experiment_check_name(const char *name, const char *what, ol_error *err);

/**
 * Is `name` acceptable as a study name given on a command line (`optlab ask
 * --study`)? Rejects empty names, quotes, backslashes and control characters
 * — which survive storage but break the shell lines and reports that quote
 * study names — with a message naming the character and its position.
 */
ol_status experiment_check_study_name(const char *name, ol_error *err);

#endif
