/*
 * diagnostics.h — why a trial never learns: per-layer statistics of the model
 * after its first epochs, recorded by `optlab run` as the trial's user
 * attribute "diagnostics" (docs/never-learn.md describes the JSON).
 *
 * Cheap by construction: after each of the first DIAG_EPOCHS epochs, one
 * forward + backward on one fixed batch (the first images of the train split)
 * and one pass over the stored activations (ol_model_layer_stats). The
 * trainer's next step overwrites the gradients and activations this leaves,
 * so recording diagnostics does not change the training run.
 */
#ifndef OPTLAB_CLI_DIAGNOSTICS_H
#define OPTLAB_CLI_DIAGNOSTICS_H

#include "optlab/data.h"
#include "optlab/nn.h"

/** Epochs (from 0) after which diagnostics are taken: 0 and 1. */
#define DIAG_EPOCHS 2

/** A sigmoid output below DIAG_SIGMOID_LOW or above DIAG_SIGMOID_HIGH is saturated
 *  (its derivative y(1-y) < 0.0099): ol_model_layer_stats' threshold. */
#define DIAG_SIGMOID_LOW 0.01
#define DIAG_SIGMOID_HIGH 0.99

typedef struct run_diag run_diag;

/**
 * Diagnostics for one trial of `model` trained with `loss`, measured on the
 * first min(batch, data->n) images of `data`. NULL when out of memory (the
 * trial then simply has no diagnostics).
 */
run_diag *diag_new(ol_model *model, const ol_dataset *data, ol_loss_kind loss, int batch);

/** Take the diagnostics after epoch `epoch0` (from 0); ignored when epoch0 >= DIAG_EPOCHS. */
void diag_after_epoch(run_diag *d, int epoch0);

/** The recorded diagnostics as JSON text (malloc'd; NULL if none were taken). */
char *diag_json(const run_diag *d);

void diag_free(run_diag *d);

#endif
