/*
 * Per-layer forward and backward kernels over raw float buffers, in the
 * tensor layout described in nn_internal.h (spatial tensors [C][B][H][W],
 * flat tensors [B][features]). Matrix products go through gemm.c, which picks
 * our own AVX-512 kernels or CBLAS. The data-movement kernels (im2col,
 * col2im, max-pool, sums) have an AVX-512 form, chosen at run time, beside
 * the plain C form every x86-64 (and the portable-path tests) runs.
 *
 * Shapes are in the comments; B is the batch size of the call.
 */
#include "nn_internal.h"
#include "gemm.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f"))) static float sum_avx512(const float *a, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(a + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(a + i + 16));
    }
    for (; i < n; i += 16) {
        __mmask16 m = (__mmask16)(n - i >= 16 ? 0xffff : (1u << (n - i)) - 1);
        s0 = _mm512_add_ps(s0, _mm512_maskz_loadu_ps(m, a + i));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}
#endif

/* Sum of n floats (a bias gradient): in 16 independent lanes, vectorised. */
float nn_sum(const float *a, size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (nn_use_avx512()) return sum_avx512(a, n);
#endif
    float lane[16] = {0};
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) lane[j] += a[i + j];
    float s = 0.0f;
    for (; i < n; i++) s += a[i];
    for (int j = 0; j < 16; j++) s += lane[j];
    return s;
}

/*
 * im2col for a whole batch: col[(c·k + ky)·k + kx][b·Ho·Wo + oy·Wo + ox] =
 * in(c, b, oy + ky - pad, ox + kx - pad), zero outside. `cs`/`bs` are the
 * input's channel and image strides (CB layout: cs = B·H·W, bs = H·W).
 */
static void im2col_plain(const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                   int pad, int Ho, int Wo, float *col) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs;
                    float *dst = row + (size_t)b * Ho * Wo;
                    int x0 = kx - pad; /* input x of ox = 0 */
                    int lo = x0 < 0 ? -x0 : 0;                /* first ox inside */
                    int hi = W - x0 < Wo ? W - x0 : Wo;       /* one past last ox inside */
                    if (hi < lo) hi = lo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        float *d = dst + (size_t)oy * Wo;
                        if (y < 0 || y >= H) {
                            for (int ox = 0; ox < Wo; ox++) d[ox] = 0.0f;
                            continue;
                        }
                        /* plain loops, not memcpy: rows are short (Wo floats) */
                        const float *s = src + (size_t)y * W + x0;
                        for (int ox = 0; ox < lo; ox++) d[ox] = 0.0f;
                        for (int ox = lo; ox < hi; ox++) d[ox] = s[ox];
                        for (int ox = hi; ox < Wo; ox++) d[ox] = 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: din(c, b, y, x) += dcol[...]; din (CB layout) must be zeroed. */
static void col2im_plain(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                         int pad, int Ho, int Wo, float *din) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = dcol + ((size_t)(c * k + ky) * k + kx) * N;
                for (int b = 0; b < B; b++) {
                    float *dst = din + c * cs + b * bs;
                    const float *src = row + (size_t)b * Ho * Wo;
                    int x0 = kx - pad;
                    int lo = x0 < 0 ? -x0 : 0;
                    int hi = W - x0 < Wo ? W - x0 : Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        if (y < 0 || y >= H) continue;
                        float *d = dst + (size_t)y * W + x0;
                        const float *s = src + (size_t)oy * Wo;
                        for (int ox = lo; ox < hi; ox++) d[ox] += s[ox];
                    }
                }
            }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_X86 1
/*
 * AVX-512 im2col/col2im: the rows are short (Wo = 28, 12, 4 for the seed CNN)
 * and there are ~100k of them per batch, so each row is one or two masked
 * loads and stores instead of a loop with a prologue and tail. Lanes outside
 * [lo, hi) (padding) are masked off: they are never read and store zero.
 */
__attribute__((target("avx512f"))) static void im2col_avx512(
    const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k, int pad, int Ho,
    int Wo, float *col) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                int x0 = kx - pad;
                int lo = x0 < 0 ? -x0 : 0;
                int hi = W - x0 < Wo ? W - x0 : Wo;
                if (hi < lo) hi = lo;
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs;
                    float *dst = row + (size_t)b * Ho * Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        float *d = dst + (size_t)oy * Wo;
                        int inside = y >= 0 && y < H;
                        const float *s = src + (ptrdiff_t)y * W + x0;
                        for (int ox = 0; ox < Wo; ox += 16) {
                            int w = Wo - ox < 16 ? Wo - ox : 16;
                            __mmask16 all = (__mmask16)((1u << w) - 1), valid = 0;
                            if (inside) {
                                int vlo = lo - ox < 0 ? 0 : lo - ox, vhi = hi - ox > w ? w : hi - ox;
                                if (vhi > vlo) valid = (__mmask16)(((1u << vhi) - 1) & ~((1u << vlo) - 1));
                            }
                            __m512 v = _mm512_maskz_loadu_ps(valid, s + ox);
                            _mm512_mask_storeu_ps(d + ox, all, v);
                        }
                    }
                }
            }
}

/*
 * im2col without padding, one output plane (Ho·Wo floats, contiguous in col)
 * 16 floats at a time: the 16 source pixels of such a vector lie within 32
 * consecutive input floats (checked by the caller), so a vector is one or
 * two masked loads and one two-source permute (vpermt2ps) — instead of one
 * masked load/store pair per short output row. `base[j]`/`idx[j]` say where
 * vector j starts in the input plane and which lanes it takes.
 */
__attribute__((target("avx512f"))) static void im2col_nopad_avx512(
    const float *in, size_t cs, size_t bs, int C, int W, int B, int k, int Ho, int Wo,
    const int *base, const __m512i *idx, const __mmask16 *lm0, const __mmask16 *lm1, float *col) {
    size_t P = (size_t)Ho * Wo, N = (size_t)B * P;
    int nvec = (int)((P + 15) / 16);
    __mmask16 tail = (__mmask16)(P % 16 ? (1u << (P % 16)) - 1 : 0xffff);
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs + (size_t)ky * W + kx;
                    float *dst = row + (size_t)b * P;
                    for (int j = 0; j < nvec; j++) {
                        const float *s0 = src + base[j];
                        __m512 lo = _mm512_maskz_loadu_ps(lm0[j], s0);
                        __m512 hi = _mm512_maskz_loadu_ps(lm1[j], s0 + 16);
                        __m512 v = _mm512_permutex2var_ps(lo, idx[j], hi);
                        _mm512_mask_storeu_ps(dst + 16 * j, j == nvec - 1 ? tail : 0xffff, v);
                    }
                }
            }
}

/* Set up im2col_nopad_avx512 for a Ho×Wo output of a W-wide input; 0 if it does not apply. */
__attribute__((target("avx512f"))) static int nopad_plan(int Ho, int Wo, int W, int *base,
                                                          __m512i *idx, __mmask16 *lm0,
                                                          __mmask16 *lm1, int max_vec) {
    int P = Ho * Wo, nvec = (P + 15) / 16;
    if (nvec > max_vec) return 0;
    for (int j = 0; j < nvec; j++) {
        int first = 16 * j, last = 16 * j + 15 < P ? 16 * j + 15 : P - 1;
        base[j] = (first / Wo) * W + first % Wo;
        int span = (last / Wo) * W + last % Wo - base[j] + 1;
        if (span > 32) return 0;
        int32_t lanes[16];
        for (int l = 0; l < 16; l++) {
            int d = 16 * j + l < P ? 16 * j + l : last;
            lanes[l] = (d / Wo) * W + d % Wo - base[j];
        }
        idx[j] = _mm512_loadu_si512(lanes);
        lm0[j] = (__mmask16)(span >= 16 ? 0xffff : (1u << span) - 1);
        lm1[j] = (__mmask16)(span <= 16 ? 0 : (1u << (span - 16)) - 1);
    }
    return 1;
}

/*
 * col2im without padding, as a gather: each 16-pixel vector of an input-
 * gradient plane sums, over the k·k kernel offsets, the dcol values that
 * came from it — each one or two masked loads and a permute, zero lanes
 * where the offset falls outside. No memset, no read-modify-write of din.
 * plan[o·nvec + j] describes offset o = ky·k + kx for din vector j.
 */
typedef struct {
    int base;               /* first dcol-plane index this vector reads */
    __mmask16 lm0, lm1, valid;
    int32_t idx[16];
} col2im_vec;

__attribute__((target("avx512f"))) static void col2im_gather_avx512(
    const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k, int Ho, int Wo,
    const col2im_vec *plan, float *din) {
    size_t P = (size_t)Ho * Wo, N = (size_t)B * P, Q = (size_t)H * W;
    int nvec = (int)((Q + 15) / 16);
    __mmask16 tail = (__mmask16)(Q % 16 ? (1u << (Q % 16)) - 1 : 0xffff);
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++) {
            float *dst = din + c * cs + b * bs;
            const float *planes = dcol + (size_t)c * k * k * N + (size_t)b * P;
            for (int j = 0; j < nvec; j++) {
                __m512 acc = _mm512_setzero_ps();
                for (int o = 0; o < k * k; o++) {
                    const col2im_vec *v = &plan[o * nvec + j];
                    if (!v->valid) continue;
                    const float *src = planes + (size_t)o * N + v->base;
                    __m512 lo = _mm512_maskz_loadu_ps(v->lm0, src);
                    __m512 hi = _mm512_maskz_loadu_ps(v->lm1, src + 16);
                    __m512 x = _mm512_permutex2var_ps(lo, _mm512_loadu_si512(v->idx), hi);
                    acc = _mm512_mask_add_ps(acc, v->valid, acc, x);
                }
                _mm512_mask_storeu_ps(dst + 16 * j, j == nvec - 1 ? tail : 0xffff, acc);
            }
        }
}

/* Plan col2im_gather_avx512; 0 if some vector's sources span more than 32 floats. */
static int col2im_gather_plan(int H, int W, int k, int Ho, int Wo, col2im_vec *plan,
                              int max_entries) {
    int Q = H * W, nvec = (Q + 15) / 16;
    if (nvec * k * k > max_entries) return 0;
    for (int o = 0; o < k * k; o++) {
        int ky = o / k, kx = o % k;
        for (int j = 0; j < nvec; j++) {
            col2im_vec *v = &plan[o * nvec + j];
            int lo = 1 << 30, hi = -1;
            int src[16];
            for (int l = 0; l < 16; l++) {
                int q = 16 * j + l, y = q / W, x = q % W, oy = y - ky, ox = x - kx;
                src[l] = (q < Q && oy >= 0 && oy < Ho && ox >= 0 && ox < Wo) ? oy * Wo + ox : -1;
                if (src[l] >= 0) {
                    if (src[l] < lo) lo = src[l];
                    if (src[l] > hi) hi = src[l];
                }
            }
            v->valid = 0;
            v->lm0 = v->lm1 = 0;
            v->base = 0;
            if (hi < 0) {
                for (int l = 0; l < 16; l++) v->idx[l] = 0;
                continue;
            }
            int span = hi - lo + 1;
            if (span > 32) return 0;
            v->base = lo;
            v->lm0 = (__mmask16)(span >= 16 ? 0xffff : (1u << span) - 1);
            v->lm1 = (__mmask16)(span <= 16 ? 0 : (1u << (span - 16)) - 1);
            for (int l = 0; l < 16; l++) {
                v->idx[l] = src[l] >= 0 ? src[l] - lo : 0;
                if (src[l] >= 0) v->valid |= (__mmask16)(1u << l);
            }
        }
    }
    return 1;
}

__attribute__((target("avx512f"))) static void col2im_avx512(
    const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k, int pad, int Ho,
    int Wo, float *din) {
    size_t N = (size_t)B * Ho * Wo;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = dcol + ((size_t)(c * k + ky) * k + kx) * N;
                int x0 = kx - pad;
                int lo = x0 < 0 ? -x0 : 0;
                int hi = W - x0 < Wo ? W - x0 : Wo;
                for (int b = 0; b < B; b++) {
                    float *dst = din + c * cs + b * bs;
                    const float *src = row + (size_t)b * Ho * Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        if (y < 0 || y >= H) continue;
                        float *d = dst + (ptrdiff_t)y * W + x0;
                        const float *s = src + (size_t)oy * Wo;
                        for (int ox = lo; ox < hi; ox += 16) {
                            int w = hi - ox < 16 ? hi - ox : 16;
                            __mmask16 mk = (__mmask16)((1u << w) - 1);
                            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(mk, d + ox),
                                                     _mm512_maskz_loadu_ps(mk, s + ox));
                            _mm512_mask_storeu_ps(d + ox, mk, v);
                        }
                    }
                }
            }
}
#else
#define NN_X86 0
#endif

static void im2col(const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                   int pad, int Ho, int Wo, float *col) {
#if NN_X86
    if (nn_use_avx512() && pad == 0) {
        enum { MAX_VEC = 64 };
        int base[MAX_VEC];
        __m512i idx[MAX_VEC];
        __mmask16 lm0[MAX_VEC], lm1[MAX_VEC];
        if (nopad_plan(Ho, Wo, W, base, idx, lm0, lm1, MAX_VEC)) {
            im2col_nopad_avx512(in, cs, bs, C, W, B, k, Ho, Wo, base, idx, lm0, lm1, col);
            return;
        }
    }
    if (nn_use_avx512()) {
        im2col_avx512(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col);
        return;
    }
#endif
    im2col_plain(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col);
}

/* din (B images of C planes, strides cs/bs) = the adjoint of im2col applied to dcol (overwritten). */
static void col2im(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k,
                   int pad, int Ho, int Wo, float *din) {
#if NN_X86
    if (nn_use_avx512() && pad == 0) {
        enum { MAX_ENTRIES = 512 };
        col2im_vec plan[MAX_ENTRIES];
        if (col2im_gather_plan(H, W, k, Ho, Wo, plan, MAX_ENTRIES)) {
            col2im_gather_avx512(dcol, cs, bs, C, H, W, B, k, Ho, Wo, plan, din);
            return;
        }
    }
#endif
    for (int c = 0; c < C; c++) memset(din + c * cs, 0, sizeof(float) * B * bs);
#if NN_X86
    if (nn_use_avx512()) {
        col2im_avx512(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din);
        return;
    }
#endif
    col2im_plain(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din);
}

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
        im2col(in + b0 * bs, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, col);
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
        im2col(in + b0 * bs, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, col);
        /* dW (+)= dout_chunk · col_chunkᵀ */
        nn_sgemm(0, 1, M, K, n, dchunk, N, col, n, b0 ? 1.0f : 0.0f, dW, K);
        if (!din) continue;
        /* dcol = Wᵀ · dout_chunk, then scattered back onto the chunk's images */
        nn_sgemm(1, 0, K, n, M, params + L->w_off, K, dchunk, N, 0.0f, dcol, n);
        col2im(dcol, cs, bs, C, H, W, nb, k, L->pad, Ho, Wo, din + b0 * bs);
    }
}

/*
 * Window masks: what a training forward of a max-pool records for its
 * backward, so that the backward reads neither the pool's input nor its
 * output (the seed CNN's conv outputs do not fit in L2: each read is a trip
 * to L3 or memory). For each pooled row (C·B·Ho of them; only when Wo <= 16)
 * four 16-bit masks: bit x of mask j is set when window x's gradient goes to
 * its input j (0 row 0 left, 1 row 0 right, 2 row 1 left, 3 row 1 right). At
 * most one of the four bits of a window is set: the first maximum in
 * PyTorch's order. None is when no gradient flows: no input equals the
 * maximum (NaN), or the pool masks a ReLU (L->pool_masks_relu) and the
 * maximum is not positive.
 */

/* uint16_t masks of nn_maxpool_forward's window masks for B images; 0 when not recorded. */
size_t nn_maxpool_wmask_count(const nn_layer *P, int B) {
    return P->out_w <= 16 ? (size_t)4 * P->out_c * B * P->out_h : 0;
}

/* The masks of one window with inputs a, b (row 0), c, d (row 1), at bit `bit`. */
static void window_mask_set(float a, float b, float c, float d, float m, int live, unsigned bit,
                            uint16_t *wm) {
    if (!live) return;
    int j = a == m ? 0 : b == m ? 1 : c == m ? 2 : d == m ? 3 : 4;
    if (j < 4) wm[j] |= (uint16_t)bit;
}

#if NN_X86
/* Own AVX-512 kernels in use, and BMI2 (pdep) for the window masks: every
 * AVX-512 CPU has it, but it is checked rather than assumed. */
static int use_avx512_bmi2(void) {
    static int bmi2 = -1;
    if (bmi2 < 0) {
        __builtin_cpu_init();
        bmi2 = __builtin_cpu_supports("bmi2") ? 1 : 0;
    }
    return bmi2 && nn_use_avx512();
}

#define NN_AVX512_INLINE __attribute__((target("avx512f,bmi2"), always_inline)) static inline
#define NN_AVX512_BMI2 __attribute__((target("avx512f,bmi2")))

/*
 * The 2×2 windows of a row pair, lane-wise: e0/o0 are the row-0 inputs at
 * even and odd columns, e1/o1 row 1's. Returns the window maxima; when wm is
 * not NULL stores their window masks (four uint16, lanes `om`).
 */
NN_AVX512_INLINE __m512 pool_window(__m512 e0, __m512 o0, __m512 e1, __m512 o1, int mask_relu,
                                    __mmask16 om, uint16_t *wm) {
    __m512 mx = _mm512_max_ps(_mm512_max_ps(e0, o0), _mm512_max_ps(e1, o1));
    if (wm) {
        __mmask16 live = om;
        if (mask_relu) live = _mm512_mask_cmp_ps_mask(om, mx, _mm512_setzero_ps(), _CMP_GT_OQ);
        unsigned a = _mm512_mask_cmp_ps_mask(live, e0, mx, _CMP_EQ_OQ);
        unsigned b = _mm512_mask_cmp_ps_mask(live, o0, mx, _CMP_EQ_OQ) & ~a;
        unsigned c = _mm512_mask_cmp_ps_mask(live, e1, mx, _CMP_EQ_OQ) & ~(a | b);
        unsigned d = _mm512_mask_cmp_ps_mask(live, o1, mx, _CMP_EQ_OQ) & ~(a | b | c);
        uint64_t v = a | b << 16 | (uint64_t)c << 32 | (uint64_t)d << 48;
        memcpy(wm, &v, sizeof v);
    }
    return mx;
}

/*
 * The input gradient of a row pair from its pooled gradient g and window
 * masks wm: lane x of row dy gets g[x/2] if window x/2 sends it there, else
 * 0. idup[h] spreads pooled lane x/2 over lanes x of vector h (columns
 * 16h..16h+15); d[dy][h] for h < NV.
 */
NN_AVX512_INLINE void pool_window_grad(__m512 g, const uint16_t *wm, const __m512i *idup,
                                       const int NV, __m512 d[2][2]) {
    uint32_t r0 = _pdep_u32(wm[0], 0x55555555u) | _pdep_u32(wm[1], 0xaaaaaaaau);
    uint32_t r1 = _pdep_u32(wm[2], 0x55555555u) | _pdep_u32(wm[3], 0xaaaaaaaau);
#pragma GCC unroll 2
    for (int h = 0; h < NV; h++) {
        __m512 gd = _mm512_permutexvar_ps(idup[h], g);
        d[0][h] = _mm512_maskz_mov_ps((__mmask16)(r0 >> 16 * h), gd);
        d[1][h] = _mm512_maskz_mov_ps((__mmask16)(r1 >> 16 * h), gd);
    }
}

/* maxpool_fwd_masks_avx512 for NV vectors a row (W <= 16 · NV), MASK_RELU as L->pool_masks_relu. */
NN_AVX512_INLINE void maxpool_fwd_masks_rows(const int NV, const int MASK_RELU, const float *in,
                                             size_t planes, int H, int W, int Ho, int Wo,
                                             float *out, uint16_t *wmask) {
    __mmask16 lm[2] = {(__mmask16)(W >= 16 ? 0xffff : (1u << W) - 1),
                       (__mmask16)(W > 16 ? (1u << (W - 16)) - 1 : 0)};
    int32_t ev[16], od[16];
    for (int l = 0; l < 16; l++) { ev[l] = 2 * l; od[l] = 2 * l + 1; }
    __m512i iev = _mm512_loadu_si512(ev), iod = _mm512_loadu_si512(od);
    __mmask16 om = (__mmask16)((1u << Wo) - 1);
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            size_t row = p * Ho + oy;
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            __m512 a0 = _mm512_maskz_loadu_ps(lm[0], r0), a1 = _mm512_maskz_loadu_ps(lm[0], r1);
            __m512 e0, o0, e1, o1;
            if (NV > 1) {
                __m512 b0 = _mm512_maskz_loadu_ps(lm[1], r0 + 16);
                __m512 b1 = _mm512_maskz_loadu_ps(lm[1], r1 + 16);
                e0 = _mm512_permutex2var_ps(a0, iev, b0), o0 = _mm512_permutex2var_ps(a0, iod, b0);
                e1 = _mm512_permutex2var_ps(a1, iev, b1), o1 = _mm512_permutex2var_ps(a1, iod, b1);
            } else { /* one source: lanes past Wo are junk, masked off by om */
                e0 = _mm512_permutexvar_ps(iev, a0), o0 = _mm512_permutexvar_ps(iod, a0);
                e1 = _mm512_permutexvar_ps(iev, a1), o1 = _mm512_permutexvar_ps(iod, a1);
            }
            __m512 mx = pool_window(e0, o0, e1, o1, MASK_RELU, om, wmask + 4 * row);
            _mm512_mask_storeu_ps(out + row * Wo, om, mx);
        }
    }
}

/* The training forward of an AVX-512 max-pool (W even, <= 32): also the window masks. */
NN_AVX512_BMI2 static void maxpool_fwd_masks_avx512(const float *in, size_t planes, int H, int W,
                                                    int Ho, int Wo, int mask_relu, float *out,
                                                    uint16_t *wmask) {
    if (W > 16) {
        if (mask_relu) maxpool_fwd_masks_rows(2, 1, in, planes, H, W, Ho, Wo, out, wmask);
        else maxpool_fwd_masks_rows(2, 0, in, planes, H, W, Ho, Wo, out, wmask);
    } else {
        if (mask_relu) maxpool_fwd_masks_rows(1, 1, in, planes, H, W, Ho, Wo, out, wmask);
        else maxpool_fwd_masks_rows(1, 0, in, planes, H, W, Ho, Wo, out, wmask);
    }
}

/* Backward from the window masks maxpool_fwd_masks_avx512 recorded: din written whole. */
NN_AVX512_BMI2 static void maxpool_bwd_masks_avx512(const uint16_t *wmask, const float *dout,
                                                    size_t planes, int H, int W, int Ho, int Wo,
                                                    float *din) {
    __mmask16 lm[2] = {(__mmask16)(W >= 16 ? 0xffff : (1u << W) - 1),
                       (__mmask16)(W > 16 ? (1u << (W - 16)) - 1 : 0)};
    int32_t dup[2][16];
    for (int l = 0; l < 16; l++) { dup[0][l] = l / 2; dup[1][l] = 8 + l / 2; }
    __m512i idup[2] = {_mm512_loadu_si512(dup[0]), _mm512_loadu_si512(dup[1])};
    __mmask16 om = (__mmask16)((1u << Wo) - 1);
    for (size_t p = 0; p < planes; p++) {
        float *dst = din + p * H * W;
        for (int oy = 0; oy < Ho; oy++) {
            size_t row = p * Ho + oy;
            float *d0 = dst + (size_t)(2 * oy) * W, *d1 = d0 + W;
            __m512 g = _mm512_maskz_loadu_ps(om, dout + row * Wo), d[2][2];
            if (W > 16) {
                pool_window_grad(g, wmask + 4 * row, idup, 2, d);
                _mm512_mask_storeu_ps(d0 + 16, lm[1], d[0][1]);
                _mm512_mask_storeu_ps(d1 + 16, lm[1], d[1][1]);
            } else {
                pool_window_grad(g, wmask + 4 * row, idup, 1, d);
            }
            _mm512_mask_storeu_ps(d0, lm[0], d[0][0]);
            _mm512_mask_storeu_ps(d1, lm[0], d[1][0]);
        }
    }
}

/*
 * AVX-512 max-pool for planes whose width W is even and at most 32 (one
 * input row = one or two vectors), without window masks (evaluation): the
 * four values of each window are compared lane-wise, pairs reduced by
 * permutes.
 */
__attribute__((target("avx512f"))) static void maxpool_fwd_avx512(const float *in, size_t planes,
                                                                   int H, int W, int Ho, int Wo,
                                                                   float *out) {
    int nv = (W + 15) / 16;
    __mmask16 lm[2] = {(__mmask16)(W >= 16 ? 0xffff : (1u << W) - 1),
                       (__mmask16)(W > 16 ? (1u << (W - 16)) - 1 : 0)};
    int32_t ev[16], od[16];
    for (int l = 0; l < 16; l++) { ev[l] = 2 * l; od[l] = 2 * l + 1; }
    __m512i iev = _mm512_loadu_si512(ev), iod = _mm512_loadu_si512(od);
    __mmask16 om = (__mmask16)((1u << Wo) - 1);
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = out + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            __m512 m[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
            for (int v = 0; v < nv; v++)
                m[v] = _mm512_max_ps(_mm512_maskz_loadu_ps(lm[v], r0 + 16 * v),
                                     _mm512_maskz_loadu_ps(lm[v], r1 + 16 * v));
            __m512 a = _mm512_permutex2var_ps(m[0], iev, m[1]);
            __m512 b = _mm512_permutex2var_ps(m[0], iod, m[1]);
            /* same order of comparisons as the scalar code: max(a, b) then rows */
            _mm512_mask_storeu_ps(dst + (size_t)oy * Wo, om, _mm512_max_ps(a, b));
        }
    }
}

#endif

/*
 * MaxPool2d(2,2) forward over C·B planes of H×W → Ho×Wo (floored). With
 * wmask (a training forward; nn_maxpool_wmask_count of them) it also records
 * the window masks for nn_maxpool_backward.
 */
void nn_maxpool_forward(const nn_layer *L, const float *in, int B, float *out, uint16_t *wmask) {
    int H = L->in_h, W = L->in_w, Ho = L->out_h, Wo = L->out_w;
    size_t planes = (size_t)L->in_c * B;
#if NN_X86
    if (nn_use_avx512() && W % 2 == 0 && W <= 32) {
        if (!wmask) {
            maxpool_fwd_avx512(in, planes, H, W, Ho, Wo, out);
            return;
        }
        if (use_avx512_bmi2()) {
            maxpool_fwd_masks_avx512(in, planes, H, W, Ho, Wo, L->pool_masks_relu, out, wmask);
            return;
        }
    }
#endif
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = out + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            uint16_t *wm = wmask ? wmask + 4 * (p * Ho + oy) : NULL;
            if (wm) wm[0] = wm[1] = wm[2] = wm[3] = 0;
            for (int ox = 0; ox < Wo; ox++) {
                float a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
                float m = a;
                if (b > m) m = b;
                if (c > m) m = c;
                if (d > m) m = d;
                dst[(size_t)oy * Wo + ox] = m;
                if (wm) window_mask_set(a, b, c, d, m, !L->pool_masks_relu || m > 0.0f, 1u << ox, wm);
            }
        }
    }
}

/*
 * MaxPool backward: the gradient goes to the first maximum in the window (as
 * PyTorch), every other input position gets 0 (written here, no memset).
 * When the pool's input is a ReLU output (L->pool_masks_relu), a window whose
 * maximum is 0 passes no gradient: that is the ReLU's backward (grad·[y > 0])
 * folded in, so the ReLU layer's own backward pass is skipped. With the
 * window masks of the forward (wmask != NULL) neither in nor out is read.
 */
void nn_maxpool_backward(const nn_layer *L, const float *in, const float *out, const float *dout,
                         int B, float *din, const uint16_t *wmask) {
    int H = L->in_h, W = L->in_w, Ho = L->out_h, Wo = L->out_w;
    size_t planes = (size_t)L->in_c * B;
    int mask = L->pool_masks_relu;
    if ((H & 1) || (W & 1)) memset(din, 0, sizeof(float) * planes * H * W);
#if NN_X86
    if (wmask && use_avx512_bmi2() && W % 2 == 0 && W <= 32) {
        maxpool_bwd_masks_avx512(wmask, dout, planes, H, W, Ho, Wo, din);
        return;
    }
#endif
    if (wmask) {
        for (size_t p = 0; p < planes; p++)
            for (int oy = 0; oy < Ho; oy++) {
                const uint16_t *wm = wmask + 4 * (p * Ho + oy);
                const float *g = dout + (p * Ho + oy) * Wo;
                float *d0 = din + p * H * W + (size_t)(2 * oy) * W, *d1 = d0 + W;
                for (int ox = 0; ox < Wo; ox++) {
                    unsigned bit = 1u << ox;
                    d0[2 * ox] = wm[0] & bit ? g[ox] : 0.0f;
                    d0[2 * ox + 1] = wm[1] & bit ? g[ox] : 0.0f;
                    d1[2 * ox] = wm[2] & bit ? g[ox] : 0.0f;
                    d1[2 * ox + 1] = wm[3] & bit ? g[ox] : 0.0f;
                }
            }
        return;
    }
    for (size_t p = 0; p < planes; p++) {
        const float *src = in + p * H * W;
        float *dst = din + p * H * W;
        const float *o = out + p * Ho * Wo, *g = dout + p * Ho * Wo;
        for (int oy = 0; oy < Ho; oy++) {
            const float *r0 = src + (size_t)(2 * oy) * W, *r1 = r0 + W;
            float *d0 = dst + (size_t)(2 * oy) * W, *d1 = d0 + W;
            for (int ox = 0; ox < Wo; ox++) {
                float m = o[(size_t)oy * Wo + ox], gv = g[(size_t)oy * Wo + ox];
                if (mask && !(m > 0.0f)) gv = 0.0f;
                int x = 2 * ox;
                int j = r0[x] == m ? 0 : r0[x + 1] == m ? 1 : r1[x] == m ? 2 : 3;
                d0[x] = j == 0 ? gv : 0.0f;
                d0[x + 1] = j == 1 ? gv : 0.0f;
                d1[x] = j == 2 ? gv : 0.0f;
                d1[x + 1] = j == 3 ? gv : 0.0f;
            }
        }
    }
}

/*
 * conv → ReLU → MaxPool2d(2,2) in one pass, for the network's first layer
 * with parameters (the seed CNN's conv1: 32 channels of 28×28 per image).
 *
 * Why: unfused, the conv's output (3.2 MB a batch for the seed CNN, more than
 * the 1 MB L2) is written by the GEMM, read by the pool's forward, read again
 * by its backward, which writes an input gradient as large for the weight-
 * gradient GEMM and the bias sums to read. Fused, each pair of conv output
 * rows is computed in registers (a direct convolution over a zero-padded copy
 * of the input), pooled at once, and only the pooled row and its window masks
 * (see above: which input of each window gets the gradient) are stored. The
 * backward pass rebuilds a row pair's (sparse) conv-output gradient from the
 * masks in registers and accumulates dW and db directly. The conv's input
 * gradient is never needed: the fusion is only for the first parameter layer.
 *
 * The unfused layers' results up to float rounding: the gradient goes to the
 * first maximum in PyTorch's window order, and a window whose maximum is not
 * positive passes none (the ReLU's backward). Each conv output is summed in
 * one order in every path here (taps by ci, kx, ky; bias added last), so the
 * statistics' recomputation (nn_convpool_conv_output) matches the forward
 * exactly.
 *
 * xpad: a copy of the layer's weights and biases as of the last forward
 * (the layer statistics recompute the conv's output from it and the input),
 * then at cp_poff(L) the padded input [B][Cin][Hp][Wps]: Hp = H + 2·pad rows
 * of Wp = W + 2·pad columns, stored Wps = Wp rounded up to 16 floats apart.
 * Its border is zeroed once at model creation and never written. wmask: the
 * pool's window masks, pooled rows in the pool's output order [Cout][B][Hpo].
 */
static int cp_hp(const nn_layer *L) { return L->in_h + 2 * L->pad; }
static int cp_wps(const nn_layer *L) { return (L->in_w + 2 * L->pad + 15) / 16 * 16; }

/* Whether conv L followed by a ReLU and maxpool P is computed fused (model creation):
 * the AVX-512 kernels' shapes (3×3 kernel, conv rows of at most 32 used columns). */
int nn_convpool_applies(const nn_layer *L, const nn_layer *P) {
#if NN_X86
    return L->kind == OL_LAYER_CONV && P->kind == OL_LAYER_MAXPOOL && L->k == 3 &&
           P->out_w * 2 <= 32 && use_avx512_bmi2();
#else
    return 0;
#endif
}

/* Offset of the padded images in xpad: after the parameters, 64-byte aligned. */
static size_t cp_poff(const nn_layer *L) { return (L->n_params + 15) / 16 * 16; }

/* Floats of L's xpad buffer for B images (slack for masked vector reads). */
size_t nn_convpool_xpad_floats(const nn_layer *L, int B) {
    return cp_poff(L) + (size_t)B * L->in_c * cp_hp(L) * cp_wps(L) + 32;
}

/* The interior of xpad = the input (strides cs/bs); the zero border stays. */
static void convpool_pad(const nn_layer *L, const float *in, size_t cs, size_t bs, int B,
                         float *xpad) {
    int C = L->in_c, H = L->in_h, W = L->in_w, p = L->pad, Hp = cp_hp(L), Wps = cp_wps(L);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            const float *src = in + c * cs + b * bs;
            float *dst = xpad + ((size_t)(b * C + c) * Hp + p) * Wps + p;
            for (int y = 0; y < H; y++)
                memcpy(dst + (size_t)y * Wps, src + (size_t)y * W, sizeof(float) * W);
        }
}

/* One conv output (before the ReLU) at (m, b, y, x), summed in the order of
 * the AVX-512 kernel, and like it with fused multiply-adds when fma is set.
 * p: the layer's weights [Cout][C][k][k] then its biases. */
static float convpool_at(const nn_layer *L, const float *p, const float *xpad, int m, int b,
                         int y, int x, int fma) {
    int C = L->in_c, k = L->k, Hp = cp_hp(L), Wps = cp_wps(L);
    const float *Wt = p + (size_t)m * C * k * k;
    float s = 0.0f;
    for (int c = 0; c < C; c++) {
        const float *xp = xpad + ((size_t)(b * C + c) * Hp + y) * Wps + x;
        for (int kx = 0; kx < k; kx++)
            for (int ky = 0; ky < k; ky++) {
                float w = Wt[(c * k + ky) * k + kx], v = xp[ky * Wps + kx];
                s = fma ? fmaf(w, v, s) : s + w * v;
            }
    }
    return s + p[(size_t)L->out_c * C * k * k + m];
}

/* The conv's whole output of the last forward (B images), ReLU applied,
 * [Cout][B][Ho][Wo], recomputed from xpad and the parameters kept with it
 * (ol_model_layer_stats: the fused forward never stores it). */
void nn_convpool_conv_output(const nn_layer *L, const float *xpad, int B, float *out) {
    const float *p = xpad;
    xpad += cp_poff(L);
#if NN_X86
    int fma = use_avx512_bmi2(); /* the forward ran the AVX-512 kernel */
#else
    int fma = 0;
#endif
    size_t i = 0;
    for (int m = 0; m < L->out_c; m++)
        for (int b = 0; b < B; b++)
            for (int y = 0; y < L->out_h; y++)
                for (int x = 0; x < L->out_w; x++, i++) {
                    float v = convpool_at(L, p, xpad, m, b, y, x, fma);
                    out[i] = v > 0.0f ? v : 0.0f;
                }
}

static void convpool_fwd_plain(const nn_layer *L, const nn_layer *P, const float *params,
                               const float *xpad, int B, uint16_t *wmask, float *out) {
    int Hpo = P->out_h, Wpo = P->out_w;
    size_t row = 0;
    for (int m = 0; m < L->out_c; m++)
        for (int b = 0; b < B; b++)
            for (int py = 0; py < Hpo; py++, row++) {
                uint16_t *wm = wmask ? wmask + 4 * row : NULL;
                if (wm) wm[0] = wm[1] = wm[2] = wm[3] = 0;
                for (int px = 0; px < Wpo; px++) {
                    float v[4];
                    for (int j = 0; j < 4; j++)
                        v[j] = convpool_at(L, params + L->w_off, xpad, m, b, 2 * py + j / 2,
                                           2 * px + j % 2, 0);
                    float mx = v[0];
                    for (int j = 1; j < 4; j++)
                        if (v[j] > mx) mx = v[j];
                    out[row * Wpo + px] = mx > 0.0f ? mx : 0.0f;
                    if (wm) window_mask_set(v[0], v[1], v[2], v[3], mx, mx > 0.0f, 1u << px, wm);
                }
            }
}

static void convpool_bwd_plain(const nn_layer *L, const nn_layer *P, const float *dout, int B,
                               const float *xpad, const uint16_t *wmask, float *dW, float *db) {
    int C = L->in_c, k = L->k, Hp = cp_hp(L), Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w;
    size_t row = 0;
    for (int m = 0; m < L->out_c; m++) {
        float *dw = dW + (size_t)m * C * k * k, s = 0.0f;
        for (int j = 0; j < C * k * k; j++) dw[j] = 0.0f;
        for (int b = 0; b < B; b++)
            for (int py = 0; py < Hpo; py++, row++)
                for (int px = 0; px < Wpo; px++) {
                    const uint16_t *wm = wmask + 4 * row;
                    int j = 0;
                    while (j < 4 && !(wm[j] >> px & 1)) j++;
                    if (j == 4) continue;
                    float g = dout[row * Wpo + px];
                    s += g;
                    int y = 2 * py + j / 2, x = 2 * px + j % 2;
                    for (int c = 0; c < C; c++) {
                        const float *xp = xpad + ((size_t)(b * C + c) * Hp + y) * Wps + x;
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++)
                                dw[(c * k + ky) * k + kx] += g * xp[ky * Wps + kx];
                    }
                }
        db[m] = s;
    }
}

#if NN_X86
/*
 * Forward of G (≤ 4) output channels for one pooled row (two conv rows of NV
 * vectors each) of one image; 3×3 kernel. x: the image's padded input at conv
 * row 2·py; w: the G channels' weights [G][C][3][3]. Writes G pooled rows (at
 * out + g·ostride) and, when wm is not NULL, their window masks (at
 * wm + 4·g·rstride).
 */
NN_AVX512_INLINE void convpool_fwd_tile(const int G, const int NV, int C, const float *x,
                                        size_t xplane, int Wps, const float *w, const float *bias,
                                        const __mmask16 *lm, __m512i iev, __m512i iod,
                                        __mmask16 om, float *out, size_t ostride, uint16_t *wm,
                                        size_t rstride) {
    __m512 acc[4][2][2];
#pragma GCC unroll 4
    for (int g = 0; g < G; g++)
#pragma GCC unroll 2
        for (int dy = 0; dy < 2; dy++)
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) acc[g][dy][h] = _mm512_setzero_ps();
    for (int c = 0; c < C; c++) {
        const float *xc = x + c * xplane, *wc = w + c * 9;
        /* per column shift kx: the four input rows in registers, then each weight
         * broadcast once for both conv rows (loads, not FMAs, were the limit) */
#pragma GCC unroll 3
        for (int kx = 0; kx < 3; kx++) {
            __m512 v[4][2];
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++)
#pragma GCC unroll 2
                for (int h = 0; h < NV; h++)
                    v[r][h] = _mm512_maskz_loadu_ps(lm[h], xc + r * Wps + 16 * h + kx);
#pragma GCC unroll 3
            for (int ky = 0; ky < 3; ky++)
#pragma GCC unroll 4
                for (int g = 0; g < G; g++) {
                    __m512 wv = _mm512_set1_ps(wc[(size_t)g * C * 9 + ky * 3 + kx]);
#pragma GCC unroll 2
                    for (int dy = 0; dy < 2; dy++)
#pragma GCC unroll 2
                        for (int h = 0; h < NV; h++)
                            acc[g][dy][h] = _mm512_fmadd_ps(wv, v[ky + dy][h], acc[g][dy][h]);
                }
        }
    }
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int g = 0; g < G; g++) {
        __m512 bv = _mm512_set1_ps(bias[g]);
        __m512 r0a = _mm512_add_ps(acc[g][0][0], bv), r1a = _mm512_add_ps(acc[g][1][0], bv);
        __m512 r0b = NV > 1 ? _mm512_add_ps(acc[g][0][1], bv) : zero;
        __m512 r1b = NV > 1 ? _mm512_add_ps(acc[g][1][1], bv) : zero;
        __m512 mx = pool_window(
            _mm512_permutex2var_ps(r0a, iev, r0b), _mm512_permutex2var_ps(r0a, iod, r0b),
            _mm512_permutex2var_ps(r1a, iev, r1b), _mm512_permutex2var_ps(r1a, iod, r1b), 1, om,
            wm ? wm + 4 * g * rstride : NULL);
        _mm512_mask_storeu_ps(out + g * ostride, om, _mm512_max_ps(mx, zero));
    }
}

NN_AVX512_BMI2 static void convpool_fwd_avx512(const nn_layer *L, const nn_layer *P,
                                               const float *params, const float *xpad, int B,
                                               uint16_t *wmask, float *out) {
    int C = L->in_c, M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w, Wc = 2 * Wpo;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo, ostride = rstride * Wpo;
    int NV = Wc > 16 ? 2 : 1;
    __mmask16 lm[2] = {(__mmask16)(Wc >= 16 ? 0xffff : (1u << Wc) - 1),
                       (__mmask16)(Wc > 16 ? (1u << (Wc - 16)) - 1 : 0)};
    int32_t ev[16], od[16];
    for (int l = 0; l < 16; l++) { ev[l] = 2 * l; od[l] = 2 * l + 1; }
    __m512i iev = _mm512_loadu_si512(ev), iod = _mm512_loadu_si512(od);
    __mmask16 om = (__mmask16)((1u << Wpo) - 1);
    const float *Wt = params + L->w_off, *bias = params + L->b_off;
    for (int b = 0; b < B; b++)
        for (int py = 0; py < Hpo; py++) {
            const float *x = xpad + (size_t)b * C * xplane + (size_t)(2 * py) * Wps;
            for (int m0 = 0; m0 < M; m0 += 4) {
                int G = M - m0 < 4 ? M - m0 : 4;
                size_t row = (size_t)m0 * rstride + (size_t)b * Hpo + py;
                float *o = out + row * Wpo;
                uint16_t *wm = wmask ? wmask + 4 * row : NULL;
                const float *w = Wt + (size_t)m0 * C * 9;
                switch (G * 2 + NV - 1) {
#define CPF_CASE(g, nv)                                                                    \
    case g * 2 + nv - 1:                                                                   \
        convpool_fwd_tile(g, nv, C, x, xplane, Wps, w, bias + m0, lm, iev, iod, om, o,      \
                          ostride, wm, rstride);                                           \
        break;
                CPF_CASE(1, 1) CPF_CASE(2, 1) CPF_CASE(3, 1) CPF_CASE(4, 1)
                CPF_CASE(1, 2) CPF_CASE(2, 2) CPF_CASE(3, 2) CPF_CASE(4, 2)
#undef CPF_CASE
                }
            }
        }
}

/*
 * Backward of G (≤ 2) output channels over one input channel of the whole
 * batch: for each pooled row, the conv-output gradient of its two conv rows
 * is rebuilt in registers from the pooled gradient and the window masks,
 * and dW[g][ky][kx] accumulates its products with the shifted input rows in
 * 16 lanes. x: xpad at input channel c of image 0 (images ximg apart);
 * dout/wmask: channel m0's pooled gradient and masks (channel g at
 * g·ostride, g·rstride rows). dw: dW of channel m0 at input channel c
 * (channel g at dw + g·wstride). db: the G bias gradients, or NULL.
 */
NN_AVX512_INLINE void convpool_bwd_tile(const int G, const int NV, int B, int Hpo, int Wpo,
                                        const float *x, size_t ximg, int Wps, const float *dout,
                                        const uint16_t *wmask, size_t ostride, size_t rstride,
                                        const __mmask16 *lm, const __m512i *idup, float *dw,
                                        size_t wstride, float *db) {
    __m512 acc[2][9], dbv[2];
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
        dbv[g] = zero;
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) acc[g][t] = zero;
    }
    __mmask16 om = (__mmask16)((1u << Wpo) - 1);
    for (int b = 0; b < B; b++)
        for (int py = 0; py < Hpo; py++) {
            const float *xr = x + b * ximg + (size_t)(2 * py) * Wps;
            size_t row = (size_t)b * Hpo + py;
            __m512 d[2][2][2]; /* [g][dy][h] */
#pragma GCC unroll 2
            for (int g = 0; g < G; g++) {
                const uint16_t *wm = wmask + 4 * (g * rstride + row);
                __m512 gv = _mm512_maskz_loadu_ps(om, dout + g * ostride + row * Wpo);
                if (db)
                    dbv[g] = _mm512_add_ps(
                        dbv[g], _mm512_maskz_mov_ps((__mmask16)(wm[0] | wm[1] | wm[2] | wm[3]), gv));
                pool_window_grad(gv, wm, idup, NV, d[g]);
            }
#pragma GCC unroll 4
            for (int r = 0; r < 4; r++)
#pragma GCC unroll 3
                for (int kx = 0; kx < 3; kx++) {
                    __m512 v[2];
#pragma GCC unroll 2
                    for (int h = 0; h < NV; h++)
                        v[h] = _mm512_maskz_loadu_ps(lm[h], xr + r * Wps + 16 * h + kx);
#pragma GCC unroll 2
                    for (int dy = 0; dy < 2; dy++) {
                        int ky = r - dy;
                        if (ky < 0 || ky > 2) continue;
#pragma GCC unroll 2
                        for (int g = 0; g < G; g++)
#pragma GCC unroll 2
                            for (int h = 0; h < NV; h++)
                                acc[g][ky * 3 + kx] =
                                    _mm512_fmadd_ps(d[g][dy][h], v[h], acc[g][ky * 3 + kx]);
                    }
                }
        }
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
#pragma GCC unroll 9
        for (int t = 0; t < 9; t++) dw[g * wstride + t] = _mm512_reduce_add_ps(acc[g][t]);
        if (db) db[g] = _mm512_reduce_add_ps(dbv[g]);
    }
}

NN_AVX512_BMI2 static void convpool_bwd_avx512(const nn_layer *L, const nn_layer *P,
                                               const float *dout, int B, const float *xpad,
                                               const uint16_t *wmask, float *dW, float *db) {
    int C = L->in_c, M = L->out_c, Wps = cp_wps(L), Hpo = P->out_h, Wpo = P->out_w, Wc = 2 * Wpo;
    size_t xplane = (size_t)cp_hp(L) * Wps, rstride = (size_t)B * Hpo, ostride = rstride * Wpo;
    int NV = Wc > 16 ? 2 : 1;
    __mmask16 lm[2] = {(__mmask16)(Wc >= 16 ? 0xffff : (1u << Wc) - 1),
                       (__mmask16)(Wc > 16 ? (1u << (Wc - 16)) - 1 : 0)};
    int32_t dup[2][16];
    for (int l = 0; l < 16; l++) { dup[0][l] = l / 2; dup[1][l] = 8 + l / 2; }
    __m512i idup[2] = {_mm512_loadu_si512(dup[0]), _mm512_loadu_si512(dup[1])};
    for (int m0 = 0; m0 < M; m0 += 2) {
        int G = M - m0 < 2 ? M - m0 : 2;
        for (int c = 0; c < C; c++) {
            const float *x = xpad + (size_t)c * xplane, *g = dout + (size_t)m0 * ostride;
            const uint16_t *wm = wmask + 4 * (size_t)m0 * rstride;
            float *dw = dW + ((size_t)m0 * C + c) * 9, *dbp = c == 0 ? db + m0 : NULL;
            switch (G * 2 + NV - 1) {
#define CPB_CASE(gg, nv)                                                                    \
    case gg * 2 + nv - 1:                                                                   \
        convpool_bwd_tile(gg, nv, B, Hpo, Wpo, x, C * xplane, Wps, g, wm, ostride, rstride,  \
                          lm, idup, dw, (size_t)C * 9, dbp);                                \
        break;
            CPB_CASE(1, 1) CPB_CASE(2, 1) CPB_CASE(1, 2) CPB_CASE(2, 2)
#undef CPB_CASE
            }
        }
    }
}
#endif

/*
 * Forward of conv L, its ReLU and maxpool P for B images: in as for
 * nn_conv_forward; out: the pool's output [Cout][B][Hpo][Wpo]. Keeps the
 * padded input (xpad) and, for a training forward (wmask != NULL), the
 * window masks for the backward pass.
 */
void nn_convpool_forward(const nn_layer *L, const nn_layer *P, const float *params,
                         const float *in, int in_batch_major, int B, float *xpad,
                         uint16_t *wmask, float *out) {
    int C = L->in_c, H = L->in_h, W = L->in_w;
    size_t cs = in_batch_major ? (size_t)H * W : (size_t)B * H * W;
    size_t bs = in_batch_major ? (size_t)C * H * W : (size_t)H * W;
    memcpy(xpad, params + L->w_off, sizeof(float) * L->n_params);
    xpad += cp_poff(L);
    convpool_pad(L, in, cs, bs, B, xpad);
#if NN_X86
    if (use_avx512_bmi2()) {
        convpool_fwd_avx512(L, P, params, xpad, B, wmask, out);
        return;
    }
#endif
    convpool_fwd_plain(L, P, params, xpad, B, wmask, out);
}

/*
 * Backward of the fused conv, ReLU and maxpool: dout is the gradient of the
 * pool's output; writes the conv's dW and db (overwriting). No input gradient.
 */
void nn_convpool_backward(const nn_layer *L, const nn_layer *P, const float *params, float *grads,
                          const float *dout, int B, const float *xpad, const uint16_t *wmask) {
    float *dW = grads + L->w_off, *db = grads + L->b_off;
    xpad += cp_poff(L);
#if NN_X86
    if (use_avx512_bmi2()) {
        convpool_bwd_avx512(L, P, dout, B, xpad, wmask, dW, db);
        return;
    }
#endif
    convpool_bwd_plain(L, P, dout, B, xpad, wmask, dW, db);
}

#if NN_X86
__attribute__((target("avx512f"))) static void relu_bwd_avx512(const float *y, const float *g,
                                                                size_t n, float *d) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(y + i),
                                                                       _mm512_setzero_ps(),
                                                                       _CMP_GT_OQ),
                                                    _mm512_loadu_ps(g + i)));
    for (; i < n; i++) d[i] = y[i] > 0.0f ? g[i] : 0.0f;
}
#endif

/* ReLU backward from its output y: din = dout where y > 0, else 0. Vectorised:
 * as a plain loop the compiler branches on every element (~3 ns each). */
void nn_relu_backward(const float *y, const float *dout, size_t n, float *din) {
#if NN_X86
    if (nn_use_avx512()) {
        relu_bwd_avx512(y, dout, n, din);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) din[i] = y[i] > 0.0f ? dout[i] : 0.0f;
}

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

#if NN_X86
/* The flatten transpose with AVX-512 moves: a plane is a few vectors (16
 * floats for the seed CNN), and a memcpy call per plane costs more than the
 * copy. to_flat: CB → [B][C·HW], else back. */
__attribute__((target("avx512f"))) static void flatten_avx512(const float *src, int C, int B,
                                                               size_t hw, int to_flat,
                                                               float *dst) {
    __mmask16 tail = (__mmask16)(hw % 16 ? (1u << (hw % 16)) - 1 : 0xffff);
    /* the destination is written in order (measured: the faster of the two orders) */
    int n0 = to_flat ? B : C, n1 = to_flat ? C : B;
    for (int i0 = 0; i0 < n0; i0++)
        for (int i1 = 0; i1 < n1; i1++) {
            int b = to_flat ? i0 : i1, c = to_flat ? i1 : i0;
            size_t cb = ((size_t)c * B + b) * hw, fl = (size_t)b * C * hw + c * hw;
            const float *s = src + (to_flat ? cb : fl);
            float *d = dst + (to_flat ? fl : cb);
            for (size_t j = 0; j < hw; j += 16) {
                __mmask16 m = j + 16 <= hw ? 0xffff : tail;
                _mm512_mask_storeu_ps(d + j, m, _mm512_maskz_loadu_ps(m, s + j));
            }
        }
}
#endif

/* Flatten: CB layout [C][B][HW] → [B][C·HW] (channel-major features). */
void nn_flatten_forward(const nn_layer *L, const float *in, int B, float *out) {
    if (L->in_flat) {
        memcpy(out, in, sizeof(float) * (size_t)B * L->in_size);
        return;
    }
    int C = L->in_c;
    size_t hw = (size_t)L->in_h * L->in_w;
#if NN_X86
    if (nn_use_avx512()) {
        flatten_avx512(in, C, B, hw, 1, out);
        return;
    }
#endif
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++)
            memcpy(out + (size_t)b * C * hw + c * hw, in + ((size_t)c * B + b) * hw,
                   sizeof(float) * hw);
}

void nn_flatten_backward(const nn_layer *L, const float *dout, int B, float *din) {
    if (L->in_flat) {
        memcpy(din, dout, sizeof(float) * (size_t)B * L->in_size);
        return;
    }
    int C = L->in_c;
    size_t hw = (size_t)L->in_h * L->in_w;
#if NN_X86
    if (nn_use_avx512()) {
        flatten_avx512(dout, C, B, hw, 0, din);
        return;
    }
#endif
    for (int c = 0; c < C; c++)
        for (int b = 0; b < B; b++)
            memcpy(din + ((size_t)c * B + b) * hw, dout + (size_t)b * C * hw + c * hw,
                   sizeof(float) * hw);
}

/* Row-wise softmax of rows × n, stable (max subtracted). in may equal out. */
void nn_softmax_rows(const float *in, int rows, int n, float *out) {
    for (int r = 0; r < rows; r++) {
        const float *x = in + (size_t)r * n;
        float *y = out + (size_t)r * n;
        float mx = x[0];
        for (int j = 1; j < n; j++)
            if (x[j] > mx) mx = x[j];
        float s = 0.0f;
        for (int j = 0; j < n; j++) {
            y[j] = expf(x[j] - mx);
            s += y[j];
        }
        float inv = 1.0f / s;
        for (int j = 0; j < n; j++) y[j] *= inv;
    }
}

/* Softmax backward: din_j = y_j (dout_j − Σ_k dout_k y_k). */
void nn_softmax_backward(const float *y, const float *dout, int rows, int n, float *din) {
    for (int r = 0; r < rows; r++) {
        const float *yr = y + (size_t)r * n, *g = dout + (size_t)r * n;
        float *d = din + (size_t)r * n;
        float dot = 0.0f;
        for (int j = 0; j < n; j++) dot += g[j] * yr[j];
        for (int j = 0; j < n; j++) d[j] = yr[j] * (g[j] - dot);
    }
}
