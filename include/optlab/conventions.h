/*
 * optlab/conventions.h — the names an experiment leaves in a storage, spelled
 * once: how studies are named, which study and trial attributes optlab
 * writes (docs/storage-conventions.md), the status words a trial can end
 * with, and how many epochs carry diagnostics. The experiment layer writes
 * them and the report reads them, both through this header, so a key can
 * never be spelled two ways.
 *
 * Header only (macros and static inline functions, libc only): the report
 * layer includes it without linking the experiment layer.
 *
 * Thread safety: everything here is pure; call it from any thread.
 */
#ifndef OPTLAB_CONVENTIONS_H
#define OPTLAB_CONVENTIONS_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- study attributes (JSON values, written once per study; upserts) ---- */
#define OL_ATTR_EXPERIMENT "optlab:experiment"       /**< "seed": the experiment name */
#define OL_ATTR_OPTIMIZER "optlab:optimizer"         /**< "adamw": registry name */
#define OL_ATTR_LABEL "optlab:label"                 /**< "AdamW": display label */
#define OL_ATTR_DATASET "optlab:dataset"             /**< "mnist" | "fashion-mnist" */
#define OL_ATTR_LOSS "optlab:loss"                   /**< OL_LOSS_NAME_REFERENCE | OL_LOSS_NAME_LOGITS */
#define OL_ATTR_N_TRIALS "optlab:n_trials"           /**< the budget: COMPLETE + PRUNED trials */
#define OL_ATTR_SEED "optlab:seed"                   /**< the study seed (sampler and trials derive from it) */
#define OL_ATTR_SAMPLER "optlab:sampler"             /**< "tpe" | "random" | "gp" | "mvtpe" | "cmaes": the experiment's sampler */
#define OL_ATTR_SAMPLER_KWARGS "optlab:sampler_kwargs" /**< the file's sampler_kwargs JSON text (absent when none) */
#define OL_ATTR_REPEAT "optlab:repeat"               /**< repetition index, 0 for the plain study name */
#define OL_ATTR_N_VALID_TRIAL "optlab:n_valid_trial" /**< images in the valid-trial split */
#define OL_ATTR_N_TEST "optlab:n_test"               /**< images in the test split */
#define OL_ATTR_FIXED "optlab:fixed"                 /**< {"eps": 1e-08}: hyperparameters not searched */
#define OL_ATTR_MODEL "optlab:model"                 /**< the model spec */
#define OL_ATTR_INIT "optlab:init"                   /**< "paired" | "independent": trial k's initial weights (experiment key init) */
#define OL_ATTR_SAMPLER_STREAM "optlab:sampler_stream" /**< "shared" | "own": the sampler's random stream (key sampler_stream) */
#define OL_ATTR_REEVAL_SEEDS "optlab:reevaluate_seeds" /**< R: fresh seeds per re-evaluated configuration (0: none) */
#define OL_ATTR_REEVAL_CONFIGS "optlab:reevaluate_configs" /**< reevaluate_top + reevaluate_median: configurations to re-evaluate */
#define OL_ATTR_SCHEDULE "optlab:schedule"           /**< "SequentialLR:{...}" as the file named it ("$KEY": searched), absent = constant lr */

/* ---- re-evaluation trials (docs/experiments.md, "Re-evaluation") ----
 * A re-evaluation trial retrains an earlier trial's configuration with a
 * fresh seed. It is stored in the same study, carrying OL_ATTR_REEVAL both
 * as a system attribute (written with the trial in one transaction, so it
 * is never seen unmarked) and as a user attribute (for Optuna's tools). The
 * sampler, the pruner, the budget and "best trial" all leave such trials out. */
#define OL_ATTR_REEVAL "optlab:reeval"           /**< the source trial's number */
#define OL_ATTR_REEVAL_SEED "optlab:reeval_seed" /**< the fresh seed's index, 0 .. R-1 */

/* ---- trial system attributes (Optuna's `trials` table and CLI leave these out) ---- */
#define OL_ATTR_WORKER "optlab:worker" /**< "HOST:PID" of the process running the trial */
/** Per-layer statistics after the first epochs (docs/never-learn.md). A system attribute, so
 *  that `optuna trials` and trials_dataframe's user_attrs stay narrow. */
#define OL_SYSATTR_DIAGNOSTICS "optlab:diagnostics"

/* ---- trial user attributes ---- */
#define OL_ATTR_TEST_ACCURACY "test_accuracy" /**< only on trials that were their study's best when told */
#define OL_ATTR_BEST_EPOCH "best_epoch"       /**< 0-based, -1 if no epoch completed */
#define OL_ATTR_EPOCHS "epochs"               /**< epochs trained */
#define OL_ATTR_SECONDS "seconds"             /**< wall time of the training run */
#define OL_ATTR_STATUS "status"               /**< one of the OL_TRIAL_STATUS_* words */
#define OL_ATTR_TRAIN_LOSS "train_loss"       /**< [mean training loss per epoch] */
/** Where studies written before optlab 0.1.0's release kept OL_SYSATTR_DIAGNOSTICS: a user
 *  attribute. Read (never written) so that older databases still report. */
#define OL_ATTR_DIAGNOSTICS_LEGACY "diagnostics"

/* ---- the "status" attribute: how a trial's training run ended ---- */
#define OL_TRIAL_STATUS_OK "ok"
#define OL_TRIAL_STATUS_PRUNED "pruned"
#define OL_TRIAL_STATUS_INTERRUPTED "interrupted"
#define OL_TRIAL_STATUS_DIVERGED "diverged"
#define OL_TRIAL_STATUS_NEVER_LEARNED "never_learned"
/** A re-evaluation trial given up because another worker took the same (configuration, seed) first. */
#define OL_TRIAL_STATUS_DUPLICATE "duplicate"

/* ---- loss names (experiment files and the optlab:loss attribute) ---- */
/** The seed note's reference run: softmax, then PyTorch's cross-entropy (softmax twice). */
#define OL_LOSS_NAME_REFERENCE "reference"
/** The same loss under its old name, still read in experiment files and storages. */
#define OL_LOSS_NAME_REFERENCE_OLD "seed"
/** Ordinary cross-entropy on logits. */
#define OL_LOSS_NAME_LOGITS "logits"

/** Does `name` (plain, or a JSON string with its quotes) name the reference loss, by its new or old name? */
static inline int ol_loss_name_is_reference(const char *name) {
    if (!name) return 0;
    size_t n = strlen(name);
    if (n >= 2 && name[0] == '"' && name[n - 1] == '"') name++, n -= 2;
    return (n == strlen(OL_LOSS_NAME_REFERENCE) && !strncmp(name, OL_LOSS_NAME_REFERENCE, n)) ||
           (n == strlen(OL_LOSS_NAME_REFERENCE_OLD) && !strncmp(name, OL_LOSS_NAME_REFERENCE_OLD, n));
}

/* ---- diagnostics ---- */
/** Epochs (from 0) after which a trial's diagnostics are taken: 0 and 1. */
#define OL_DIAG_EPOCHS 2

/* ---- study names ---- */
/** Separates the experiment from the study part: "EXPERIMENT/STUDY". */
#define OL_STUDY_NAME_SEP '/'
/** Marks a repetition in the experiment part: "EXPERIMENT#rR/STUDY" (R >= 1). */
#define OL_STUDY_REPEAT_MARK "#r"

/**
 * Write the name of repetition `repeat` of `study` in `experiment`:
 * "EXPERIMENT/STUDY" for repetition 0, "EXPERIMENT#rR/STUDY" otherwise.
 * Returns snprintf's count (>= n means it did not fit).
 */
static inline int ol_study_name_make(char *buf, size_t n, const char *experiment, int repeat, const char *study) {
    if (repeat) return snprintf(buf, n, "%s" OL_STUDY_REPEAT_MARK "%d%c%s", experiment, repeat, OL_STUDY_NAME_SEP, study);
    return snprintf(buf, n, "%s%c%s", experiment, OL_STUDY_NAME_SEP, study);
}

/**
 * Read a study name back: *experiment_len = length of the experiment part
 * (before "#rR" and '/'), *repeat = R (0 without "#rR"), and the return value
 * points at the study part after '/' (the whole name when it has no '/').
 */
static inline const char *ol_study_name_parse(const char *name, size_t *experiment_len, int *repeat) {
    const char *slash = strchr(name, OL_STUDY_NAME_SEP);
    size_t prefix_len = slash ? (size_t)(slash - name) : strlen(name);
    int r = 0;
    const char *hash = (const char *)memchr(name, OL_STUDY_REPEAT_MARK[0], prefix_len);
    if (hash && hash[1] == OL_STUDY_REPEAT_MARK[1] && isdigit((unsigned char)hash[2])) {
        r = atoi(hash + 2);
        prefix_len = (size_t)(hash - name);
    }
    if (experiment_len) *experiment_len = prefix_len;
    if (repeat) *repeat = r;
    return slash ? slash + 1 : name;
}

#ifdef __cplusplus
}
#endif
#endif
