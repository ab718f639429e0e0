/*
 * Winograd convolutions (src/nn/winograd.c F(2×2,3×3), src/nn/winograd4.c
 * F(4×4,3×3)) against the direct im2col form, which test_gradcheck.c checks
 * against finite differences: the same model and batch built once with
 * nn_winograd = 0 and once with nn_winograd = 1 (F(2,3) on every 3×3 conv)
 * or 2 (F(4,3) on every 3×3 conv), compared on the outputs, both losses and
 * every parameter gradient (so the input gradients of the Winograd layers are
 * checked through the layers below them). Shapes cover padding, odd output
 * sizes (partial tiles), tile rows too wide for the F(2,3) tile-column
 * AVX-512 transforms and narrow enough for its lane = tile ones (outputs
 * under 8 wide), channel counts that are not multiples of 16, groups of
 * fewer than 16 tiles, chunks with a partial last chunk, and both
 * GEMM/transform paths (own kernels: AVX-512, or on CPUs without it AVX2+FMA,
 * whose F(2,3) lane = tile transforms only these forced runs take; and the
 * portable one).
 * Tolerance as test_parity.c: 1e-4 relative plus 1e-6 of the tensor's max.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/nn.h"
#include "../src/nn/gemm.h"
#include "../src/nn/nn_internal.h"

/* |a − b| <= 1e-4·|b| + floor·max|b| elementwise */
static void close_enough(const char *spec, const char *what, const float *a, const float *b,
                         size_t n, double floor) {
    double mx = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(b[i]));
    cr_assert(mx > 0, "%s: %s is all zero (test would be vacuous)", spec, what);
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs((double)a[i] - b[i]) <= 1e-4 * fabs(b[i]) + floor * mx,
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

/*
 * F(4×4,3×3)'s transforms have entries up to 8 (Aᵀ) and down to 1/24 (G), so
 * its float32 rounding is ~10× F(2×2,3×3)'s: measured up to ~4e-6 of a
 * gradient tensor's max on these shapes (F(2,3): ~5e-7). Its floor is 1e-5
 * of the max; a wrong transform or tile is off by far more (1e-2 and up).
 */
static double floor_for(int wino) { return wino >= 2 ? 1e-5 : 1e-6; }

static void compare(const char *spec, int c, int h, int w, int B, uint64_t seed, int wino) {
    ol_rng rng;
    ol_rng_seed(&rng, seed);
    ol_model *d = build(spec, c, h, w, B, 0, NULL);
    ol_model_init(d, &rng);
    ol_model *wm = build(spec, c, h, w, B, wino, ol_model_params(d));
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
    close_enough(spec, "output", o2, o1, (size_t)B * C, floor_for(wino));
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
                         ol_model_grads(d) + st[i].param_offset, st[i].param_count,
                         floor_for(wino));
        }
        (void)np;
    }
    free(x); free(o1); free(o2); free(lab);
    ol_model_free(d);
    ol_model_free(wm);
}

static void shapes(int wino) {
    /* the seed CNN's shape, batch 32 (conv2 in chunks, a partial last chunk).
     * Not for F(4,3) everywhere: conv1 (28×28, 1 channel) → ReLU → max-pool
     * then flips a few near-zero ReLU/max-pool decisions against the direct
     * form, each moving conv1's weight gradient by a whole term (~1e-4 of its
     * max) — an artefact of comparing at kinks, seen with any 1e-6 noise.
     * The seed CNN's own F(4,3) choice is checked in default_choice_matches_direct. */
    if (wino == 1) compare(OL_SEED_CNN_SPEC, 1, 28, 28, 32, 1, wino);
    /* conv1's shape alone (28×28, 7 F(4,3) tiles a row), several chunks */
    compare("conv32k3p1 tanh conv8k3 tanh flatten linear10", 1, 28, 28, 32, 8, wino);
    /* padding 1 and 2, odd outputs (7×7, 5×5: partial tiles), multichannel input */
    compare("conv6k3p1 relu conv5k3p2 tanh maxpool2 flatten linear4", 3, 7, 7, 5, 2, wino);
    /* odd input, 3×3 conv with no ReLU after it, then a fused one */
    compare("conv8k3 sigmoid conv9k3p1 relu flatten linear3 softmax", 2, 9, 11, 3, 3, wino);
    /* 34-wide output: 17 F(2,3) tiles a row, too wide for its AVX-512 transforms */
    compare("conv4k3p1 relu conv8k3 relu maxpool2 flatten linear3", 2, 36, 36, 2, 4, wino);
    /* 20 input channels (a partial 16-lane group in the weight transforms), one
     * tile per image (4×4 output, like the seed CNN's conv3), 19 images: a
     * partial group of 3 tiles; a 5×5 conv among them stays direct */
    compare("conv20k3 relu conv24k3 relu conv6k5p2 flatten linear5", 3, 8, 8, 19, 5, wino);
    /* 1×1 and 2×3 outputs (a tile mostly outside the output) */
    compare("conv7k3 relu conv5k3p1 flatten linear2", 2, 3, 5, 4, 6, wino);
}

Test(winograd, matches_direct_convolution) { shapes(1); }

Test(winograd, matches_direct_convolution_on_the_portable_path) {
    nn_gemm_own_kernels = 0;
    shapes(1);
}

Test(winograd, f4x4_matches_direct_convolution) { shapes(2); }

Test(winograd, f4x4_matches_direct_convolution_on_the_portable_path) {
    nn_gemm_own_kernels = 0;
    shapes(2);
}

/* Large layers: several chunks per batch (28×28 output, 49 F(4,3) tiles per image). */
Test(winograd, f4x4_several_chunks) {
    compare("conv32k3p1 relu conv48k3p1 relu maxpool2 flatten linear3", 1, 28, 28, 5, 7, 2);
    compare("conv32k3p1 relu conv48k3p1 relu maxpool2 flatten linear3", 1, 28, 28, 5, 7, 1);
}

/* Layers Winograd cannot compute stay direct whatever the switch says. */
Test(winograd, other_layers_fall_back_to_direct) {
    nn_layer L;
    memset(&L, 0, sizeof L);
    L.kind = OL_LAYER_CONV;
    L.in_c = L.out_c = 16;
    L.in_h = L.in_w = 14;
    L.out_h = L.out_w = 12;
    for (int w = 1; w <= 2; w++) {
        nn_winograd = w;
        L.k = 3;
        cr_assert_eq(nn_wino_applies(&L), 2 * w, "3×3 conv with nn_winograd = %d", w);
        L.k = 5;
        cr_assert_eq(nn_wino_applies(&L), 0, "5×5 conv with nn_winograd = %d", w);
        L.k = 3;
        L.kind = OL_LAYER_LINEAR;
        cr_assert_eq(nn_wino_applies(&L), 0, "linear layer with nn_winograd = %d", w);
        L.kind = OL_LAYER_CONV;
    }
    nn_winograd = 0;
    cr_assert_eq(nn_wino_applies(&L), 0);
    nn_winograd = -1;
}

/* The default choice on the seed CNN: with the AVX-512 kernels conv2 (12×12
 * output) uses F(4,3) and conv3 (4×4) F(2,3) with lane = tile transforms;
 * the result, outputs and every gradient, must match the direct form at the
 * parity test's tolerance. */
Test(winograd, default_choice_matches_direct) {
    ol_model *m = build(OL_SEED_CNN_SPEC, 1, 28, 28, 32, -1, NULL);
    int convs[3], n = 0;
    for (int i = 0; i < m->n_layers && n < 3; i++)
        if (m->layers[i].kind == OL_LAYER_CONV) convs[n++] = m->layers[i].wino;
    cr_assert_eq(n, 3);
    cr_assert_eq(convs[0], 0, "conv1 (1 input channel) stays direct");
    if (nn_wino4_fast()) {
        cr_assert_eq(convs[1], 4, "conv2: F(4,3), got %d", convs[1]);
        cr_assert_eq(convs[2], 2, "conv3: F(2,3), got %d", convs[2]);
    }
    ol_model_free(m);
    compare(OL_SEED_CNN_SPEC, 1, 28, 28, 32, 9, -1);
}
