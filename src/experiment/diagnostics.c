/*
 * diagnostics.c — the "optlab:diagnostics" trial system attribute (OL_SYSATTR_DIAGNOSTICS) of every trial (see
 * optlab/experiment.h): dead ReLUs, saturated sigmoids and gradient norms per
 * layer after the first epochs, the evidence for why a trial never learned.
 *
 * JSON shape (docs/never-learn.md):
 *   {"batch": 32, "sigmoid_saturated": [0.01, 0.99],
 *    "param_layers": ["0:conv32k3p1", ...], "relu_layers": ["1:relu", ...],
 *    "sigmoid_layers": ["10:sigmoid"],
 *    "epoch0": {"loss": 2.05, "grad_norm": [...], "grad_norm_total": 0.4,
 *               "dead_relu": [...], "zero_relu": [...], "saturated_sigmoid": [...]},
 *    "epoch1": {...}}
 * Arrays follow the *_layers lists; a value that is not finite is null.
 */
#include "optlab/experiment.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define DIAG_MAX_LAYERS 64

struct ol_exp_diag {
    ol_model *model;
    const ol_dataset *data;
    ol_loss_kind loss;
    int batch;
    cJSON *root;
    ol_layer_stats stats[DIAG_MAX_LAYERS];
};

ol_exp_diag *ol_exp_diag_new(ol_model *model, const ol_dataset *data, ol_loss_kind loss, int batch) {
    ol_exp_diag *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->model = model;
    d->data = data;
    d->loss = loss;
    d->batch = batch < data->n ? batch : data->n;
    if (d->batch > ol_model_max_batch(model)) d->batch = ol_model_max_batch(model);
    return d;
}

static cJSON *number_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* The layer-name lists, once per trial: "INDEX:TOKEN", in layer order. */
static void add_layer_names(ol_exp_diag *d, int n) {
    cJSON *params = cJSON_AddArrayToObject(d->root, "param_layers");
    cJSON *relus = cJSON_AddArrayToObject(d->root, "relu_layers");
    cJSON *sigmoids = cJSON_AddArrayToObject(d->root, "sigmoid_layers");
    for (int i = 0; i < n; i++) {
        char name[48];
        snprintf(name, sizeof name, "%d:%s", i, d->stats[i].token);
        if (d->stats[i].param_count) cJSON_AddItemToArray(params, cJSON_CreateString(name));
        if (d->stats[i].kind == OL_LAYER_RELU) cJSON_AddItemToArray(relus, cJSON_CreateString(name));
        if (d->stats[i].kind == OL_LAYER_SIGMOID) cJSON_AddItemToArray(sigmoids, cJSON_CreateString(name));
    }
}

void ol_exp_diag_after_epoch(ol_exp_diag *d, int epoch0) {
    if (!d || epoch0 < 0 || epoch0 >= OL_DIAG_EPOCHS || d->batch < 1) return;
    float loss = NAN;
    ol_error err;
    /* gradients of the fixed batch at the current weights; OL_EDIVERGED still writes them */
    ol_status st = ol_model_train_batch(d->model, d->data->x, d->data->labels, d->batch, d->loss, &loss, &err);
    if (st != OL_OK && st != OL_EDIVERGED) return;
    int n = ol_model_layer_stats(d->model, d->stats, DIAG_MAX_LAYERS);
    if (n > DIAG_MAX_LAYERS) n = DIAG_MAX_LAYERS;
    if (!d->root) {
        d->root = cJSON_CreateObject();
        if (!d->root) return;
        cJSON_AddNumberToObject(d->root, "batch", d->batch);
        cJSON *thr = cJSON_AddArrayToObject(d->root, "sigmoid_saturated");
        cJSON_AddItemToArray(thr, cJSON_CreateNumber(OL_DIAG_SIGMOID_LOW));
        cJSON_AddItemToArray(thr, cJSON_CreateNumber(OL_DIAG_SIGMOID_HIGH));
        add_layer_names(d, n);
    }
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "loss", number_or_null(loss));
    cJSON *grad = cJSON_AddArrayToObject(e, "grad_norm");
    cJSON *dead = cJSON_AddArrayToObject(e, "dead_relu");
    cJSON *zero = cJSON_AddArrayToObject(e, "zero_relu");
    cJSON *sat = cJSON_AddArrayToObject(e, "saturated_sigmoid");
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const ol_layer_stats *s = &d->stats[i];
        if (s->param_count) {
            cJSON_AddItemToArray(grad, number_or_null(s->grad_norm));
            total += s->grad_norm * s->grad_norm;
        }
        if (s->kind == OL_LAYER_RELU) {
            cJSON_AddItemToArray(dead, number_or_null(s->frac_dead_units));
            cJSON_AddItemToArray(zero, number_or_null(s->frac_dead));
        }
        if (s->kind == OL_LAYER_SIGMOID) cJSON_AddItemToArray(sat, number_or_null(s->frac_dead));
    }
    cJSON_AddItemToObject(e, "grad_norm_total", number_or_null(sqrt(total)));
    char key[24];
    snprintf(key, sizeof key, "epoch%d", epoch0);
    cJSON_DeleteItemFromObject(d->root, key);
    cJSON_AddItemToObject(d->root, key, e);
}

char *ol_exp_diag_json(const ol_exp_diag *d) { return d && d->root ? cJSON_PrintUnformatted(d->root) : NULL; }

void ol_exp_diag_free(ol_exp_diag *d) {
    if (!d) return;
    cJSON_Delete(d->root);
    free(d);
}
