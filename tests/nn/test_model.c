/*
 * Model spec parsing (errors name the token at fault), parameter layout and
 * count, PyTorch-style init bounds, determinism, argument checks, gradients
 * overwritten (not accumulated), chunked predict, layer statistics, and a
 * few plain SGD steps that must lower the loss.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "optlab/nn.h"

static void expect_spec_error(const char *spec, const char *needle) {
    ol_error err;
    ol_model *m = (ol_model *)1;
    ol_error_clear(&err);
    cr_assert_eq(ol_model_create(&m, spec, 1, 28, 28, 4, &err), OL_EINVAL, "spec '%s' accepted",
                 spec);
    cr_assert_null(m);
    cr_assert(strstr(err.msg, needle), "spec '%s': message '%s' lacks '%s'", spec, err.msg, needle);
}

Test(spec, errors_name_the_token) {
    expect_spec_error("conv32k3p1 relu maxpoo2 flatten linear10", "token 3 'maxpoo2'");
    expect_spec_error("conv32k relu flatten linear10", "'conv32k'");
    expect_spec_error("conv32k3p1x flatten linear10", "'conv32k3p1x'");
    expect_spec_error("conv0k3 flatten linear10", "'conv0k3'");
    expect_spec_error("conv8k3 flatten linear", "'linear'");
    expect_spec_error("conv8k3 linear10", "add 'flatten'");
    expect_spec_error("flatten conv8k3 linear10", "token 2 'conv8k3'");
    expect_spec_error("conv8k29 flatten linear10", "does not fit");
    expect_spec_error("conv8k3", "must be flat");
    expect_spec_error("flatten linear1", "at least 2 classes");
    expect_spec_error("   # only a comment\n", "empty");
    expect_spec_error("conv8k3 softmax", "softmax needs a flat input");
    expect_spec_error("flatten maxpool2 linear10", "'maxpool2'");
    expect_spec_error("conv99999999k3 flatten linear10", "'conv99999999k3'");
    ol_error err;
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, OL_SEED_CNN_SPEC, 1, 28, 28, 0, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "max_batch"));
    cr_assert_eq(ol_model_create(&m, OL_SEED_CNN_SPEC, 0, 28, 28, 4, &err), OL_EINVAL);
}

Test(spec, seed_cnn_has_121994_params_in_state_dict_order) {
    ol_error err;
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, OL_SEED_CNN_SPEC, 1, 28, 28, 32, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_model_num_params(m), 121994);
    cr_assert_eq(ol_model_num_classes(m), 10);
    cr_assert_eq(ol_model_max_batch(m), 32);
    cr_assert_eq(ol_model_input_size(m), 784);
    ol_layer_stats st[16];
    cr_assert_eq(ol_model_layer_stats(m, st, 16), 13);
    size_t expect_off[] = {0, 320, 320 + 18496, 320 + 18496 + 36928, 121994 - 650};
    size_t expect_cnt[] = {320, 18496, 36928, 65600, 650};
    int k = 0;
    for (int i = 0; i < 13; i++) {
        if (!st[i].param_count) continue;
        cr_assert_eq(st[i].param_offset, expect_off[k], "layer %d", i);
        cr_assert_eq(st[i].param_count, expect_cnt[k], "layer %d", i);
        k++;
    }
    cr_assert_eq(k, 5);
    cr_assert_str_eq(st[0].token, "conv32k3p1");
    cr_assert_eq(st[12].kind, OL_LAYER_SOFTMAX);
    ol_model_free(m);
    /* comments and upper case are accepted, as from a spec file */
    cr_assert_eq(ol_model_create(&m, "# two layers\nFLATTEN  # features\n linear10 softmax\n", 1,
                                 28, 28, 2, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_model_num_params(m), 7850);
    ol_model_free(m);
    ol_model_free(NULL);
}

Test(spec, read_file) {
    char path[] = "/tmp/optlab-nn-spec-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char *text = "conv4k3 relu\nflatten linear3 # out\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char *spec;
    ol_error err;
    cr_assert_eq(ol_model_spec_read_file(path, &spec, &err), OL_OK);
    cr_assert_str_eq(spec, text);
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, spec, 1, 5, 5, 2, &err), OL_OK, "%s", err.msg);
    cr_assert_eq(ol_model_num_params(m), 4 * 9 + 4 + 3 * 36 + 3);
    ol_model_free(m);
    free(spec);
    unlink(path);
    cr_assert_eq(ol_model_spec_read_file(path, &spec, &err), OL_EIO);
    cr_assert(strstr(err.msg, path));
}

static void fill(float *x, size_t n, ol_rng *r) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(2 * ol_rng_uniform(r) - 1);
}

Test(model, init_bounds_and_determinism) {
    ol_error err;
    ol_model *a, *b;
    cr_assert_eq(ol_model_create(&a, OL_SEED_CNN_SPEC, 1, 28, 28, 4, &err), OL_OK);
    cr_assert_eq(ol_model_create(&b, OL_SEED_CNN_SPEC, 1, 28, 28, 4, &err), OL_OK);
    ol_rng ra, rb;
    ol_rng_derive(&ra, 7, "init");
    ol_rng_derive(&rb, 7, "init");
    ol_model_init(a, &ra);
    ol_model_init(b, &rb);
    cr_assert(!memcmp(ol_model_params(a), ol_model_params(b), sizeof(float) * 121994));
    /* fan_in: conv1 9, conv2 288, conv3 576, fc1 1024, fc2 64 */
    struct { size_t off, n; double bound; } t[] = {
        {0, 320, 1 / 3.0}, {320, 18496, 1 / sqrt(288)}, {18816, 36928, 1 / 24.0},
        {55744, 65600, 1 / 32.0}, {121344, 650, 1 / 8.0}};
    const float *p = ol_model_params(a);
    for (int k = 0; k < 5; k++) {
        double mx = 0;
        for (size_t i = t[k].off; i < t[k].off + t[k].n; i++) {
            cr_assert_leq(fabs(p[i]), t[k].bound);
            mx = fmax(mx, fabs(p[i]));
        }
        cr_assert_gt(mx, 0.9 * t[k].bound, "tensor %d does not span its bound", k);
    }
    ol_model_free(a);
    ol_model_free(b);
}

Test(model, train_batch_checks_overwrites_and_predict_chunks) {
    ol_error err;
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, OL_SEED_CNN_SPEC, 1, 28, 28, 4, &err), OL_OK);
    ol_rng r;
    ol_rng_seed(&r, 3);
    ol_model_init(m, &r);
    float *x = malloc(sizeof(float) * 11 * 784);
    fill(x, 11 * 784, &r);
    uint8_t y[11] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1};
    float loss;
    cr_assert_eq(ol_model_train_batch(m, x, y, 5, OL_LOSS_SEED, &loss, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "batch size 5"));
    uint8_t bad[2] = {1, 10};
    cr_assert_eq(ol_model_train_batch(m, x, bad, 2, OL_LOSS_SEED, &loss, &err), OL_EINVAL);
    cr_assert(strstr(err.msg, "label 10"));
    cr_assert_eq(ol_model_train_batch(m, x, y, 4, (ol_loss_kind)7, &loss, &err), OL_EINVAL);

    size_t np = ol_model_num_params(m);
    float *g1 = malloc(sizeof(float) * np);
    cr_assert_eq(ol_model_train_batch(m, x, y, 4, OL_LOSS_LOGITS, &loss, &err), OL_OK);
    memcpy(g1, ol_model_grads(m), sizeof(float) * np);
    cr_assert_eq(ol_model_train_batch(m, x, y, 4, OL_LOSS_LOGITS, &loss, &err), OL_OK);
    cr_assert(!memcmp(g1, ol_model_grads(m), sizeof(float) * np), "gradients accumulated");

    /* 11 images through a max_batch-4 model equal one-at-a-time outputs */
    float *out = malloc(sizeof(float) * 11 * 10), one[10];
    int pred[11];
    cr_assert_eq(ol_model_forward(m, x, 11, out, &err), OL_OK);
    cr_assert_eq(ol_model_predict(m, x, 11, pred, &err), OL_OK);
    for (int i = 0; i < 11; i++) {
        cr_assert_eq(ol_model_forward(m, x + i * 784, 1, one, &err), OL_OK);
        int best = 0;
        for (int j = 0; j < 10; j++) {
            cr_assert_float_eq(one[j], out[i * 10 + j], 1e-6);
            if (one[j] > one[best]) best = j;
        }
        cr_assert_eq(pred[i], best);
    }
    cr_assert_eq(ol_model_predict(m, x, 0, pred, &err), OL_OK);
    free(out);
    free(g1);
    free(x);
    ol_model_free(m);
}

Test(model, sgd_lowers_both_losses_and_stats_make_sense) {
    for (int kind = OL_LOSS_SEED; kind <= OL_LOSS_LOGITS; kind++) {
        ol_error err;
        ol_model *m;
        cr_assert_eq(ol_model_create(&m, "conv4k3p1 relu maxpool2 flatten linear16 sigmoid "
                                        "linear3 softmax", 1, 8, 8, 6, &err), OL_OK);
        ol_rng r;
        ol_rng_seed(&r, 11);
        ol_model_init(m, &r);
        float x[6 * 64];
        fill(x, 6 * 64, &r);
        uint8_t y[6] = {0, 1, 2, 0, 1, 2};
        float first = 0, loss = 0;
        size_t np = ol_model_num_params(m);
        for (int step = 0; step < 60; step++) {
            cr_assert_eq(ol_model_train_batch(m, x, y, 6, (ol_loss_kind)kind, &loss, &err), OL_OK);
            if (step == 0) first = loss;
            float *p = ol_model_params(m), *g = ol_model_grads(m);
            for (size_t i = 0; i < np; i++) p[i] -= 0.5f * g[i];
        }
        cr_assert_lt(loss, first - 0.05, "loss kind %d: %g -> %g", kind, first, loss);
        if (kind == OL_LOSS_SEED) cr_assert_gt(loss, 0.55, "seed loss has a floor above 0.55");
        ol_layer_stats st[8];
        cr_assert_eq(ol_model_layer_stats(m, st, 8), 8);
        cr_assert_eq(st[1].kind, OL_LAYER_RELU);
        cr_assert(st[1].frac_dead > 0 && st[1].frac_dead < 1);
        cr_assert(st[0].grad_norm > 0 && st[0].weight_norm > 0);
        cr_assert_eq(st[1].grad_norm, 0);
        cr_assert_float_eq(st[7].out_mean, 1.0 / 3, 1e-6); /* softmax rows sum to 1 */
        ol_model_free(m);
    }
}

/* Dead ReLU units of a conv layer (CB layout inside the model): a channel whose
 * bias is very negative never fires; the others fire somewhere in the batch. */
Test(model, dead_units_of_a_conv_relu_follow_the_channel) {
    ol_error err;
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, "conv3k1 relu flatten linear2", 1, 2, 2, 3, &err), OL_OK);
    float *p = ol_model_params(m);
    for (size_t i = 0; i < ol_model_num_params(m); i++) p[i] = 0.0f;
    p[0] = 1.0f;  /* channel 0: y = x */
    p[1] = -1.0f; /* channel 1: y = -x */
    p[2] = 1.0f;  /* channel 2: y = x - 100: never on */
    p[3 + 2] = -100.0f;
    /* images 0 and 1 positive only at pixel 0, image 2 zero: one live unit
     * (channel 0, pixel 0) fired by two images */
    float x[3 * 4] = {1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    float out[3 * 2];
    cr_assert_eq(ol_model_forward(m, x, 3, out, &err), OL_OK);
    ol_layer_stats st[4];
    ol_model_layer_stats(m, st, 4);
    cr_assert_float_eq(st[1].frac_dead_units, 11.0 / 12, 1e-12);
    cr_assert_float_eq(st[1].frac_dead, 34.0 / 36, 1e-12);
    ol_model_free(m);
}
