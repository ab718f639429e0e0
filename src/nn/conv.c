/*
 * Convolution forward and backward (stride 1, zero padding): Winograd
 * (winograd.c) where the layer chose it at model creation, else im2col
 * (im2col.c) a chunk of images at a time and one GEMM (gemm.c) per chunk.
 */
#include "nn_internal.h"
#include "gemm.h"

/*
 * Convolution, a chunk of `L->chunk` images at a time: the im2col columns of
 * a chunk (Cin·k·k × chunk·Ho·Wo floats) fit in L2, so they are written and
 * read back by the GEMM without going to memory; the backward pass rebuilds
 * them rather than keeping a whole batch's columns (megabytes) around.
 *
 * Forward. in: CB layout [Cin][B][H][W], or [B][Cin][H][W] when
 * in_batch_major (the model's input). out: [Cout][B][Ho][Wo], bias added,
 * and max(0, ·) when a following ReLU is fused in (L->fuse_relu).
 */
void nn_conv_forward(const nn_layer *L, const float *params, const float *in, int in_batch_major,
                     int B, float *out, float *col) {
    int C = L->in_c, H = L->in_h, W = L->in_w, k = L->k, Ho = L->out_h, Wo = L->out_w;
    size_t cs = in_batch_major ? (size_t)H * W : (size_t)B * H * W;
    size_t bs = in_batch_major ? (size_t)C * H * W : (size_t)H * W;
    int K = C * k * k, N = B * Ho * Wo, M = L->out_c, P = Ho * Wo;
    if (L->wino) {
        nn_wino_forward(L, params, in, cs, bs, B, out, col);
        return;
    }
    const float *Wt = params + L->w_off, *bias = params + L->b_off;
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk;
        nn_im2col(in + b0 * bs, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, col);
        nn_sgemm_bias_act(M, nb * P, K, Wt, K, col, nb * P, out + (size_t)b0 * P, N, bias,
                          L->fuse_relu);
    }
}

/*
 * Conv backward. dout: [Cout][B·Ho·Wo]. Writes dW [Cout][Cin·k·k] and db
 * (overwriting), and when din != NULL the input gradient in CB layout.
 */
void nn_conv_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                      int in_batch_major, const float *dout, int B, float *col, float *dcol,
                      float *din) {
    int C = L->in_c, H = L->in_h, W = L->in_w, k = L->k, Ho = L->out_h, Wo = L->out_w;
    size_t cs = in_batch_major ? (size_t)H * W : (size_t)B * H * W;
    size_t bs = in_batch_major ? (size_t)C * H * W : (size_t)H * W;
    int K = C * k * k, N = B * Ho * Wo, M = L->out_c, P = Ho * Wo;
    float *dW = grads + L->w_off, *db = grads + L->b_off;
    for (int m = 0; m < M; m++) db[m] = nn_sum(dout + (size_t)m * N, N);
    if (L->wino) {
        nn_wino_backward(L, params, grads, in, cs, bs, dout, B, col, dcol, din);
        return;
    }
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk, n = nb * P;
        const float *dchunk = dout + (size_t)b0 * P;
        nn_im2col(in + b0 * bs, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, col);
        /* dW (+)= dout_chunk · col_chunkᵀ */
        nn_sgemm(0, 1, M, K, n, dchunk, N, col, n, b0 ? 1.0f : 0.0f, dW, K);
        if (!din) continue;
        /* dcol = Wᵀ · dout_chunk, then scattered back onto the chunk's images */
        nn_sgemm(1, 0, K, n, M, params + L->w_off, K, dchunk, N, 0.0f, dcol, n);
        nn_col2im(dcol, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, din + b0 * bs);
    }
}
