/*
 * optlab/train.h — one training run, exactly as the seed note's reference run did:
 * mini-batches (32) reshuffled every epoch with the last partial batch kept,
 * one optimizer step per batch, valid-epoch accuracy after every epoch,
 * early stopping (patience 5 on strict improvement), the best epoch's weights
 * restored, then valid-trial accuracy of those weights.
 *
 * The trainer joins three layers it does not own: a model (nn.h), an
 * optimizer (optim.h) and datasets (data.h). It knows nothing of studies:
 * the HPO layer sees each epoch through a callback and may stop the run
 * (pruning). Library code: it never prints; the CLI shows progress from the
 * same callback.
 *
 * Determinism: the model's initialisation draws from ol_rng_derive(seed,
 * "init") and the per-epoch shuffles from ol_rng_derive(seed, "shuffle"), so
 * one seed (and one BLAS thread count) gives bit-identical runs.
 * Nothing is allocated inside the epoch loop: buffers are allocated when the
 * run starts.
 */
#ifndef OPTLAB_TRAIN_H
#define OPTLAB_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "optlab/core.h"
#include "optlab/data.h"
#include "optlab/nn.h"
#include "optlab/optim.h"

#ifdef __cplusplus
extern "C" {
#endif
OL_BEGIN_API

/**
 * Called after every epoch (epochs count from 1) with the epoch's mean
 * training loss (over its images) and the valid-epoch accuracy in [0, 1].
 * Return nonzero to stop the run now (status OL_RUN_STOPPED, e.g. pruned).
 */
typedef int (*ol_epoch_callback)(void *user, int epoch, double train_loss, double valid_epoch_acc);

/** Settings of one run. Fill with ol_train_config_default, then change fields. */
typedef struct {
    int batch_size;             /**< 32; the model's max_batch must be at least this */
    int patience;               /**< 5: stop when this many epochs passed since the best */
    int max_epochs;             /**< 65,536 */
    ol_loss_kind loss;          /**< OL_LOSS_SEED (softmax twice, as the seed ran) or OL_LOSS_LOGITS */
    uint64_t seed;              /**< derives the "init" and "shuffle" streams */
    int init_model;             /**< 1: initialise the model from the "init" stream (default);
                                     0: train from the parameters the model holds */
    ol_epoch_callback on_epoch; /**< may be NULL */
    void *user;                 /**< passed to on_epoch */
    /**
     * A learning-rate schedule made for the run's optimizer (ol_schedule_create), or NULL.
     * Stepped as torch users do: after every epoch's validation (ReduceLROnPlateau with the
     * valid-epoch accuracy, so its mode must be "max"), except OneCycleLR, stepped after
     * every batch (its total_steps must then cover max_epochs full epochs). Not freed by the run.
     */
    ol_schedule *schedule;
} ol_train_config;

/** batch 32, patience 5, max_epochs 65,536, loss OL_LOSS_SEED, seed 20250228, init_model 1, no callback. */
void ol_train_config_default(ol_train_config *cfg);

/** How a run ended. */
typedef enum {
    OL_RUN_OK = 0,       /**< early stopping or max_epochs ended it */
    OL_RUN_DIVERGED = 1, /**< the loss or a parameter became NaN/Inf */
    OL_RUN_STOPPED = 2   /**< the epoch callback asked to stop */
} ol_run_status;

/**
 * Check cfg->schedule against a run on n_train training images (ol_train_run does it
 * too; call it to fail before loading data): ReduceLROnPlateau must have mode "max"
 * (it watches the valid-epoch accuracy), OneCycleLR's total_steps must cover max_epochs
 * epochs of batches. OL_OK without a schedule.
 */
ol_status ol_train_check_schedule(const ol_train_config *cfg, int n_train, ol_error *err);

/** "ok", "diverged" or "stopped". */
const char *ol_run_status_name(ol_run_status st);

/** What a run produced. Free with ol_train_result_free. */
typedef struct {
    ol_run_status status;
    int epochs_run;              /**< completed epochs (entries in the arrays below) */
    int best_epoch;              /**< 1-based epoch of the highest valid-epoch accuracy; 0 if none completed */
    double best_valid_epoch_acc; /**< valid-epoch accuracy at best_epoch (NaN if none) */
    /**
     * Valid-trial accuracy of the best epoch's weights. Measured when the run
     * ends OK, or diverged after at least one completed epoch (the best
     * weights are finite, as PyTorch's early stopping would have kept them);
     * NaN when stopped by the callback, when no epoch completed, or when no
     * valid-trial set was given.
     */
    double valid_trial_acc;
    double *train_loss;          /**< [epochs_run] mean training loss of each epoch */
    double *valid_epoch_acc;     /**< [epochs_run] valid-epoch accuracy after each epoch */
    /**
     * 1 if the run never learned: its best valid-epoch accuracy is within one
     * percentage point of the share of valid-epoch's most frequent class (what
     * always answering that class scores), e.g. a learning rate too small or
     * too large to leave the start.
     */
    int never_learned;
    double majority_share;       /**< share of valid-epoch's most frequent class */
    long steps;                  /**< optimizer steps taken */
    double seconds;              /**< wall time of the whole run */
} ol_train_result;

/** Free a result's arrays (NULL-safe, idempotent). */
void ol_train_result_free(ol_train_result *r);

/**
 * One run. The model is initialised from the "init" stream (unless
 * cfg->init_model is 0); its input size must equal the datasets' image size
 * and its classes cover their labels. If `opt` has no parameter group yet the
 * trainer adds the model's parameters (and gradients) as its one group;
 * otherwise the caller's groups are used as they are. Give each run a fresh
 * optimizer: its state carries over otherwise.
 *
 * On return the model holds the best epoch's weights (if any epoch
 * completed). `valid_trial` may be NULL. Returns OL_OK whenever the run
 * itself happened — ok, diverged and stopped are all results in `res` —
 * and an error status with a message for bad arguments or a failing layer.
 *
 * Thread safety: a run uses `model` and `opt` exclusively until it returns
 * (no other thread may use them meanwhile); the datasets are only read and
 * may be shared by runs in several threads.
 */
ol_status ol_train_run(ol_model *model, ol_optimizer *opt, const ol_dataset *train, const ol_dataset *valid_epoch,
                       const ol_dataset *valid_trial, const ol_train_config *cfg, ol_train_result *res,
                       ol_error *err);

/**
 * Accuracy of the model on a dataset, in [0, 1] (predictions in chunks; no
 * allocation). For test accuracy, computed only when the caller wants it.
 */
ol_status ol_evaluate_accuracy(ol_model *model, const ol_dataset *data, double *accuracy, ol_error *err);

OL_END_API
#ifdef __cplusplus
}
#endif
#endif
