/*
 * Linear (fully connected) layer forward and backward over flat tensors
 * [B][features]: each a GEMM (gemm.c) plus the bias.
 */
#include "nn_internal.h"
#include "gemm.h"

/* Linear forward: out[B][O] = in[B][I] · Wᵀ + b. */
void nn_linear_forward(const nn_layer *L, const float *params, const float *in, int B, float *out) {
    int I = L->in_c, O = L->out_c;
    nn_sgemm(0, 1, B, O, I, in, I, params + L->w_off, I, 0.0f, out, O);
    const float *bias = params + L->b_off;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++) out[(size_t)b * O + o] += bias[o];
}

/* Linear backward: dW = doutᵀ · in, db = Σ_b dout, din = dout · W. */
void nn_linear_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                        const float *dout, int B, float *din) {
    int I = L->in_c, O = L->out_c;
    nn_sgemm(1, 0, O, I, B, dout, O, in, I, 0.0f, grads + L->w_off, I);
    float *db = grads + L->b_off;
    for (int o = 0; o < O; o++) db[o] = 0.0f;
    for (int b = 0; b < B; b++)
        for (int o = 0; o < O; o++) db[o] += dout[(size_t)b * O + o];
    if (din) nn_sgemm(0, 0, B, I, O, dout, O, params + L->w_off, I, 0.0f, din, I);
}
