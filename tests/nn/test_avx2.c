/*
 * The AVX2+FMA paths of src/nn (CPUs with AVX2 and FMA but no AVX-512: GEMM
 * kernels in gemm.c, Winograd F(4×4,3×3) transforms in winograd4.c, the
 * max-pool in pool.c) against the generic path (OpenBLAS and plain C, forced
 * with nn_gemm_own_kernels = 0), and their determinism. On a CPU without
 * AVX2+FMA, or with AVX-512 (which takes its own kernels), the AVX2 path is
 * never chosen and these tests are skipped.
 *  - max-pool: bit for bit (same comparisons in the same order), forward
 *    outputs, window masks and backward, on ties, zeros, NaN, odd sizes,
 *    rows wider than 8 and 16 windows, with and without the ReLU mask;
 *  - whole models (the seed CNN and other specs: padding, odd and partial
 *    tiles and pools, several channels, sigmoid/tanh): outputs, both
 *    losses and every parameter gradient. The AVX2 path computes conv2-like
 *    layers in F(4×4,3×3) and sums GEMMs in another order with FMA; F(4,3)'s
 *    rounding is ~1e-6 of a tensor's max (test_winograd.c), the reordered
 *    float sums ~1e-7 relative, so the tolerance is test_winograd's:
 *    1e-4 relative plus 1e-5 of the tensor's max. A wrong tile, lane or
 *    mask is off by 1e-2 and more;
 *  - determinism: the same seed and batches give bit-identical parameters
 *    after a few SGD steps, run twice.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/core.h"
#include "optlab/nn.h"
#include "../src/nn/gemm.h"
#include "../src/nn/nn_internal.h"

static void need_avx2(void) {
    if (!nn_cpu_has_avx2()) cr_skip_test("CPU without AVX2+FMA, or with AVX-512: no AVX2 path here");
}

/* ---- max-pool, bit for bit ---- */

static void pool_case(int C, int B, int H, int W, int mask_relu, uint64_t seed) {
    nn_layer L;
    memset(&L, 0, sizeof L);
    L.kind = OL_LAYER_MAXPOOL;
    L.in_c = L.out_c = C;
    L.in_h = H, L.in_w = W, L.out_h = H / 2, L.out_w = W / 2;
    L.pool_masks_relu = mask_relu;
    size_t n_in = (size_t)C * B * H * W, n_out = (size_t)C * B * L.out_h * L.out_w;
    size_t n_mask = nn_maxpool_wmask_count(&L, B);
    ol_rng r;
    ol_rng_seed(&r, seed);
    float *in = malloc(sizeof(float) * n_in), *g = malloc(sizeof(float) * (n_out + 1));
    /* few distinct values: many ties (first maximum wins), zeros for the ReLU mask, −0 */
    for (size_t i = 0; i < n_in; i++) {
        int v = (int)ol_rng_below(&r, 6) - 2;
        in[i] = v == 3 ? -0.0f : mask_relu && v < 0 ? 0.0f : (float)v;
    }
    if (n_in > 7) in[7] = NAN;
    for (size_t i = 0; i < n_out; i++) g[i] = (float)(2 * ol_rng_uniform(&r) - 1);
    float *out[2], *din[2];
    uint16_t *wm[2];
    for (int k = 0; k < 2; k++) {
        out[k] = malloc(sizeof(float) * (n_out + 1));
        din[k] = malloc(sizeof(float) * n_in);
        wm[k] = n_mask ? malloc(sizeof(uint16_t) * n_mask) : NULL;
        memset(din[k], 0x55, sizeof(float) * n_in); /* the backward must write every element */
        nn_gemm_own_kernels = k ? -1 : 0;            /* 0 generic, 1 AVX2 */
        nn_maxpool_forward(&L, in, B, out[k], wm[k]);
        nn_maxpool_backward(&L, in, out[k], g, B, din[k], wm[k]);
    }
    nn_gemm_own_kernels = -1;
    cr_assert(memcmp(out[0], out[1], sizeof(float) * n_out) == 0,
              "pool C=%d B=%d %dx%d relu=%d: forward outputs differ", C, B, H, W, mask_relu);
    if (n_mask)
        cr_assert(memcmp(wm[0], wm[1], sizeof(uint16_t) * n_mask) == 0,
                  "pool C=%d B=%d %dx%d relu=%d: window masks differ", C, B, H, W, mask_relu);
    cr_assert(memcmp(din[0], din[1], sizeof(float) * n_in) == 0,
              "pool C=%d B=%d %dx%d relu=%d: input gradients differ", C, B, H, W, mask_relu);
    /* and without masks (evaluation forward) */
    for (int k = 0; k < 2; k++) {
        nn_gemm_own_kernels = k ? -1 : 0;
        nn_maxpool_forward(&L, in, B, out[k], NULL);
    }
    nn_gemm_own_kernels = -1;
    cr_assert(memcmp(out[0], out[1], sizeof(float) * n_out) == 0,
              "pool C=%d B=%d %dx%d: evaluation outputs differ", C, B, H, W);
    for (int k = 0; k < 2; k++) { free(out[k]); free(din[k]); free(wm[k]); }
    free(in); free(g);
}

Test(avx2, maxpool_matches_generic_bit_for_bit) {
    need_avx2();
    int hw[][2] = {{2, 2}, {3, 3}, {12, 12}, {28, 28}, {7, 9}, {5, 17}, {6, 30}, {4, 32}, {9, 33}, {2, 40}};
    for (size_t s = 0; s < sizeof hw / sizeof *hw; s++)
        for (int relu = 0; relu < 2; relu++)
            pool_case(3, 2, hw[s][0], hw[s][1], relu, 11 + s);
}

/* ---- whole models, AVX2 against generic ---- */

/* |a − b| <= 1e-4·|b| + 1e-5·max|b| elementwise (see the header) */
static void close_enough(const char *spec, const char *what, const float *a, const float *b, size_t n) {
    double mx = 0;
    for (size_t i = 0; i < n; i++) mx = fmax(mx, fabs(b[i]));
    cr_assert(mx > 0, "%s: %s is all zero (test would be vacuous)", spec, what);
    for (size_t i = 0; i < n; i++)
        cr_assert(fabs((double)a[i] - b[i]) <= 1e-4 * fabs(b[i]) + 1e-5 * mx,
                  "%s: %s[%zu] avx2 %.9g generic %.9g (max %.3g)", spec, what, i, a[i], b[i], mx);
}

static ol_model *build(const char *spec, int c, int h, int w, int B, int own) {
    ol_error err;
    ol_model *m;
    nn_gemm_own_kernels = own; /* read at creation too: the Winograd choice */
    cr_assert_eq(ol_model_create(&m, spec, c, h, w, B, &err), OL_OK, "%s", err.msg);
    nn_gemm_own_kernels = -1;
    return m;
}

static void compare(const char *spec, int c, int h, int w, int B, uint64_t seed) {
    ol_rng rng;
    ol_rng_seed(&rng, seed);
    ol_model *gen = build(spec, c, h, w, B, 0), *avx = build(spec, c, h, w, B, -1);
    ol_model_init(gen, &rng);
    memcpy(ol_model_params(avx), ol_model_params(gen), sizeof(float) * ol_model_num_params(gen));
    size_t in = (size_t)c * h * w;
    int C = ol_model_num_classes(gen);
    float *x = malloc(sizeof(float) * B * in), *o[2] = {malloc(sizeof(float) * B * C), malloc(sizeof(float) * B * C)};
    uint8_t *lab = malloc(B);
    for (size_t i = 0; i < B * in; i++) x[i] = (float)(2 * ol_rng_uniform(&rng) - 1);
    for (int b = 0; b < B; b++) lab[b] = (uint8_t)ol_rng_below(&rng, (uint32_t)C);
    ol_error err;
    ol_model *m[2] = {gen, avx};
    for (int k = 0; k < 2; k++) {
        nn_gemm_own_kernels = k ? -1 : 0;
        cr_assert_eq(ol_model_forward(m[k], x, B, o[k], &err), OL_OK);
    }
    close_enough(spec, "output", o[1], o[0], (size_t)B * C);
    for (int loss = 0; loss < 2; loss++) {
        float l[2];
        for (int k = 0; k < 2; k++) {
            nn_gemm_own_kernels = k ? -1 : 0;
            cr_assert_eq(ol_model_train_batch(m[k], x, lab, B, (ol_loss_kind)loss, &l[k], &err), OL_OK);
        }
        cr_assert(fabs(l[1] - l[0]) <= 1e-5 * fabs(l[0]), "%s loss %d: %g vs %g", spec, loss, l[1], l[0]);
        ol_layer_stats st[32];
        int n = ol_model_layer_stats(gen, st, 32);
        for (int i = 0; i < n && i < 32; i++) {
            if (!st[i].param_count) continue;
            close_enough(spec, st[i].token, ol_model_grads(avx) + st[i].param_offset,
                         ol_model_grads(gen) + st[i].param_offset, st[i].param_count);
        }
    }
    nn_gemm_own_kernels = -1;
    free(x); free(o[0]); free(o[1]); free(lab);
    ol_model_free(gen);
    ol_model_free(avx);
}

Test(avx2, seed_cnn_matches_generic) {
    need_avx2();
    compare(OL_SEED_CNN_SPEC, 1, 28, 28, 32, 1);
    compare(OL_SEED_CNN_SPEC, 1, 28, 28, 5, 2); /* a small batch: partial tile groups */
}

Test(avx2, other_specs_match_generic) {
    need_avx2();
    /* the CLI tests' small spec, and a three-conv one with odd pools (14 → 7 → 3) */
    compare("conv4k3 relu maxpool2 flatten linear10 softmax", 1, 28, 28, 8, 3);
    compare("conv4k3p1 relu maxpool2 conv5k3 relu maxpool2 conv3k3 relu flatten linear6", 1, 28, 28, 6, 4);
    /* F(4,3) with padding 1 and 2 on several channels, partial 4×4 tiles (10×10, 13×9) */
    compare("conv6k3p1 relu conv8k3p1 tanh maxpool2 conv12k3p2 relu flatten linear4", 3, 10, 10, 7, 5);
    compare("conv5k3 sigmoid conv9k3p1 relu maxpool2 flatten linear3 softmax", 2, 15, 11, 3, 6);
    /* fused first layers with several input channels (their backward too), odd pools */
    compare("conv5k3p1 relu maxpool2 conv6k3 relu flatten linear3", 3, 12, 14, 4, 8);
    compare("conv7k3 relu maxpool2 flatten linear4", 2, 15, 13, 3, 9);
    /* a wide layer: pooled rows of 20 windows (no window masks), 36-wide F(4,3) */
    compare("conv4k3p1 relu conv8k3p1 relu maxpool2 flatten linear3", 2, 40, 36, 2, 7);
}

/* ---- determinism ---- */

static void train_steps(const char *spec, int own, float *params_out, size_t np) {
    ol_rng rng;
    ol_rng_seed(&rng, 42);
    ol_model *m = build(spec, 1, 28, 28, 16, own);
    cr_assert_eq(ol_model_num_params(m), np);
    ol_model_init(m, &rng);
    float *x = malloc(sizeof(float) * 16 * 784);
    uint8_t lab[16];
    ol_error err;
    nn_gemm_own_kernels = own;
    for (int step = 0; step < 4; step++) {
        for (int i = 0; i < 16 * 784; i++) x[i] = (float)ol_rng_uniform(&rng);
        for (int b = 0; b < 16; b++) lab[b] = (uint8_t)ol_rng_below(&rng, 10);
        float loss;
        cr_assert_eq(ol_model_train_batch(m, x, lab, 16, OL_LOSS_LOGITS, &loss, &err), OL_OK);
        float *p = ol_model_params(m);
        const float *gr = ol_model_grads(m);
        for (size_t i = 0; i < np; i++) p[i] -= 0.05f * gr[i];
    }
    nn_gemm_own_kernels = -1;
    memcpy(params_out, ol_model_params(m), sizeof(float) * np);
    free(x);
    ol_model_free(m);
}

Test(avx2, same_seed_gives_bit_identical_weights) {
    need_avx2();
    size_t np = 121994; /* the seed CNN (test_model.c checks the count) */
    float *a = malloc(sizeof(float) * np), *b = malloc(sizeof(float) * np), *g = malloc(sizeof(float) * np);
    train_steps(OL_SEED_CNN_SPEC, -1, a, np);
    train_steps(OL_SEED_CNN_SPEC, -1, b, np);
    cr_assert(memcmp(a, b, sizeof(float) * np) == 0, "AVX2 path: two identical runs differ");
    train_steps(OL_SEED_CNN_SPEC, 0, g, np);
    train_steps(OL_SEED_CNN_SPEC, 0, b, np);
    cr_assert(memcmp(g, b, sizeof(float) * np) == 0, "generic path: two identical runs differ");
    /* the two paths did train (not a vacuous comparison) and differ only by rounding */
    double diff = 0, mx = 0;
    for (size_t i = 0; i < np; i++) {
        diff = fmax(diff, fabs((double)a[i] - g[i]));
        mx = fmax(mx, fabs(g[i]));
    }
    cr_assert(diff < 1e-3 * mx, "AVX2 and generic weights after 4 steps: max difference %g (max %g)", diff, mx);
    free(a); free(b); free(g);
}

/* The fused conv1 → ReLU → pool (convpool.c) sums in the order the layer
 * statistics recompute (nn_convpool_conv_output): pooling the recomputed
 * conv output gives the forward's pooled output bit for bit. */
Test(avx2, fused_first_layer_recomputes_exactly) {
    need_avx2();
    const char *specs[] = {OL_SEED_CNN_SPEC, "conv5k3p1 relu maxpool2 flatten linear3",
                           "conv6k3 relu maxpool2 conv4k3 relu flatten linear2"};
    int chans[] = {1, 3, 2}, hs[] = {28, 9, 13}, ws[] = {28, 30, 11};
    for (int s = 0; s < 3; s++) {
        int B = 3, c = chans[s], h = hs[s], w = ws[s];
        ol_model *m = build(specs[s], c, h, w, B, -1);
        cr_assert(m->layers[0].pool_fused, "%s: conv1 not fused on the AVX2 path", specs[s]);
        ol_rng rng;
        ol_rng_seed(&rng, 100 + s);
        ol_model_init(m, &rng);
        size_t in = (size_t)c * h * w;
        float *x = malloc(sizeof(float) * B * in), *o = malloc(sizeof(float) * B * ol_model_num_classes(m));
        for (size_t i = 0; i < B * in; i++) x[i] = (float)(2 * ol_rng_uniform(&rng) - 1);
        ol_error err;
        cr_assert_eq(ol_model_forward(m, x, B, o, &err), OL_OK);
        const nn_layer *L = &m->layers[0], *P = &m->layers[2];
        size_t n_conv = (size_t)L->out_c * B * L->out_h * L->out_w;
        float *conv = malloc(sizeof(float) * n_conv);
        nn_convpool_conv_output(L, L->xpad, B, conv);
        size_t i = 0;
        for (int p = 0; p < L->out_c * B; p++)
            for (int py = 0; py < P->out_h; py++)
                for (int px = 0; px < P->out_w; px++, i++) {
                    const float *r0 = conv + ((size_t)p * L->out_h + 2 * py) * L->out_w + 2 * px;
                    float mx = r0[0];
                    if (r0[1] > mx) mx = r0[1];
                    if (r0[L->out_w] > mx) mx = r0[L->out_w];
                    if (r0[L->out_w + 1] > mx) mx = r0[L->out_w + 1];
                    cr_assert(memcmp(&mx, &P->out[i], sizeof mx) == 0,
                              "%s: pooled %zu: recomputed %.9g forward %.9g", specs[s], i, mx, P->out[i]);
                }
        free(conv); free(x); free(o);
        ol_model_free(m);
    }
}

/* ---- im2col / col2im, bit for bit (data movement and adds in the same order) ---- */

static void im2col_case(int C, int H, int W, int B, int k, int pad, uint64_t seed) {
    int Ho = H + 2 * pad - k + 1, Wo = W + 2 * pad - k + 1;
    size_t cs = (size_t)B * H * W, bs = (size_t)H * W, n_in = (size_t)C * cs;
    size_t n_col = (size_t)C * k * k * B * Ho * Wo;
    ol_rng r;
    ol_rng_seed(&r, seed);
    float *in = malloc(sizeof(float) * n_in), *dcol = malloc(sizeof(float) * n_col);
    for (size_t i = 0; i < n_in; i++) in[i] = (float)(2 * ol_rng_uniform(&r) - 1);
    for (size_t i = 0; i < n_col; i++) dcol[i] = (float)(2 * ol_rng_uniform(&r) - 1);
    float *col[2], *din[2];
    for (int p = 0; p < 2; p++) {
        col[p] = malloc(sizeof(float) * n_col);
        din[p] = malloc(sizeof(float) * n_in);
        memset(col[p], 0x55, sizeof(float) * n_col); /* every element must be written */
        memset(din[p], 0x55, sizeof(float) * n_in);
        nn_gemm_own_kernels = p ? -1 : 0;
        nn_im2col(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col[p]);
        nn_col2im(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din[p]);
    }
    nn_gemm_own_kernels = -1;
    cr_assert(memcmp(col[0], col[1], sizeof(float) * n_col) == 0,
              "im2col C=%d %dx%d B=%d k=%d pad=%d differs", C, H, W, B, k, pad);
    cr_assert(memcmp(din[0], din[1], sizeof(float) * n_in) == 0,
              "col2im C=%d %dx%d B=%d k=%d pad=%d differs", C, H, W, B, k, pad);
    for (int p = 0; p < 2; p++) { free(col[p]); free(din[p]); }
    free(in); free(dcol);
}

Test(avx2, im2col_col2im_match_generic_bit_for_bit) {
    need_avx2();
    im2col_case(64, 6, 6, 3, 3, 0, 1);   /* the seed CNN's conv3: rows of 4 */
    im2col_case(32, 14, 14, 2, 3, 0, 2); /* conv2's shape: rows of 12 */
    im2col_case(1, 28, 28, 2, 3, 1, 3);  /* padded, rows of 28 */
    im2col_case(3, 9, 11, 2, 5, 2, 4);   /* 5×5, padding 2, odd sizes */
    im2col_case(2, 5, 70, 1, 3, 1, 5);   /* rows of 70: past the AVX2 form (plain on both sides) */
    im2col_case(2, 4, 62, 1, 3, 2, 6);   /* rows of 64, padding wider than the kernel's reach */
    im2col_case(2, 3, 3, 2, 2, 3, 7);    /* padding larger than the input */
}
