/*
 * Finite-difference gradient checks in double precision for every layer kind
 * and both losses. The test carries its own naive double-precision reference
 * of each layer (plain [B][C][H][W] layout, direct convolution — nothing
 * shared with src/nn), checks the float model's forward output and loss
 * against it, then checks the float analytic gradients (ol_model_train_batch)
 * against central differences of the double reference's loss.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optlab/nn.h"
#include "../src/nn/gemm.h" /* nn_gemm_own_kernels: to test the portable path too */

/* ---- the double-precision reference ---- */

typedef struct {
    ol_layer_kind kind;
    int n, k, pad; /* conv/linear outputs, kernel, padding */
    size_t w_off;
} ref_layer;

typedef struct {
    int n_layers;
    ref_layer layers[32];
    int in_c, in_h, in_w;
} ref_model;

static void ref_from_model(ref_model *r, const ol_model *m, int in_c, int in_h, int in_w) {
    ol_layer_stats st[32];
    r->n_layers = ol_model_layer_stats(m, st, 32);
    cr_assert_leq(r->n_layers, 32);
    r->in_c = in_c; r->in_h = in_h; r->in_w = in_w;
    for (int i = 0; i < r->n_layers; i++) {
        ref_layer *L = &r->layers[i];
        memset(L, 0, sizeof *L);
        L->kind = st[i].kind;
        L->w_off = st[i].param_offset;
        if (L->kind == OL_LAYER_CONV) {
            int got = sscanf(st[i].token, "conv%dk%dp%d", &L->n, &L->k, &L->pad);
            cr_assert_geq(got, 2, "token %s", st[i].token);
        } else if (L->kind == OL_LAYER_LINEAR) {
            cr_assert_eq(sscanf(st[i].token, "linear%d", &L->n), 1);
        }
    }
}

/* Forward one image in double; returns output width. `buf` holds 2 scratch tensors. */
static int ref_forward_one(const ref_model *r, const double *p, const double *x, double *out,
                           double *z_before_last, double *bufa, double *bufb) {
    int c = r->in_c, h = r->in_h, w = r->in_w;
    memcpy(bufa, x, sizeof(double) * c * h * w);
    double *a = bufa, *b = bufb;
    for (int i = 0; i < r->n_layers; i++) {
        const ref_layer *L = &r->layers[i];
        size_t n = (size_t)c * h * w;
        if (i == r->n_layers - 1 && z_before_last) memcpy(z_before_last, a, sizeof(double) * n);
        switch (L->kind) {
        case OL_LAYER_CONV: {
            int oh = h + 2 * L->pad - L->k + 1, ow = w + 2 * L->pad - L->k + 1;
            const double *W = p + L->w_off, *bias = W + (size_t)L->n * c * L->k * L->k;
            for (int o = 0; o < L->n; o++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++) {
                        double s = bias[o];
                        for (int ci = 0; ci < c; ci++)
                            for (int ky = 0; ky < L->k; ky++)
                                for (int kx = 0; kx < L->k; kx++) {
                                    int iy = y + ky - L->pad, ix = xx + kx - L->pad;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    s += W[((o * c + ci) * L->k + ky) * L->k + kx] *
                                         a[(ci * h + iy) * w + ix];
                                }
                        b[(o * oh + y) * ow + xx] = s;
                    }
            c = L->n; h = oh; w = ow;
            break;
        }
        case OL_LAYER_MAXPOOL: {
            int oh = h / 2, ow = w / 2;
            for (int ci = 0; ci < c; ci++)
                for (int y = 0; y < oh; y++)
                    for (int xx = 0; xx < ow; xx++) {
                        const double *q = a + (ci * h + 2 * y) * w + 2 * xx;
                        double mx = fmax(fmax(q[0], q[1]), fmax(q[w], q[w + 1]));
                        b[(ci * oh + y) * ow + xx] = mx;
                    }
            h = oh; w = ow;
            break;
        }
        case OL_LAYER_RELU: for (size_t j = 0; j < n; j++) b[j] = a[j] > 0 ? a[j] : 0; break;
        case OL_LAYER_SIGMOID: for (size_t j = 0; j < n; j++) b[j] = 1 / (1 + exp(-a[j])); break;
        case OL_LAYER_TANH: for (size_t j = 0; j < n; j++) b[j] = tanh(a[j]); break;
        case OL_LAYER_FLATTEN: memcpy(b, a, sizeof(double) * n); c = (int)n; h = w = 1; break;
        case OL_LAYER_LINEAR: {
            const double *W = p + L->w_off, *bias = W + (size_t)L->n * c;
            for (int o = 0; o < L->n; o++) {
                double s = bias[o];
                for (int j = 0; j < c; j++) s += W[(size_t)o * c + j] * a[j];
                b[o] = s;
            }
            c = L->n;
            break;
        }
        case OL_LAYER_SOFTMAX: {
            double mx = a[0], s = 0;
            for (int j = 1; j < c; j++) mx = fmax(mx, a[j]);
            for (int j = 0; j < c; j++) s += exp(a[j] - mx);
            for (int j = 0; j < c; j++) b[j] = exp(a[j] - mx) / s;
            break;
        }
        }
        double *t = a; a = b; b = t;
    }
    memcpy(out, a, sizeof(double) * c);
    return c;
}

#define REF_SCRATCH 4096

/* Batch-mean loss in double, as ol_loss_kind documents it. */
static double ref_loss(const ref_model *r, const double *p, const double *x, const uint8_t *y,
                       int B, ol_loss_kind kind, double *outs /* B×classes or NULL */) {
    double bufa[REF_SCRATCH], bufb[REF_SCRATCH], out[64], zl[REF_SCRATCH];
    size_t in_size = (size_t)r->in_c * r->in_h * r->in_w;
    int last_softmax = r->layers[r->n_layers - 1].kind == OL_LAYER_SOFTMAX;
    double total = 0;
    for (int b = 0; b < B; b++) {
        int C = ref_forward_one(r, p, x + b * in_size, out, zl, bufa, bufb);
        if (outs) memcpy(outs + (size_t)b * C, out, sizeof(double) * C);
        const double *z = (kind == OL_LOSS_LOGITS && last_softmax) ? zl : out;
        double mx = z[0], s = 0;
        for (int j = 1; j < C; j++) mx = fmax(mx, z[j]);
        for (int j = 0; j < C; j++) s += exp(z[j] - mx);
        total += mx + log(s) - z[y[b]];
    }
    return total / B;
}

/* Build the model, check forward + loss + every gradient against the reference. */
static void check_spec(const char *spec, int in_c, int in_h, int in_w, int B, uint64_t seed) {
    ol_error err;
    ol_model *m;
    cr_assert_eq(ol_model_create(&m, spec, in_c, in_h, in_w, B, &err), OL_OK, "%s", err.msg);
    ol_rng rng;
    ol_rng_seed(&rng, seed);
    ol_model_init(m, &rng);
    size_t np = ol_model_num_params(m), in_size = (size_t)in_c * in_h * in_w;
    int C = ol_model_num_classes(m);
    float *xf = malloc(sizeof(float) * B * in_size);
    double *xd = malloc(sizeof(double) * B * in_size);
    uint8_t *y = malloc(B);
    for (size_t i = 0; i < B * in_size; i++) xd[i] = xf[i] = (float)(2 * ol_rng_uniform(&rng) - 1);
    for (int b = 0; b < B; b++) y[b] = (uint8_t)ol_rng_below(&rng, (uint64_t)C);
    double *pd = malloc(sizeof(double) * np);
    const float *pf = ol_model_params(m);
    for (size_t i = 0; i < np; i++) pd[i] = pf[i];
    ref_model r;
    ref_from_model(&r, m, in_c, in_h, in_w);

    /* forward agrees with the reference */
    float *of = malloc(sizeof(float) * B * C);
    double *od = malloc(sizeof(double) * B * C);
    cr_assert_eq(ol_model_forward(m, xf, B, of, &err), OL_OK);
    ref_loss(&r, pd, xd, y, B, OL_LOSS_SEED, od);
    for (int i = 0; i < B * C; i++)
        cr_assert(fabs(of[i] - od[i]) <= 1e-5 * (1 + fabs(od[i])), "%s: output %d: %g vs %g",
                  spec, i, of[i], od[i]);

    double *g = malloc(sizeof(double) * np);
    for (int kind = OL_LOSS_SEED; kind <= OL_LOSS_LOGITS; kind++) {
        float loss;
        cr_assert_eq(ol_model_train_batch(m, xf, y, B, (ol_loss_kind)kind, &loss, &err), OL_OK,
                     "%s", err.msg);
        double ld = ref_loss(&r, pd, xd, y, B, (ol_loss_kind)kind, NULL);
        cr_assert(fabs(loss - ld) <= 1e-5 * (1 + fabs(ld)), "%s loss %d: %g vs %g", spec, kind,
                  loss, ld);
        const float *gf = ol_model_grads(m);
        double gmax = 0;
        for (size_t i = 0; i < np; i++) {
            const double h = 1e-6;
            double keep = pd[i];
            pd[i] = keep + h;
            double lp = ref_loss(&r, pd, xd, y, B, (ol_loss_kind)kind, NULL);
            pd[i] = keep - h;
            double lm = ref_loss(&r, pd, xd, y, B, (ol_loss_kind)kind, NULL);
            pd[i] = keep;
            g[i] = (lp - lm) / (2 * h);
            if (fabs(g[i]) > gmax) gmax = fabs(g[i]);
        }
        cr_assert_gt(gmax, 1e-6, "%s: all gradients vanish, the check would be empty", spec);
        for (size_t i = 0; i < np; i++)
            cr_assert(fabs(gf[i] - g[i]) <= 1e-4 * fabs(g[i]) + 1e-5 * gmax,
                      "%s loss %d: d/dparam[%zu] analytic %.9g vs finite difference %.9g", spec,
                      kind, i, gf[i], g[i]);
    }
    free(g); free(of); free(od); free(pd); free(y); free(xd); free(xf);
    ol_model_free(m);
}

Test(gradcheck, conv_pad_relu_pool_linear_multichannel_input) {
    check_spec("conv4k3p1 relu maxpool2 flatten linear5", 2, 6, 6, 3, 1);
}

Test(gradcheck, seed_cnn_shape_small) {
    check_spec("conv4k3p1 relu maxpool2 conv5k3 relu maxpool2 conv3k3 relu flatten linear6 "
               "sigmoid linear4 softmax", 1, 16, 16, 3, 2);
}

Test(gradcheck, sigmoid_tanh_even_kernel_big_padding_softmax) {
    check_spec("conv3k2 sigmoid conv2k3p2 tanh flatten linear4 softmax", 1, 5, 5, 2, 3);
}

Test(gradcheck, odd_pool_and_layers_before_first_param) {
    /* relu and maxpool on a 3-channel input before any parameter; 7×7 pools to 3×3 */
    check_spec("relu maxpool2 conv2k3p1 relu flatten linear3 tanh linear3", 3, 7, 7, 2, 4);
}

Test(gradcheck, seed_cnn_shape_portable_path) {
    nn_gemm_own_kernels = 0;
    check_spec("conv4k3p1 relu maxpool2 conv5k3 relu maxpool2 conv3k3 relu flatten linear6 "
               "sigmoid linear4 softmax", 1, 16, 16, 3, 2);
}

Test(gradcheck, wide_layers_take_the_own_kernels) {
    /* 8+ output channels and 48+ columns so the AVX-512 GEMM paths run */
    check_spec("conv8k3p1 relu maxpool2 conv9k3 relu flatten linear5", 2, 10, 10, 3, 6);
}

Test(gradcheck, mlp_flatten_input_softmax) {
    check_spec("flatten linear6 sigmoid linear3 softmax", 2, 3, 3, 4, 5);
}
