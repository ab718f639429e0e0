/*
 * Internal shapes and kernels of the nn layer, shared by spec.c (parsing),
 * model.c (buffers, forward/backward orchestration, losses) and layers.c
 * (the per-layer forward/backward kernels). Not installed.
 *
 * Tensor layout inside a model: a spatial tensor of a batch is stored
 * channel-major over the batch, [C][B][H][W] ("CB layout"), so that a whole
 * batch's convolution is one GEMM: out[Cout][B·Ho·Wo] = W[Cout][Cin·k·k] ·
 * col[Cin·k·k][B·Ho·Wo]. A flat tensor is [B][features]. The model's input
 * is [B][C][H][W] as callers give it; for C = 1 that is already CB layout.
 */
#ifndef OPTLAB_NN_INTERNAL_H
#define OPTLAB_NN_INTERNAL_H

#include "optlab/nn.h"

typedef struct {
    ol_layer_kind kind;
    char token[32];
    int in_c, in_h, in_w;    /* input shape (flat: in_c features, h = w = 1) */
    int out_c, out_h, out_w; /* output shape */
    int in_flat, out_flat;   /* 1 when the tensor is [B][features] */
    int k, pad;              /* conv kernel size and zero padding */
    size_t w_off, b_off;     /* offsets of weights and biases in the param buffer */
    size_t n_params;
    size_t in_size, out_size; /* floats per image */
    float *out;               /* output for max_batch images */
    int chunk;                /* conv: images per im2col (or Winograd) chunk, fits in L2 */
    int wino;                 /* conv: computed by Winograd F(2×2,3×3) (winograd.c) */
    /* fusions decided at model creation (model.c) */
    int fuse_relu;            /* conv: applies the next layer's ReLU in its GEMM epilogue */
    int relu_fused;           /* relu: computed by the conv before it; out aliases its output */
    int pool_masks_relu;      /* maxpool: input is a ReLU output, backward applies its mask */
    int bwd_identity;         /* relu: backward done by the maxpool after it: pass through */
} nn_layer;

struct ol_model {
    int n_layers;
    nn_layer *layers;
    int in_c, in_h, in_w;
    int max_batch;
    int classes;
    size_t n_params;
    float *params, *grads;
    float *gbuf[2];        /* ping-pong gradient buffers (max activation size) */
    float *col, *dcol;     /* conv im2col columns of one chunk, and their gradient */
    float *input_cb;       /* input converted to CB layout when in_c > 1 */
    int first_param_layer; /* layers below it need no backward at all */
    int last_batch;        /* images in the last forward (for layer stats) */
};

/* Parse a spec into layers with shapes and parameter offsets (no buffers). */
ol_status nn_parse_spec(const char *spec, int in_c, int in_h, int in_w, nn_layer **layers_out,
                        int *n_out, size_t *n_params_out, ol_error *err);

float nn_sum(const float *a, size_t n);

/* Own AVX-512 kernels in use: CPU has them and nn_gemm_own_kernels != 0. */
int nn_use_avx512(void);

/* ---- kernels (layers.c). B = batch; shapes from the layer. ---- */
void nn_conv_forward(const nn_layer *L, const float *params, const float *in, int in_batch_major,
                     int B, float *out, float *col);
void nn_conv_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                      int in_batch_major, const float *dout, int B, float *col, float *dcol,
                      float *din /* NULL: skip */);
void nn_maxpool_forward(const nn_layer *L, const float *in, int B, float *out);
void nn_maxpool_backward(const nn_layer *L, const float *in, const float *out, const float *dout,
                         int B, float *din);
void nn_linear_forward(const nn_layer *L, const float *params, const float *in, int B, float *out);
void nn_linear_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                        const float *dout, int B, float *din /* NULL: skip */);
void nn_flatten_forward(const nn_layer *L, const float *in, int B, float *out);
void nn_flatten_backward(const nn_layer *L, const float *dout, int B, float *din);
void nn_softmax_rows(const float *in, int rows, int n, float *out);
void nn_softmax_backward(const float *y, const float *dout, int rows, int n, float *din);

/* ---- Winograd F(2×2, 3×3) for 3×3 convolutions (winograd.c) ---- */
/* (nn_winograd, the switch tests use, is declared in gemm.h) */
int nn_wino_applies(const nn_layer *L);
int nn_wino_chunk(const nn_layer *L, int max_batch);
/* floats each of the model's col and dcol buffers need for L at L->chunk images */
size_t nn_wino_scratch(const nn_layer *L);
/* as nn_conv_forward/backward; cs/bs: the input's channel and image strides */
void nn_wino_forward(const nn_layer *L, const float *params, const float *in, size_t cs,
                     size_t bs, int B, float *out, float *scratch);
void nn_wino_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                      size_t cs, size_t bs, const float *dout, int B, float *scratch,
                      float *scratch2, float *din);

#endif
