/*
 * im2col and its adjoint col2im over a chunk of images: the data movement
 * that turns a convolution into one GEMM (conv.c), in plain C and, chosen at
 * run time, AVX-512 (or on CPUs without it AVX2) forms for the short rows of
 * small feature maps.
 */
#include "nn_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*
 * AVX2 forms (CPUs without AVX-512), rows up to 64 floats: each output row
 * of Wo floats is moved 8 at a time with masked loads (lanes outside the
 * image, [lo, hi), are never read and give zero); im2col stores whole
 * vectors, rows being written in address order so that a vector's lanes
 * past its row are overwritten by the rows after it (masked stores are
 * slow on AMD: this was 11 % of bench/cnn against 7.6 % for the plain loop),
 * except at the end of col. col2im adds with the same masks, in the plain
 * form's order. Both give the plain forms' results exactly.
 */
#define NN_AVX2 __attribute__((target("avx2,fma")))

/* all-ones in lanes l with lo <= l + o < hi, o the row offset of this vector */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256i
range_lanes(int o, int lo, int hi) {
    __m256i l = _mm256_add_epi32(_mm256_set1_epi32(o), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), l),
                               _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), l));
}

NN_AVX2 static void im2col_avx2(const float *in, size_t cs, size_t bs, int C, int H, int W, int B,
                                int k, int pad, int Ho, int Wo, float *col) {
    size_t N = (size_t)B * Ho * Wo;
    int nv = (Wo + 7) / 8;
    const __m256 zero = _mm256_setzero_ps();
    const float *col_end = col + (size_t)C * k * k * N;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * N;
                int x0 = kx - pad;
                int lo = x0 < 0 ? -x0 : 0, hi = W - x0 < Wo ? W - x0 : Wo;
                __m256i in_m[8], out_m[8]; /* rows up to 64 wide here; wider: plain */
                for (int v = 0; v < nv; v++) {
                    in_m[v] = range_lanes(8 * v, lo, hi);
                    out_m[v] = range_lanes(8 * v, 0, Wo);
                }
                for (int b = 0; b < B; b++) {
                    const float *src = in + c * cs + b * bs;
                    float *dst = row + (size_t)b * Ho * Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        float *d = dst + (size_t)oy * Wo;
                        int inside = y >= 0 && y < H;
                        const float *s = inside ? src + (ptrdiff_t)y * W + x0 : src;
                        for (int v = 0; v < nv; v++) {
                            __m256 val = inside ? _mm256_maskload_ps(s + 8 * v, in_m[v]) : zero;
                            if (d + 8 * v + 8 <= col_end) _mm256_storeu_ps(d + 8 * v, val);
                            else _mm256_maskstore_ps(d + 8 * v, out_m[v], val);
                        }
                    }
                }
            }
}

NN_AVX2 static void col2im_avx2(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B,
                                int k, int pad, int Ho, int Wo, float *din) {
    size_t N = (size_t)B * Ho * Wo;
    int nv = (Wo + 7) / 8;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = dcol + ((size_t)(c * k + ky) * k + kx) * N;
                int x0 = kx - pad;
                int lo = x0 < 0 ? -x0 : 0, hi = W - x0 < Wo ? W - x0 : Wo;
                __m256i in_m[8];
                for (int v = 0; v < nv; v++) in_m[v] = range_lanes(8 * v, lo, hi);
                for (int b = 0; b < B; b++) {
                    float *dst = din + c * cs + b * bs;
                    const float *src = row + (size_t)b * Ho * Wo;
                    for (int oy = 0; oy < Ho; oy++) {
                        int y = oy + ky - pad;
                        if (y < 0 || y >= H) continue;
                        float *d = dst + (ptrdiff_t)y * W + x0;
                        const float *s = src + (size_t)oy * Wo;
                        for (int v = 0; v < nv; v++) {
                            __m256 sum = _mm256_add_ps(_mm256_maskload_ps(d + 8 * v, in_m[v]),
                                                       _mm256_maskload_ps(s + 8 * v, in_m[v]));
                            _mm256_maskstore_ps(d + 8 * v, in_m[v], sum);
                        }
                    }
                }
            }
}
#else
#define NN_X86 0
#endif

/* col (Cin·k·k rows of B·Ho·Wo) = im2col of B images (strides cs/bs), fastest form that applies. */
void nn_im2col(const float *in, size_t cs, size_t bs, int C, int H, int W, int B, int k,
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
    if (nn_use_avx2() && Wo <= 64) {
        im2col_avx2(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col);
        return;
    }
#endif
    im2col_plain(in, cs, bs, C, H, W, B, k, pad, Ho, Wo, col);
}

/* din (B images of C planes, strides cs/bs) = the adjoint of im2col applied to dcol (overwritten). */
void nn_col2im(const float *dcol, size_t cs, size_t bs, int C, int H, int W, int B, int k,
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
    if (nn_use_avx2() && Wo <= 64) {
        col2im_avx2(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din);
        return;
    }
#endif
    col2im_plain(dcol, cs, bs, C, H, W, B, k, pad, Ho, Wo, din);
}
