/*
 * train.c — one training run as ../shared/PROTOCOL.md specifies it (see
 * include/optlab/train.h for the contract). The HPO driver and `optlab train`
 * call ol_train_run once per trial; everything a run needs is allocated when
 * it starts, so the epoch loop only computes.
 *
 * Early stopping keeps the best epoch's weights as one memcpy of the flat
 * parameter buffer per improvement, and copies them back at the end.
 * Divergence (a NaN/Inf loss, or a NaN/Inf parameter found at the end of an
 * epoch) ends the run as a result, not an error.
 */
#include "optlab/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Predictions are made in chunks of this many images, into a stack buffer. */
#define EVAL_CHUNK 256

/* The model's tensors (nn) become group 0's shapes (optim), for LAMB, Adafactor and Muon. */
static ol_status set_model_shapes(ol_optimizer *opt, const ol_model *model, ol_error *err) {
    int n = ol_model_tensors(model, NULL, 0);
    if (n <= 0) return OL_OK;
    ol_model_tensor *tensors = malloc((size_t)n * sizeof *tensors);
    ol_tensor_shape *shapes = calloc((size_t)n, sizeof *shapes);
    ol_status st = OL_OK;
    if (!tensors || !shapes) st = ol_fail(err, OL_ENOMEM, "train: out of memory for %d tensor shapes", n);
    if (!st) {
        ol_model_tensors(model, tensors, n);
        for (int i = 0; i < n; i++) {
            memcpy(shapes[i].name, tensors[i].name, sizeof shapes[i].name);
            shapes[i].rows = tensors[i].rows;
            shapes[i].cols = tensors[i].cols;
            shapes[i].role = OL_TENSOR_AUTO;
        }
        st = ol_optimizer_set_shapes(opt, 0, shapes, (size_t)n, err);
    }
    free(tensors);
    free(shapes);
    return st;
}

void ol_train_config_default(ol_train_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->batch_size = 32;
    cfg->patience = 5;
    cfg->max_epochs = 65536;
    cfg->loss = OL_LOSS_SEED;
    cfg->seed = 20250228;
    cfg->init_model = 1;
}

ol_status ol_train_check_schedule(const ol_train_config *cfg, int n_train, ol_error *err) {
    const ol_schedule *sched = cfg->schedule;
    if (!sched) return OL_OK;
    if (ol_schedule_needs_metric(sched) && !ol_schedule_maximizes(sched))
        return ol_fail(err, OL_EINVAL, "%s watches the valid-epoch accuracy, which should rise: set its mode to \"max\" "
                       "(mode \"min\" would cut the learning rate while the run improves)", ol_schedule_name(sched));
    long limit = ol_schedule_step_limit(sched);
    if (limit >= 0 && cfg->batch_size > 0 && n_train > 0) {
        long batches = ((long)n_train + cfg->batch_size - 1) / cfg->batch_size;
        if (limit < (long)cfg->max_epochs * batches) {
            if (limit < batches)
                return ol_fail(err, OL_EINVAL, "%s: total_steps = %ld is less than one epoch (%ld batches); max_epochs = %d "
                               "needs total_steps = %ld", ol_schedule_name(sched), limit, batches, cfg->max_epochs,
                               (long)cfg->max_epochs * batches);
            return ol_fail(err, OL_EINVAL, "%s: total_steps = %ld covers %ld epochs of %ld batches, but max_epochs is %d: "
                           "lower max_epochs to %ld or raise total_steps to %ld", ol_schedule_name(sched), limit,
                           limit / batches, batches, cfg->max_epochs, limit / batches, (long)cfg->max_epochs * batches);
        }
    }
    return OL_OK;
}

const char *ol_run_status_name(ol_run_status st) {
    switch (st) {
    case OL_RUN_OK: return "ok";
    case OL_RUN_DIVERGED: return "diverged";
    case OL_RUN_STOPPED: return "stopped";
    }
    return "unknown";
}

void ol_train_result_free(ol_train_result *r) {
    if (!r) return;
    free(r->train_loss);
    free(r->valid_epoch_acc);
    r->train_loss = NULL;
    r->valid_epoch_acc = NULL;
    r->epochs_run = 0;
}

ol_status ol_evaluate_accuracy(ol_model *model, const ol_dataset *data, double *accuracy, ol_error *err) {
    if (!data || data->n < 1) return ol_fail(err, OL_EINVAL, "evaluate: empty dataset");
    if (ol_model_input_size(model) != data->image_size)
        return ol_fail(err, OL_EINVAL, "evaluate: the model takes %zu floats per image but the dataset has %zu",
                       ol_model_input_size(model), data->image_size);
    int pred[EVAL_CHUNK];
    long correct = 0;
    for (int start = 0; start < data->n; start += EVAL_CHUNK) {
        int n = data->n - start < EVAL_CHUNK ? data->n - start : EVAL_CHUNK;
        ol_status st = ol_model_predict(model, data->x + (size_t)start * data->image_size, n, pred, err);
        if (st != OL_OK) return st;
        for (int i = 0; i < n; i++) correct += pred[i] == data->labels[start + i];
    }
    *accuracy = (double)correct / data->n;
    return OL_OK;
}

static int all_finite(const float *a, size_t n) {
    /* Sum of x*0 is NaN iff some x is NaN or Inf: one branch-free pass, once per epoch. */
    float acc = 0.0f;
    for (size_t i = 0; i < n; i++) acc += a[i] * 0.0f;
    return acc == 0.0f;
}

static ol_status check_dataset(const char *what, const ol_dataset *d, size_t input_size, int classes,
                               ol_error *err) {
    if (!d || d->n < 1 || !d->x || !d->labels)
        return ol_fail(err, OL_EINVAL, "train: the %s set is empty", what);
    if (d->image_size != input_size)
        return ol_fail(err, OL_EINVAL,
                       "train: %s images have %zu floats (%dx%dx%d) but the model takes %zu per image", what,
                       d->image_size, d->channels, d->height, d->width, input_size);
    if (d->num_classes > classes)
        return ol_fail(err, OL_EINVAL, "train: %s has %d classes but the model outputs only %d", what,
                       d->num_classes, classes);
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] >= classes)
            return ol_fail(err, OL_EINVAL, "train: %s label %u (item %d) is not below the model's %d classes", what,
                           d->labels[i], i, classes);
    return OL_OK;
}

ol_status ol_train_run(ol_model *model, ol_optimizer *opt, const ol_dataset *train, const ol_dataset *valid_epoch,
                       const ol_dataset *valid_trial, const ol_train_config *cfg, ol_train_result *res,
                       ol_error *err) {
    memset(res, 0, sizeof *res);
    res->best_valid_epoch_acc = NAN;
    res->valid_trial_acc = NAN;
    if (!model || !opt || !cfg) return ol_fail(err, OL_EINVAL, "train: model, optimizer and config are required");
    if (cfg->batch_size < 1) return ol_fail(err, OL_EINVAL, "train: batch_size %d must be at least 1", cfg->batch_size);
    if (cfg->batch_size > ol_model_max_batch(model))
        return ol_fail(err, OL_EINVAL, "train: batch_size %d exceeds the model's max_batch %d", cfg->batch_size,
                       ol_model_max_batch(model));
    if (cfg->patience < 1) return ol_fail(err, OL_EINVAL, "train: patience %d must be at least 1", cfg->patience);
    if (cfg->max_epochs < 1) return ol_fail(err, OL_EINVAL, "train: max_epochs %d must be at least 1", cfg->max_epochs);
    if (cfg->loss != OL_LOSS_SEED && cfg->loss != OL_LOSS_LOGITS)
        return ol_fail(err, OL_EINVAL, "train: unknown loss kind %d", (int)cfg->loss);
    size_t input_size = ol_model_input_size(model);
    int classes = ol_model_num_classes(model);
    ol_status st;
    if ((st = check_dataset("train", train, input_size, classes, err)) != OL_OK) return st;
    if ((st = check_dataset("valid-epoch", valid_epoch, input_size, classes, err)) != OL_OK) return st;
    if (valid_trial && (st = check_dataset("valid-trial", valid_trial, input_size, classes, err)) != OL_OK)
        return st;

    const ol_schedule *sched = cfg->schedule;
    if ((st = ol_train_check_schedule(cfg, train->n, err)) != OL_OK) return ol_error_prefix(err, "train");

    double started = ol_now();
    size_t n_params = ol_model_num_params(model);
    float *params = ol_model_params(model);
    const float *grads = ol_model_grads(model);
    if (ol_optimizer_group_count(opt) == 0) {
        if ((st = ol_optimizer_add_group(opt, params, grads, n_params, err)) != OL_OK ||
            (st = set_model_shapes(opt, model, err)) != OL_OK) {
            ol_error_prefix(err, "train: adding the model's parameters to the optimizer");
            return st;
        }
    }

    /* Everything the epoch loop needs, allocated once. */
    float *best_params = malloc(n_params * sizeof *best_params);
    float *batch_x = malloc((size_t)cfg->batch_size * input_size * sizeof *batch_x);
    uint8_t *batch_labels = malloc((size_t)cfg->batch_size);
    uint32_t *order = malloc((size_t)train->n * sizeof *order);
    res->train_loss = calloc((size_t)cfg->max_epochs, sizeof *res->train_loss);
    res->valid_epoch_acc = calloc((size_t)cfg->max_epochs, sizeof *res->valid_epoch_acc);
    if (!best_params || !batch_x || !batch_labels || !order || !res->train_loss || !res->valid_epoch_acc) {
        st = ol_fail(err, OL_ENOMEM, "train: cannot allocate the run's buffers (%zu parameters, %d epochs)", n_params,
                     cfg->max_epochs);
        goto done;
    }

    /* The score of always answering the most frequent class: the "never learned" line. */
    long class_count[256] = {0};
    long majority = 0;
    for (int i = 0; i < valid_epoch->n; i++)
        if (++class_count[valid_epoch->labels[i]] > majority) majority = class_count[valid_epoch->labels[i]];
    res->majority_share = (double)majority / valid_epoch->n;

    if (cfg->init_model) {
        ol_rng init_rng;
        ol_rng_derive(&init_rng, cfg->seed, "init");
        ol_model_init(model, &init_rng);
    }
    ol_rng shuffle_rng;
    ol_rng_derive(&shuffle_rng, cfg->seed, "shuffle");

    double best_acc = -1.0;
    res->status = OL_RUN_OK;
    for (int epoch = 1; epoch <= cfg->max_epochs; epoch++) {
        for (int i = 0; i < train->n; i++) order[i] = (uint32_t)i;
        ol_rng_shuffle_u32(&shuffle_rng, order, (size_t)train->n);

        double loss_sum = 0.0;
        int diverged = 0;
        for (int start = 0; start < train->n && !diverged; start += cfg->batch_size) {
            int b = train->n - start < cfg->batch_size ? train->n - start : cfg->batch_size;
            for (int k = 0; k < b; k++) {
                uint32_t idx = order[start + k];
                memcpy(batch_x + (size_t)k * input_size, train->x + (size_t)idx * input_size,
                       input_size * sizeof(float));
                batch_labels[k] = train->labels[idx];
            }
            float loss = 0.0f;
            st = ol_model_train_batch(model, batch_x, batch_labels, b, cfg->loss, &loss, err);
            if (st == OL_EDIVERGED || (st == OL_OK && !isfinite(loss))) {
                diverged = 1;
                break;
            }
            if (st != OL_OK) {
                ol_error_prefix(err, "train: epoch %d", epoch);
                goto done;
            }
            if ((st = ol_optimizer_step(opt, err)) != OL_OK) {
                ol_error_prefix(err, "train: epoch %d, optimizer step", epoch);
                goto done;
            }
            res->steps++;
            if (sched && ol_schedule_per_batch(sched) && (st = ol_schedule_step(cfg->schedule, 0.0, err)) != OL_OK) {
                ol_error_prefix(err, "train: epoch %d, schedule", epoch);
                goto done;
            }
            loss_sum += (double)loss * b;
        }
        if (diverged || !all_finite(params, n_params)) {
            res->status = OL_RUN_DIVERGED;
            break;
        }
        double acc;
        /* evaluate (and keep as best) the optimizer's evaluation point: Schedule-Free AdamW's x */
        if ((st = ol_optimizer_eval_params(opt, 1, err)) != OL_OK) goto done;
        if ((st = ol_evaluate_accuracy(model, valid_epoch, &acc, err)) != OL_OK) {
            ol_error_prefix(err, "train: epoch %d, valid-epoch accuracy", epoch);
            goto done;
        }
        double mean_loss = loss_sum / train->n;
        res->train_loss[epoch - 1] = mean_loss;
        res->valid_epoch_acc[epoch - 1] = acc;
        res->epochs_run = epoch;
        if (acc > best_acc) { /* strict improvement only */
            best_acc = acc;
            res->best_epoch = epoch;
            memcpy(best_params, params, n_params * sizeof *params);
        }
        if ((st = ol_optimizer_eval_params(opt, 0, err)) != OL_OK) goto done;
        /* torch users step an epoch schedule after validation, before the next epoch */
        if (sched && !ol_schedule_per_batch(sched) && (st = ol_schedule_step(cfg->schedule, acc, err)) != OL_OK) {
            ol_error_prefix(err, "train: epoch %d, schedule", epoch);
            goto done;
        }
        if (cfg->on_epoch && cfg->on_epoch(cfg->user, epoch, mean_loss, acc)) {
            res->status = OL_RUN_STOPPED;
            break;
        }
        if (epoch - res->best_epoch >= cfg->patience) break;
    }
    st = OL_OK;

    if (res->best_epoch > 0) {
        memcpy(params, best_params, n_params * sizeof *params);
        res->best_valid_epoch_acc = best_acc;
        res->never_learned = best_acc <= res->majority_share + 0.01;
        if (valid_trial && res->status != OL_RUN_STOPPED) {
            st = ol_evaluate_accuracy(model, valid_trial, &res->valid_trial_acc, err);
            if (st != OL_OK) ol_error_prefix(err, "train: valid-trial accuracy");
        }
    } else {
        res->never_learned = 1;
    }

done:
    res->seconds = ol_now() - started;
    free(best_params);
    free(batch_x);
    free(batch_labels);
    free(order);
    if (st != OL_OK) ol_train_result_free(res);
    return st;
}
