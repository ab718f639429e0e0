/*
 * Tests of one training run on a tiny synthetic problem (1×4×4 images, two
 * classes told apart by which half is bright, plus noise), small enough to
 * train in milliseconds: learning, early stopping exactly `patience` epochs
 * after the best, best weights restored, the epoch callback (history and
 * stopping), divergence as a result rather than a crash, determinism, the
 * "never learned" flag and argument checks.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/train.h"

#define SPEC "flatten linear2"

/* n images: class = i % 2; class 0 bright on top, class 1 bright at the bottom; noise from `seed`. */
static ol_dataset make_halves(int n, uint64_t seed, double noise) {
    ol_dataset d;
    memset(&d, 0, sizeof d);
    d.n = n;
    d.channels = 1;
    d.height = d.width = 4;
    d.image_size = 16;
    d.num_classes = 2;
    d.x = malloc((size_t)n * 16 * sizeof(float));
    d.labels = malloc((size_t)n);
    d.source_index = malloc((size_t)n * sizeof(uint32_t));
    ol_rng r;
    ol_rng_derive(&r, seed, "halves");
    for (int i = 0; i < n; i++) {
        int cls = i % 2;
        d.labels[i] = (uint8_t)cls;
        d.source_index[i] = (uint32_t)i;
        for (int p = 0; p < 16; p++) {
            int top = p < 8;
            float base = (top == (cls == 0)) ? 0.6f : -0.6f;
            d.x[i * 16 + p] = base + (float)(noise * ol_rng_normal(&r));
        }
    }
    return d;
}

typedef struct {
    ol_dataset train, valid_epoch, valid_trial;
} problem;

static problem make_problem(double noise) {
    problem p = {make_halves(200, 1, noise), make_halves(100, 2, noise), make_halves(100, 3, noise)};
    return p;
}

static void free_problem(problem *p) {
    ol_dataset_free(&p->train);
    ol_dataset_free(&p->valid_epoch);
    ol_dataset_free(&p->valid_trial);
}

static ol_model *new_model(void) {
    ol_model *m;
    ol_error err;
    cr_assert_eq(ol_model_create(&m, SPEC, 1, 4, 4, 64, &err), OL_OK, "%s", err.msg);
    return m;
}

static ol_optimizer *new_opt(const char *name, const char *settings) {
    ol_optimizer *o;
    ol_error err;
    cr_assert_eq(ol_optimizer_create(&o, name, &err), OL_OK, "%s", err.msg);
    if (settings) cr_assert_eq(ol_optimizer_set_from_string(o, settings, &err), OL_OK, "%s", err.msg);
    return o;
}

/* Run once with a fresh model and optimizer; the model is returned in *model_out if wanted. */
static ol_status run(problem *p, const char *opt_name, const char *settings, ol_train_config *cfg,
                     ol_train_result *res, ol_model **model_out) {
    ol_model *m = new_model();
    ol_optimizer *o = new_opt(opt_name, settings);
    ol_error err = {0};
    ol_status st = ol_train_run(m, o, &p->train, &p->valid_epoch, &p->valid_trial, cfg, res, &err);
    cr_assert_eq(st, OL_OK, "%s", err.msg);
    ol_optimizer_free(o);
    if (model_out) *model_out = m;
    else ol_model_free(m);
    return st;
}

Test(train, learns_separable_problem_and_stops_patience_after_best) {
    problem p = make_problem(0.8);
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.loss = OL_LOSS_LOGITS;
    cfg.seed = 11;
    ol_train_result res;
    ol_model *m;
    run(&p, "adam", "learning_rate=0.01", &cfg, &res, &m);
    cr_assert_eq(res.status, OL_RUN_OK);
    cr_assert_geq(res.valid_trial_acc, 0.9, "valid-trial accuracy %g", res.valid_trial_acc);
    cr_assert_eq(res.never_learned, 0);
    cr_assert_eq(res.epochs_run, res.best_epoch + cfg.patience, "stopped at %d, best %d", res.epochs_run,
                 res.best_epoch);
    /* the best epoch is the first strict maximum of the history */
    for (int e = 0; e < res.epochs_run; e++) {
        if (e < res.best_epoch - 1) cr_assert_lt(res.valid_epoch_acc[e], res.best_valid_epoch_acc);
        else cr_assert_leq(res.valid_epoch_acc[e], res.best_valid_epoch_acc);
        cr_assert(isfinite(res.train_loss[e]) && res.train_loss[e] > 0);
    }
    cr_assert_lt(res.train_loss[res.epochs_run - 1], res.train_loss[0], "loss did not fall");
    /* the model holds the best epoch's weights: valid-epoch accuracy is the best one again */
    double acc;
    ol_error err;
    cr_assert_eq(ol_evaluate_accuracy(m, &p.valid_epoch, &acc, &err), OL_OK);
    cr_assert_float_eq(acc, res.best_valid_epoch_acc, 1e-12);
    cr_assert_eq(res.steps, (long)res.epochs_run * 7); /* 200 images = 6 batches of 32 + 1 of 8 */
    ol_train_result_free(&res);
    ol_train_result_free(&res);
    ol_model_free(m);
    free_problem(&p);
}

Test(train, patience_counts_from_the_best_epoch) {
    /* heavy noise: accuracy wanders, so best epochs come late and the rule is exercised */
    problem p = make_problem(3.0);
    for (int patience = 1; patience <= 3; patience++) {
        ol_train_config cfg;
        ol_train_config_default(&cfg);
        cfg.patience = patience;
        cfg.seed = 5;
        ol_train_result res;
        run(&p, "adam", "learning_rate=0.003", &cfg, &res, NULL);
        cr_assert_eq(res.status, OL_RUN_OK);
        cr_assert_eq(res.epochs_run, res.best_epoch + patience);
        /* no strict improvement over the best in the last `patience` epochs */
        for (int e = res.best_epoch; e < res.epochs_run; e++)
            cr_assert_leq(res.valid_epoch_acc[e], res.valid_epoch_acc[res.best_epoch - 1]);
        ol_train_result_free(&res);
    }
    free_problem(&p);
}

typedef struct {
    int calls;
    int stop_at;
    double losses[64], accs[64];
    ol_model *poison; /* if set, NaN is written into its parameters at epoch stop_at */
} recorder;

static int record_epoch(void *user, int epoch, double train_loss, double valid_epoch_acc) {
    recorder *r = user;
    r->calls++;
    cr_assert_eq(epoch, r->calls, "epochs must be reported in order from 1");
    r->losses[epoch - 1] = train_loss;
    r->accs[epoch - 1] = valid_epoch_acc;
    if (r->poison && epoch == r->stop_at) {
        ol_model_params(r->poison)[3] = NAN;
        return 0;
    }
    return r->stop_at > 0 && epoch >= r->stop_at;
}

Test(train, callback_sees_every_epoch_and_can_stop) {
    problem p = make_problem(0.8);
    recorder rec = {.stop_at = 3};
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.on_epoch = record_epoch;
    cfg.user = &rec;
    ol_train_result res;
    run(&p, "adam", "learning_rate=0.01", &cfg, &res, NULL);
    cr_assert_eq(res.status, OL_RUN_STOPPED);
    cr_assert_str_eq(ol_run_status_name(res.status), "stopped");
    cr_assert_eq(res.epochs_run, 3);
    cr_assert_eq(rec.calls, 3);
    for (int e = 0; e < 3; e++) {
        cr_assert_eq(rec.losses[e], res.train_loss[e]);
        cr_assert_eq(rec.accs[e], res.valid_epoch_acc[e]);
    }
    cr_assert(isnan(res.valid_trial_acc), "a stopped run has no valid-trial value");
    ol_train_result_free(&res);

    /* without stopping, the callback sees the same history the result holds */
    recorder all = {.stop_at = 0};
    cfg.user = &all;
    run(&p, "adam", "learning_rate=0.01", &cfg, &res, NULL);
    cr_assert_eq(res.status, OL_RUN_OK);
    cr_assert_eq(all.calls, res.epochs_run);
    ol_train_result_free(&res);
    free_problem(&p);
}

Test(train, nan_parameters_end_the_run_as_diverged) {
    problem p = make_problem(0.8);
    ol_model *m = new_model();
    ol_optimizer *o = new_opt("adam", "learning_rate=0.01");
    recorder rec = {.stop_at = 2, .poison = m};
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.on_epoch = record_epoch;
    cfg.user = &rec;
    ol_train_result res;
    ol_error err;
    cr_assert_eq(ol_train_run(m, o, &p.train, &p.valid_epoch, &p.valid_trial, &cfg, &res, &err), OL_OK, "%s",
                 err.msg);
    cr_assert_eq(res.status, OL_RUN_DIVERGED);
    cr_assert_str_eq(ol_run_status_name(res.status), "diverged");
    cr_assert_eq(res.epochs_run, 2, "the partial history is kept");
    cr_assert(res.best_epoch >= 1 && res.best_epoch <= 2);
    /* the best weights (finite) are restored and scored */
    const float *w = ol_model_params(m);
    for (size_t i = 0; i < ol_model_num_params(m); i++) cr_assert(isfinite(w[i]));
    cr_assert(isfinite(res.valid_trial_acc));
    ol_train_result_free(&res);
    ol_optimizer_free(o);
    ol_model_free(m);
    free_problem(&p);
}

Test(train, huge_learning_rate_diverges_without_crashing) {
    /* Two layers: with a huge step the hidden activations and the next layer's gradients grow
     * multiplicatively until float overflows to Inf and the loss to NaN. */
    problem p = make_problem(0.8);
    ol_model *m;
    ol_error err;
    cr_assert_eq(ol_model_create(&m, "flatten linear8 relu linear2", 1, 4, 4, 32, &err), OL_OK, "%s", err.msg);
    ol_optimizer *o = new_opt("sgd", "learning_rate=1e30");
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.loss = OL_LOSS_LOGITS;
    ol_train_result res;
    cr_assert_eq(ol_train_run(m, o, &p.train, &p.valid_epoch, &p.valid_trial, &cfg, &res, &err), OL_OK, "%s",
                 err.msg);
    cr_assert_eq(res.status, OL_RUN_DIVERGED, "status %s after %d epochs", ol_run_status_name(res.status),
                 res.epochs_run);
    cr_assert_leq(res.epochs_run, 2);
    for (int e = 0; e < res.epochs_run; e++) cr_assert(isfinite(res.train_loss[e]));
    if (res.best_epoch == 0) cr_assert(isnan(res.valid_trial_acc) && res.never_learned);
    ol_train_result_free(&res);
    ol_optimizer_free(o);
    ol_model_free(m);
    free_problem(&p);
}

Test(train, same_seed_same_run_bit_for_bit) {
    problem p = make_problem(1.5);
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.seed = 77;
    ol_train_result a, b, c;
    ol_model *ma, *mb, *mc;
    run(&p, "adam", "learning_rate=0.005", &cfg, &a, &ma);
    run(&p, "adam", "learning_rate=0.005", &cfg, &b, &mb);
    cfg.seed = 78;
    run(&p, "adam", "learning_rate=0.005", &cfg, &c, &mc);
    cr_assert_eq(a.epochs_run, b.epochs_run);
    cr_assert_eq(a.best_epoch, b.best_epoch);
    cr_assert_eq(memcmp(a.train_loss, b.train_loss, (size_t)a.epochs_run * sizeof(double)), 0);
    cr_assert_eq(memcmp(a.valid_epoch_acc, b.valid_epoch_acc, (size_t)a.epochs_run * sizeof(double)), 0);
    cr_assert_eq(memcmp(&a.valid_trial_acc, &b.valid_trial_acc, sizeof(double)), 0);
    size_t n = ol_model_num_params(ma);
    cr_assert_eq(memcmp(ol_model_params(ma), ol_model_params(mb), n * sizeof(float)), 0);
    cr_assert_neq(memcmp(ol_model_params(ma), ol_model_params(mc), n * sizeof(float)), 0,
                  "a different seed gave the same weights");
    cr_assert_neq(a.train_loss[0], c.train_loss[0]);
    ol_train_result_free(&a);
    ol_train_result_free(&b);
    ol_train_result_free(&c);
    ol_model_free(ma);
    ol_model_free(mb);
    ol_model_free(mc);
    free_problem(&p);
}

Test(train, max_epochs_caps_the_run) {
    problem p = make_problem(0.8);
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.max_epochs = 2;
    ol_train_result res;
    run(&p, "adam", "learning_rate=0.01", &cfg, &res, NULL);
    cr_assert_eq(res.status, OL_RUN_OK);
    cr_assert_eq(res.epochs_run, 2);
    cr_assert(isfinite(res.valid_trial_acc));
    ol_train_result_free(&res);
    free_problem(&p);
}

Test(train, constant_images_never_learn) {
    problem p = make_problem(0.0);
    /* all images identical: the model can only answer one class */
    for (int i = 0; i < p.train.n * 16; i++) p.train.x[i] = 0.25f;
    for (int i = 0; i < p.valid_epoch.n * 16; i++) p.valid_epoch.x[i] = 0.25f;
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    ol_train_result res;
    run(&p, "adam", "learning_rate=0.01", &cfg, &res, NULL);
    cr_assert_eq(res.status, OL_RUN_OK);
    cr_assert_float_eq(res.majority_share, 0.5, 1e-12);
    cr_assert_eq(res.never_learned, 1, "best %g", res.best_valid_epoch_acc);
    ol_train_result_free(&res);
    free_problem(&p);
}

Test(train, bad_arguments_are_refused_with_a_message) {
    problem p = make_problem(0.8);
    ol_model *m = new_model();
    ol_optimizer *o = new_opt("adam", NULL);
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    ol_train_result res;
    ol_error err;
    cfg.batch_size = 65;
    cr_assert_eq(ol_train_run(m, o, &p.train, &p.valid_epoch, NULL, &cfg, &res, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "batch_size 65") && strstr(err.msg, "max_batch 64"), "%s", err.msg);
    ol_train_config_default(&cfg);
    cfg.patience = 0;
    cr_assert_eq(ol_train_run(m, o, &p.train, &p.valid_epoch, NULL, &cfg, &res, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "patience"), "%s", err.msg);
    ol_train_config_default(&cfg);
    ol_dataset wrong = make_halves(10, 9, 0.1);
    wrong.image_size = 9;
    wrong.height = wrong.width = 3;
    cr_assert_eq(ol_train_run(m, o, &wrong, &p.valid_epoch, NULL, &cfg, &res, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "train images have 9 floats"), "%s", err.msg);
    wrong.image_size = 16;
    wrong.labels[4] = 7;
    cr_assert_eq(ol_train_run(m, o, &wrong, &p.valid_epoch, NULL, &cfg, &res, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "label 7"), "%s", err.msg);
    ol_dataset_free(&wrong);
    ol_optimizer_free(o);
    ol_model_free(m);
    free_problem(&p);
}

/* Optimizers that need shapes learn them from the model (ol_model_tensors -> ol_optimizer_set_shapes):
 * each learns the problem (as does Schedule-Free AdamW, evaluated at its average x), and Muon's run differs from one whose group was added without shapes. */
Test(train, shape_aware_optimizers_get_the_models_tensor_shapes) {
    problem p = make_problem(0.8);
    ol_train_config cfg;
    ol_train_config_default(&cfg);
    cfg.loss = OL_LOSS_LOGITS;
    cfg.seed = 11;
    cfg.max_epochs = 30;
    const char *runs[][2] = {{"muon", "lr=0.02,muon_ends=1,adamw_lr_ratio=0.5"}, {"lamb", "lr=0.02"},
                             {"adafactor", NULL}, {"sfadamw", "lr=0.01"}};
    for (size_t r = 0; r < 4; r++) {
        ol_train_result res;
        run(&p, runs[r][0], runs[r][1], &cfg, &res, NULL);
        cr_assert_eq(res.status, OL_RUN_OK);
        cr_assert_geq(res.valid_trial_acc, 0.9, "%s: valid-trial accuracy %g", runs[r][0], res.valid_trial_acc);
        ol_train_result_free(&res);
    }
    /* the same Muon run with the group added beforehand (no shapes: every tensor 1-D, all AdamW) */
    ol_train_result shaped, flat;
    ol_model *a, *b = new_model();
    run(&p, runs[0][0], runs[0][1], &cfg, &shaped, &a);
    ol_optimizer *o = new_opt(runs[0][0], runs[0][1]);
    ol_error err;
    cr_assert_eq(ol_optimizer_add_group(o, ol_model_params(b), ol_model_grads(b), ol_model_num_params(b), &err), OL_OK);
    cr_assert_eq(ol_train_run(b, o, &p.train, &p.valid_epoch, &p.valid_trial, &cfg, &flat, &err), OL_OK, "%s", err.msg);
    cr_assert_neq(memcmp(ol_model_params(a), ol_model_params(b), ol_model_num_params(a) * sizeof(float)), 0,
                  "muon trained the same with and without the model's shapes");
    ol_train_result_free(&shaped);
    ol_train_result_free(&flat);
    ol_optimizer_free(o);
    ol_model_free(a);
    ol_model_free(b);
    free_problem(&p);
}
