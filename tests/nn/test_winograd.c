/*
 * Winograd F(2×2,3×3) convolution (src/nn/winograd.c) against the direct
 * im2col form, which test_gradcheck.c checks against finite differences:
 * the same model and batch built once with nn_winograd = 0 and once with
 * nn_winograd = 1 (every 3×3 conv), compared on the outputs, both losses and
 * every parameter gradient (so the input gradients of the Winograd layers are
 * checked through the layers below them). Shapes cover padding, odd output
 * sizes (half tiles), tile rows too wide for the AVX-512 transforms, chunks
 * with a partial last chunk, and both GEMM paths (own kernels and OpenBLAS).
 * Tolerance as test_parity.c: 1e-4 relative plus 1e-6 of the tensor's max.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/nn.h"
#include "../src/nn/gemm.h"

static void close_enough(const char *spec, const char *what, const float *a, const float *b,
                         size_t n) {
    double mx = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(b[i]));
    cr_assert(mx > 0, "%s: %s is all zero (test would be vacuous)", spec, what);
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs((double)a[i] - b[i]) <= 1e-4 * fabs(b[i]) + 1e-6 * mx,
                  "%s: %s[%zu] winograd %.9g direct %.9g (max %.3g)", spec, what, i, a[i], b[i],
                  mx);
}

static ol_model *build(const char *spec, int c, int h, int w, int B, int wino, const float *p) {
    ol_error err;
    ol_model *m;
    nn_winograd = wino;
    cr_assert_eq(ol_model_create(&m, spec, c, h, w, B, &err), OL_OK, "%s", err.msg);
    nn_winograd = -1;
    if (p) memcpy(ol_model_params(m), p, sizeof(float) * ol_model_num_params(m));
    return m;
}

static void compare(const char *spec, int c, int h, int w, int B, uint64_t seed) {
    ol_rng rng;
    ol_rng_seed(&rng, seed);
    ol_model *d = build(spec, c, h, w, B, 0, NULL);
    ol_model_init(d, &rng);
    ol_model *wm = build(spec, c, h, w, B, 1, ol_model_params(d));
    size_t in = (size_t)c * h * w, np = ol_model_num_params(d);
    int C = ol_model_num_classes(d);
    float *x = malloc(sizeof(float) * B * in), *o1 = malloc(sizeof(float) * B * C),
          *o2 = malloc(sizeof(float) * B * C);
    uint8_t *lab = malloc(B);
    for (size_t i = 0; i < B * in; i++) x[i] = (float)(2 * ol_rng_uniform(&rng) - 1);
    for (int b = 0; b < B; b++) lab[b] = (uint8_t)ol_rng_below(&rng, (uint32_t)C);
    ol_error err;
    cr_assert_eq(ol_model_forward(d, x, B, o1, &err), OL_OK);
    cr_assert_eq(ol_model_forward(wm, x, B, o2, &err), OL_OK);
    close_enough(spec, "output", o2, o1, (size_t)B * C);
    for (int k = 0; k < 2; k++) {
        float l1, l2;
        cr_assert_eq(ol_model_train_batch(d, x, lab, B, (ol_loss_kind)k, &l1, &err), OL_OK);
        cr_assert_eq(ol_model_train_batch(wm, x, lab, B, (ol_loss_kind)k, &l2, &err), OL_OK);
        cr_assert(fabs(l1 - l2) <= 1e-5 * fabs(l1), "%s loss %d: %g vs %g", spec, k, l2, l1);
        /* one tensor per layer: the floor follows each layer's own gradient scale */
        ol_layer_stats st[32];
        int n = ol_model_layer_stats(d, st, 32);
        for (int i = 0; i < n && i < 32; i++) {
            if (!st[i].param_count) continue;
            close_enough(spec, st[i].token, ol_model_grads(wm) + st[i].param_offset,
                         ol_model_grads(d) + st[i].param_offset, st[i].param_count);
        }
        (void)np;
    }
    free(x); free(o1); free(o2); free(lab);
    ol_model_free(d);
    ol_model_free(wm);
}

static void shapes(void) {
    /* the seed CNN's shape, batch 32 (conv2 in chunks, a partial last chunk) */
    compare(OL_SEED_CNN_SPEC, 1, 28, 28, 32, 1);
    /* padding 1 and 2, odd outputs (7×7, 5×5: half tiles), multichannel input */
    compare("conv6k3p1 relu conv5k3p2 tanh maxpool2 flatten linear4", 3, 7, 7, 5, 2);
    /* odd input, 3×3 conv with no ReLU after it, then a fused one */
    compare("conv8k3 sigmoid conv9k3p1 relu flatten linear3 softmax", 2, 9, 11, 3, 3);
    /* 34-wide output: 17 tiles a row, too wide for the AVX-512 transforms */
    compare("conv4k3p1 relu conv8k3 relu maxpool2 flatten linear3", 2, 36, 36, 2, 4);
}

Test(winograd, matches_direct_convolution) { shapes(); }

Test(winograd, matches_direct_convolution_on_the_portable_path) {
    nn_gemm_own_kernels = 0;
    shapes();
}

/* The default choice: the seed CNN's conv2 (14×14 → 12×12, 32 channels) uses
 * Winograd; the result must still match the direct form (also covered above). */
Test(winograd, default_choice_matches_direct) {
    ol_rng rng;
    ol_rng_seed(&rng, 9);
    ol_model *d = build(OL_SEED_CNN_SPEC, 1, 28, 28, 8, 0, NULL);
    ol_model_init(d, &rng);
    ol_model *w = build(OL_SEED_CNN_SPEC, 1, 28, 28, 8, -1, ol_model_params(d));
    float x[8 * 784], o1[80], o2[80];
    for (int i = 0; i < 8 * 784; i++) x[i] = (float)(2 * ol_rng_uniform(&rng) - 1);
    ol_error err;
    cr_assert_eq(ol_model_forward(d, x, 8, o1, &err), OL_OK);
    cr_assert_eq(ol_model_forward(w, x, 8, o2, &err), OL_OK);
    close_enough("seed default", "output", o2, o1, 80);
    ol_model_free(d);
    ol_model_free(w);
}
