/*
 * Parity with PyTorch: the seed CNN with fixed weights on 32 real MNIST
 * training images. tests/nn/golden/seed_cnn.bin was written by
 * tests/nn/golden/gen_seed_cnn.py (Debian's python3-torch); it holds torch's
 * parameters (state_dict order, concatenated), the input batch, the labels,
 * the model's outputs, both losses and the gradient of every parameter for
 * both losses. We load the parameters, run forward/backward and compare.
 *
 * Tolerance: |ours − torch| <= 1e-4·|torch| + floor, where the absolute floor
 * is 1e-6 of the largest |value| in the same tensor (one parameter tensor's
 * gradient, or the outputs): float32 sums of up to 4,608 terms in a different
 * order leave ~1e-7 relative noise on the tensor's scale, which is
 * huge relative error only on entries that are nearly zero by cancellation.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/nn.h"
#include "../src/nn/gemm.h" /* nn_gemm_own_kernels: to test the portable path too */

#define GOLDEN "tests/nn/golden/seed_cnn.bin"

typedef struct {
    int n_params, batch, in_c, in_h, in_w, classes;
    float *params, *x, *out, *grad_seed, *grad_logits;
    uint8_t *labels;
    float loss_seed, loss_logits;
} golden;

static void read_exact(FILE *f, void *p, size_t n) {
    cr_assert_eq(fread(p, 1, n, f), n, GOLDEN ": truncated");
}

static float *read_floats(FILE *f, size_t n) {
    float *p = malloc(sizeof(float) * n);
    read_exact(f, p, sizeof(float) * n);
    return p;
}

static void load_golden(golden *g) {
    FILE *f = fopen(GOLDEN, "rb");
    cr_assert_not_null(f, "cannot open %s (run the tests from the repository root)", GOLDEN);
    char magic[8];
    read_exact(f, magic, 8);
    cr_assert(!memcmp(magic, "OLNNGLD1", 8), GOLDEN ": bad magic");
    int32_t h[6];
    read_exact(f, h, sizeof h);
    g->n_params = h[0]; g->batch = h[1]; g->in_c = h[2]; g->in_h = h[3]; g->in_w = h[4];
    g->classes = h[5];
    size_t in_size = (size_t)g->in_c * g->in_h * g->in_w;
    g->params = read_floats(f, g->n_params);
    g->x = read_floats(f, g->batch * in_size);
    int32_t *lab = malloc(sizeof(int32_t) * g->batch);
    read_exact(f, lab, sizeof(int32_t) * g->batch);
    g->labels = malloc(g->batch);
    for (int i = 0; i < g->batch; i++) g->labels[i] = (uint8_t)lab[i];
    free(lab);
    g->out = read_floats(f, (size_t)g->batch * g->classes);
    read_exact(f, &g->loss_seed, 4);
    read_exact(f, &g->loss_logits, 4);
    g->grad_seed = read_floats(f, g->n_params);
    g->grad_logits = read_floats(f, g->n_params);
    char extra;
    cr_assert_eq(fread(&extra, 1, 1, f), 0, GOLDEN ": trailing bytes");
    fclose(f);
}

static void free_golden(golden *g) {
    free(g->params); free(g->x); free(g->out); free(g->grad_seed); free(g->grad_logits);
    free(g->labels);
}

/* Compare a tensor; returns the largest error relative to (1e-4·|ref| + floor) ratio. */
static void compare(const char *what, const float *ours, const float *ref, size_t n) {
    double mx = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(ref[i]));
    double floor = 1e-6 * mx;
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs((double)ours[i] - ref[i]) <= 1e-4 * fabs(ref[i]) + floor,
                  "%s[%zu]: ours %.9g torch %.9g (tensor max %.3g)", what, i, ours[i], ref[i], mx);
}

static ol_model *seed_model(const golden *g) {
    ol_error err;
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, OL_SEED_CNN_SPEC, g->in_c, g->in_h, g->in_w, g->batch, &err),
                 OL_OK, "%s", err.msg);
    cr_assert_eq(ol_model_num_params(m), (size_t)g->n_params);
    cr_assert_eq(ol_model_num_classes(m), g->classes);
    memcpy(ol_model_params(m), g->params, sizeof(float) * g->n_params);
    return m;
}

/* Check each parameter tensor of the seed CNN separately (so each has its own floor). */
static void compare_grads(ol_model *m, const float *ref, const char *loss) {
    ol_layer_stats st[16];
    int n = ol_model_layer_stats(m, st, 16);
    const float *ours = ol_model_grads(m);
    for (int i = 0; i < n; i++) {
        if (!st[i].param_count) continue;
        /* weights then biases: the bias count is the layer's output count */
        int outs = 0;
        sscanf(st[i].token, st[i].kind == OL_LAYER_CONV ? "conv%d" : "linear%d", &outs);
        size_t w = st[i].param_count - outs, off = st[i].param_offset;
        char name[96];
        snprintf(name, sizeof name, "%s grad %s weight", loss, st[i].token);
        compare(name, ours + off, ref + off, w);
        snprintf(name, sizeof name, "%s grad %s bias", loss, st[i].token);
        compare(name, ours + off + w, ref + off + w, outs);
    }
}

static void check_parity(void) {
    golden g;
    load_golden(&g);
    ol_model *m = seed_model(&g);
    ol_error err;
    float *out = malloc(sizeof(float) * g.batch * g.classes);
    cr_assert_eq(ol_model_forward(m, g.x, g.batch, out, &err), OL_OK);
    compare("output", out, g.out, (size_t)g.batch * g.classes);

    float loss;
    cr_assert_eq(ol_model_train_batch(m, g.x, g.labels, g.batch, OL_LOSS_SEED, &loss, &err), OL_OK);
    cr_assert(fabs(loss - g.loss_seed) <= 1e-4 * fabs(g.loss_seed), "seed loss %.9g vs %.9g", loss,
              g.loss_seed);
    compare_grads(m, g.grad_seed, "seed-loss");

    cr_assert_eq(ol_model_train_batch(m, g.x, g.labels, g.batch, OL_LOSS_LOGITS, &loss, &err), OL_OK);
    cr_assert(fabs(loss - g.loss_logits) <= 1e-4 * fabs(g.loss_logits), "logits loss %.9g vs %.9g",
              loss, g.loss_logits);
    compare_grads(m, g.grad_logits, "logits-loss");

    /* predictions equal torch's argmax, also when chunked by a smaller max_batch */
    ol_model *small;
    cr_assert_eq(ol_model_create(&small, OL_SEED_CNN_SPEC, 1, 28, 28, 5, &err), OL_OK);
    memcpy(ol_model_params(small), g.params, sizeof(float) * g.n_params);
    int *pred = malloc(sizeof(int) * g.batch);
    cr_assert_eq(ol_model_predict(small, g.x, g.batch, pred, &err), OL_OK);
    for (int b = 0; b < g.batch; b++) {
        int best = 0;
        for (int j = 1; j < g.classes; j++)
            if (g.out[b * g.classes + j] > g.out[b * g.classes + best]) best = j;
        cr_assert_eq(pred[b], best, "image %d", b);
    }
    free(pred);
    ol_model_free(small);
    free(out);
    ol_model_free(m);
    free_golden(&g);
}

/* With our AVX-512 kernels where the CPU has them (the default). */
Test(parity, seed_cnn_outputs_losses_and_gradients_match_pytorch) { check_parity(); }

/* The portable path every x86-64 takes: OpenBLAS and plain C loops. */
Test(parity, seed_cnn_matches_pytorch_on_the_portable_path) {
    nn_gemm_own_kernels = 0;
    check_parity();
}
