/*
 * Internal shapes and kernels of the nn layer, shared by spec.c (parsing),
 * model.c (buffers, forward/backward orchestration, losses) and the per-layer
 * forward/backward kernels: im2col.c, conv.c, pool.c (with pool_window.h),
 * convpool.c (fused conv → ReLU → pool), linear.c and pointwise.c. Not installed.
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
    int wino;                 /* conv: 0 direct, 2 Winograd F(2×2,3×3), 4 F(4×4,3×3) (winograd*.c) */
    /* fusions decided at model creation (model.c) */
    int fuse_relu;            /* conv: applies the next layer's ReLU in its GEMM epilogue */
    int relu_fused;           /* relu: computed by the conv before it; out aliases its output */
    int pool_masks_relu;      /* maxpool: input is a ReLU output, backward applies its mask */
    int bwd_identity;         /* relu: backward done by the maxpool after it: pass through */
    /* conv → relu → maxpool2 as the network's first parameter layer, in one pass
     * (nn_convpool_*): the conv's full-size output is never stored */
    int pool_fused;           /* conv: also computes the ReLU and the maxpool after it */
    int fused_away;           /* maxpool: computed by the conv two layers below */
    float *xpad;              /* conv (pool_fused): its parameters and zero-padded input as of
                                 the last forward (convpool.c) */
    uint16_t *wmask;          /* maxpool, or conv (pool_fused) for its pool: window masks
                                 of a training forward (pool_window.h), NULL if not kept */
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
/* Own AVX2+FMA kernels in use: the CPU has AVX2 and FMA but not AVX-512F, and
 * nn_gemm_own_kernels != 0. Dispatch order everywhere: AVX-512, AVX2, generic. */
int nn_use_avx2(void);

/* ---- kernels (conv.c, pool.c, convpool.c, linear.c, pointwise.c). B = batch; shapes
 * from the layer. ---- */
void nn_conv_forward(const nn_layer *L, const float *params, const float *in, int in_batch_major,
                     int B, float *out, float *col);
void nn_conv_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                      int in_batch_major, const float *dout, int B, float *col, float *dcol,
                      float *din /* NULL: skip */);
/* conv L → relu → maxpool P fused (see convpool.c); `applies` decides it at model creation */
int nn_convpool_applies(const nn_layer *L, const nn_layer *P);
size_t nn_convpool_xpad_floats(const nn_layer *L, int B);
void nn_convpool_forward(const nn_layer *L, const nn_layer *P, const float *params,
                         const float *in, int in_batch_major, int B, float *xpad,
                         uint16_t *wmask /* NULL: not training */, float *out);
void nn_convpool_backward(const nn_layer *L, const nn_layer *P, const float *params, float *grads,
                          const float *dout, int B, const float *xpad, const uint16_t *wmask);
void nn_convpool_conv_output(const nn_layer *L, const float *xpad, int B, float *out);
void nn_maxpool_forward(const nn_layer *L, const float *in, int B, float *out,
                        uint16_t *wmask /* NULL: not recorded */);
void nn_maxpool_backward(const nn_layer *L, const float *in, const float *out, const float *dout,
                         int B, float *din, const uint16_t *wmask /* NULL: none recorded */);
size_t nn_maxpool_wmask_count(const nn_layer *P, int B);
void nn_relu_backward(const float *y, const float *dout, size_t n, float *din);
void nn_linear_forward(const nn_layer *L, const float *params, const float *in, int B, float *out);
void nn_linear_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                        const float *dout, int B, float *din /* NULL: skip */);
void nn_flatten_forward(const nn_layer *L, const float *in, int B, float *out);
void nn_flatten_backward(const nn_layer *L, const float *dout, int B, float *din);
void nn_softmax_rows(const float *in, int rows, int n, float *out);
void nn_softmax_backward(const float *y, const float *dout, int rows, int n, float *din);

/* ---- im2col.c: a chunk of B images (channel stride cs, image stride bs) ---- */
void nn_im2col(const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k, int pad,
               int Ho, int Wo, float *col);
void nn_col2im(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k,
               int pad, int Ho, int Wo, float *din);

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
/* floats between the transform planes of V, M, U (a plane, padded against L1 set conflicts) */
size_t nn_wino_xstride(size_t plane);
/* both Winograd forms' backward products of a chunk over n_planes positions; returns Z (in V's place) */
float *nn_wino_backward_products(const nn_layer *L, int n_planes, int T, const float *Mg, size_t sm,
                                 float *V, size_t sv, const float *U, size_t su, float *dU, int accumulate,
                                 int want_z);
/* zero nb images' input gradient before the input-transform adjoint adds into it */
void nn_wino_zero_din(const nn_layer *L, float *dchunk, size_t cs, size_t bs, int nb);

/* ---- Winograd F(4×4, 3×3) (winograd4.c), called by the above when L->wino == 4 ---- */
/* 1 when its AVX-512 transforms run here (own kernels on, AVX-512F and VL) */
int nn_wino4_fast(void);
int nn_wino4_chunk(const nn_layer *L, int max_batch);
size_t nn_wino4_scratch(const nn_layer *L);
void nn_wino4_forward(const nn_layer *L, const float *params, const float *in, size_t cs,
                      size_t bs, int B, float *out, float *scratch);
void nn_wino4_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                       size_t cs, size_t bs, const float *dout, int B, float *scratch,
                       float *scratch2, float *din);

/* F(2×2,3×3) transforms with 16 tiles of a chunk in the vector lanes
 * (winograd4.c), for winograd.c on outputs under 8 wide (few tiles a row).
 * Same arguments and layouts as winograd.c's; T: tiles in the chunk. */
int nn_wino2_by_tile(const nn_layer *L, int T);
void nn_wino2_input_tiles(const nn_layer *L, const float *in, size_t cs, size_t bs, float *V,
                          size_t plane, int T);
void nn_wino2_output_tiles(const nn_layer *L, const float *M, const float *bias, float *out,
                           size_t ocs, size_t plane, int T);
void nn_wino2_output_adjoint_tiles(const nn_layer *L, const float *dout, size_t ocs, float *Mg,
                                   size_t plane, int T);
void nn_wino2_input_adjoint_tiles(const nn_layer *L, const float *Z, float *din, size_t cs,
                                  size_t bs, size_t plane, int T);
/* The same four with AVX2+FMA (winograd4.c), where nn_wino2_by_tile_avx2 says so. */
int nn_wino2_by_tile_avx2(const nn_layer *L, int T);
void nn_wino2_input_tiles_avx2(const nn_layer *L, const float *in, size_t cs, size_t bs, float *V,
                               size_t plane, int T);
void nn_wino2_output_tiles_avx2(const nn_layer *L, const float *M, const float *bias, float *out,
                                size_t ocs, size_t plane, int T);
void nn_wino2_output_adjoint_tiles_avx2(const nn_layer *L, const float *dout, size_t ocs, float *Mg,
                                        size_t plane, int T);
void nn_wino2_input_adjoint_tiles_avx2(const nn_layer *L, const float *Z, float *din, size_t cs,
                                       size_t bs, size_t plane, int T);
/* F(2×2,3×3) weight transform and its adjoint, 16 input channels in the lanes */
int nn_wino2_weight_by_tile(void);
void nn_wino2_weight_tiles(const float *Wt, int Co, int Ci, float *U, size_t su);
void nn_wino2_weight_adjoint_tiles(const float *dU, int Co, int Ci, float *dW, size_t su);

#endif
