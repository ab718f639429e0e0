/*
 * Winograd F(2×2, 3×3) convolution for 3×3 conv layers (internal to nn).
 *
 * Why: the seed CNN's conv2 and conv3 are ~85 % of its training FLOPs, and
 * the direct (im2col + GEMM) form already runs near the core's FMA peak, so
 * the remaining saving is arithmetic. F(2×2, 3×3) computes each 2×2 output
 * tile from a 4×4 input tile with 16 multiplications per (in, out) channel
 * pair instead of 36: 2.25× fewer FLOPs in the forward pass, and — by the
 * adjoint of the same transforms — in both backward products.
 *
 * Per tile, with d the 4×4 input tile, g the 3×3 kernel:
 *   U = G g Gᵀ, V = Bᵀ d B (4×4 each), Y = Aᵀ [Σ_ci U_ci ⊙ V_ci] A (2×2).
 * Summing over input channels is, for each of the 16 positions ξ of the 4×4,
 * a matrix product: M[ξ][co][t] = Σ_ci U[ξ][co][ci] · V[ξ][ci][t] over the
 * tiles t of a chunk of images — done with nn_sgemm (our AVX-512 kernels or
 * OpenBLAS). Backward, given dY per tile: M' = A dY Aᵀ, then
 *   dU[ξ] += M'[ξ] · V[ξ]ᵀ (→ dW = Gᵀ dU G after the last chunk),
 *   Z[ξ]   = U[ξ]ᵀ · M'[ξ],  din tile += B Z Bᵀ (tiles overlap by 2: added).
 * These are exactly the adjoints of the forward transforms, so the gradients
 * are those of the computed function. The transform matrices hold only 0,
 * ±1 and ±½, so float32 rounding stays at the level of the direct form.
 *
 * Tiles: 2×2 output tiles over Ho×Wo (an odd size leaves a half tile whose
 * extra outputs are dropped); input tile origin (2·ty − pad, 2·tx − pad),
 * zero outside the image. Tile t of a chunk = (b·TH + ty)·TW + tx.
 *
 * This file also chooses each 3×3 layer's algorithm (nn_wino_applies) and
 * hands layers on F(4×4, 3×3) to winograd4.c. On outputs under 8 wide (fewer
 * than 4 tiles a row) its transforms are winograd4.c's lane = tile ones
 * (nn_wino2_*_tiles) rather than the tile-column ones below, and with the
 * AVX-512 kernels the weight transforms are vectorised there too.
 * Scratch (in the model's col/dcol buffers, sized by nn_wino_scratch):
 *   col:  V[16][Cin][T] | M[16][Cout][T] | U[16][Cout][Cin]
 *   dcol: dU[16][Cout][Cin]   (backward only)
 * each with its 16 planes `xstride` apart (a little more than a plane).
 */
#include "nn_internal.h"
#include "gemm.h"

#include <string.h>

int nn_winograd = -1;

/*
 * How layer L is computed (decided at model creation): 0 direct (im2col +
 * GEMM), 2 Winograd F(2×2,3×3) (this file), 4 Winograd F(4×4,3×3)
 * (winograd4.c).
 */
int nn_wino_applies(const nn_layer *L) {
    if (L->kind != OL_LAYER_CONV || L->k != 3 || nn_winograd == 0) return 0;
    if (nn_winograd == 1) return 2;
    if (nn_winograd == 2) return 4;
    /* Only with the AVX-512 kernels: on the portable path (OpenBLAS, scalar
     * transforms) F(2,3) measured no faster (train +3 %, forward −6 %). With
     * few input channels the products are too thin to pay for the transforms. */
    /*
     * AVX2+FMA (no AVX-512): F(4×4,3×3) with winograd4.c's AVX2 transforms where
     * the output is at least 8×8 (conv2). Narrower outputs stay direct: F(2,3)
     * with the AVX2 lane = tile transforms (nn_wino2_*_tiles_avx2, taken when
     * nn_winograd = 1) on conv3 measured faster (bench/cnn CPU-time rates +3 to
     * +20 % on a loaded machine) but its different rounding of conv3's input
     * gradient moved conv2's F(4,3) weight gradient from 0.70 to 1.15 of the
     * PyTorch parity tolerance (tests/nn/test_parity.c), so it is not chosen.
     */
    if (nn_use_avx2()) return L->in_c >= 4 && L->out_w >= 8 && L->out_h >= 8 ? 4 : 0;
    if (!nn_use_avx512() || L->in_c < 4) return 0;
    if (!nn_wino4_fast()) return L->out_w >= 8 ? 2 : 0;
    /*
     * Seed CNN, batch 32, µs per train_batch / forward (min of 300
     * interleaved runs, one core of this AMD EPYC):
     *   conv2 (12×12 output) F(2,3) → F(4,3): 5383 → 4556 / 1464 → 1084.
     * conv3 (4×4 output, 6×6 input: one F(4,3) tile per image), alone:
     *   direct 741 / 281, F(2,3) with lane = tile transforms 505 / 175,
     *   F(4,3) 473 / 159 (F(4,3) forward, direct backward: 624 / 158).
     * F(4,3)'s gradients are less accurate (transform entries up to 8 and
     * down to 1/24: ~1e-6 of a tensor's max against ~1e-7 for F(2,3)); on
     * conv3 its input gradient put conv1's weight gradient 1.07× over the
     * PyTorch parity tolerance (tests/nn/test_parity.c), while conv2's stay
     * inside it. So: F(4,3) where the output is at least 8×8 (several tiles
     * per image), F(2,3) by tile on narrower outputs down to 4 wide.
     */
    if (L->out_w >= 8 && L->out_h >= 8) return 4;
    if (L->out_w >= 4 && L->out_h >= 4) return 2;
    return 0;
}

/*
 * Floats between consecutive ξ planes of V, M, U: the plane rounded up to 4 KB
 * plus one cache line. The transforms touch all 16 planes at once; with
 * plane sizes that are multiples of 4 KB (common: 64·144 floats) the 16
 * streams would all map to one L1 set and thrash it.
 */
size_t nn_wino_xstride(size_t plane) { return (plane + 1023) / 1024 * 1024 + 16; }

/*
 * The two backward products of one chunk, plane by plane over the n_planes
 * transform positions (16 for F(2×2), 36 for F(4×4)):
 *   dU[ξ] (+)= M'[ξ] · V[ξ]ᵀ   (accumulated after the first chunk),
 *   Z[ξ]    = U[ξ]ᵀ · M'[ξ]    (only when want_z; written over V, no longer needed).
 * Returns Z (= V), whose input-transform adjoint is the chunk's input gradient.
 */
float *nn_wino_backward_products(const nn_layer *L, int n_planes, int T, const float *Mg, size_t sm,
                                 float *V, size_t sv, const float *U, size_t su, float *dU, int accumulate,
                                 int want_z) {
    int Ci = L->in_c, Co = L->out_c;
    for (int x = 0; x < n_planes; x++)
        nn_sgemm(0, 1, Co, Ci, T, Mg + x * sm, T, V + x * sv, T, accumulate ? 1.0f : 0.0f, dU + x * su, Ci);
    if (!want_z) return V;
    for (int x = 0; x < n_planes; x++)
        nn_sgemm(1, 0, Ci, T, Co, U + x * su, Ci, Mg + x * sm, T, 0.0f, V + x * sv, T);
    return V;
}

/* Zero the input gradient of nb images (channel stride cs, image stride bs): the adjoint adds into it. */
void nn_wino_zero_din(const nn_layer *L, float *dchunk, size_t cs, size_t bs, int nb) {
    for (int c = 0; c < L->in_c; c++)
        for (int b = 0; b < nb; b++) memset(dchunk + c * cs + b * bs, 0, sizeof(float) * L->in_h * L->in_w);
}

static int tiles_h(const nn_layer *L) { return (L->out_h + 1) / 2; }
static int tiles_w(const nn_layer *L) { return (L->out_w + 1) / 2; }

/* Images per chunk: V and M of a chunk (16·(Cin+Cout) floats per tile) near 1 MB. */
int nn_wino_chunk(const nn_layer *L, int max_batch) {
    if (L->wino == 4) return nn_wino4_chunk(L, max_batch);
    size_t per_image = (size_t)16 * (L->in_c + L->out_c) * tiles_h(L) * tiles_w(L);
    size_t chunk = (256 * 1024) / per_image;
    if (chunk < 1) chunk = 1;
    if (chunk > (size_t)max_batch) chunk = (size_t)max_batch;
    return (int)chunk;
}

/* Floats of scratch each of col and dcol needs for this layer at L->chunk images. */
size_t nn_wino_scratch(const nn_layer *L) {
    if (L->wino == 4) return nn_wino4_scratch(L);
    size_t T = (size_t)L->chunk * tiles_h(L) * tiles_w(L);
    return 16 * (nn_wino_xstride((size_t)L->in_c * T) + nn_wino_xstride((size_t)L->out_c * T) +
                 nn_wino_xstride((size_t)L->out_c * L->in_c));
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define WINO_X86 1
/*
 * AVX-512 forms of the four tile transforms, for tile rows of at most 14
 * tiles (inputs and outputs up to 28–30 wide; narrower than 4 tiles, the
 * lane = tile forms of winograd4.c are used instead): one row of tiles at a time,
 * lane = tile column tx, so each of the 16 planes gets TW contiguous floats
 * per store. Image rows are held as 32 lanes (two vectors), lane l = x + pad;
 * the stride-2 tile columns are picked out with two-source permutes.
 */
#define WAVX __attribute__((target("avx512f")))
#define WINO_MAX_TW 14

typedef struct {
    __m512i pick[4];  /* pick[j][k] = 2k + j: column j of tile k from a 32-lane row */
    __m512i il_lo, il_hi; /* interleave two tile-lane vectors into row lanes 0..15, 16..31 */
    __m512i up1;      /* lane k ← lane k − 1 (lane 0 masked off by the caller) */
} wino_idx;

WAVX static void wino_idx_init(wino_idx *ix) {
    int32_t a[16];
    for (int j = 0; j < 4; j++) {
        for (int k = 0; k < 16; k++) a[k] = (2 * k + j) & 31;
        ix->pick[j] = _mm512_loadu_si512(a);
    }
    for (int k = 0; k < 16; k++) a[k] = (k & 1 ? 16 : 0) + k / 2;
    ix->il_lo = _mm512_loadu_si512(a);
    for (int k = 0; k < 16; k++) a[k] = (k & 1 ? 16 : 0) + 8 + k / 2;
    ix->il_hi = _mm512_loadu_si512(a);
    for (int k = 0; k < 16; k++) a[k] = k ? k - 1 : 0;
    ix->up1 = _mm512_loadu_si512(a);
}

/* lanes [0,32) of image row y as lo/hi, lane l = x + pad, zero outside the image */
WAVX static inline void load_row(const float *src, int y, int H, int W, int pad, __m512 *lo,
                                 __m512 *hi) {
    if (y < 0 || y >= H) {
        *lo = *hi = _mm512_setzero_ps();
        return;
    }
    /* valid lanes: pad <= l < pad + W */
    uint32_t m = (uint32_t)(((1ull << (pad + W)) - 1) & ~((1ull << pad) - 1));
    const float *r = src + (ptrdiff_t)y * W - pad;
    *lo = _mm512_maskz_loadu_ps((__mmask16)m, r);
    *hi = _mm512_maskz_loadu_ps((__mmask16)(m >> 16), r + 16);
}

WAVX static void input_transform_avx512(const nn_layer *L, const float *in, size_t cs, size_t bs,
                                        int nb, float *V, size_t plane, size_t T) {
    int C = L->in_c, H = L->in_h, W = L->in_w, pad = L->pad, TH = tiles_h(L), TW = tiles_w(L);
    wino_idx ix;
    wino_idx_init(&ix);
    __mmask16 tm = (__mmask16)((1u << TW) - 1);
    for (int c = 0; c < C; c++)
        for (int b = 0; b < nb; b++) {
            const float *src = in + c * cs + b * bs;
            float *v = V + (size_t)c * T + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++) {
                int y0 = 2 * ty - pad;
                __m512 dl[4], dh[4];
                for (int i = 0; i < 4; i++) load_row(src, y0 + i, H, W, pad, &dl[i], &dh[i]);
                __m512 el[4], eh[4]; /* Bᵀ d over rows */
                el[0] = _mm512_sub_ps(dl[0], dl[2]); eh[0] = _mm512_sub_ps(dh[0], dh[2]);
                el[1] = _mm512_add_ps(dl[1], dl[2]); eh[1] = _mm512_add_ps(dh[1], dh[2]);
                el[2] = _mm512_sub_ps(dl[2], dl[1]); eh[2] = _mm512_sub_ps(dh[2], dh[1]);
                el[3] = _mm512_sub_ps(dl[1], dl[3]); eh[3] = _mm512_sub_ps(dh[1], dh[3]);
                float *o = v + ty * TW;
                for (int i = 0; i < 4; i++) {
                    __m512 p0 = _mm512_permutex2var_ps(el[i], ix.pick[0], eh[i]);
                    __m512 p1 = _mm512_permutex2var_ps(el[i], ix.pick[1], eh[i]);
                    __m512 p2 = _mm512_permutex2var_ps(el[i], ix.pick[2], eh[i]);
                    __m512 p3 = _mm512_permutex2var_ps(el[i], ix.pick[3], eh[i]);
                    _mm512_mask_storeu_ps(o + (i * 4 + 0) * plane, tm, _mm512_sub_ps(p0, p2));
                    _mm512_mask_storeu_ps(o + (i * 4 + 1) * plane, tm, _mm512_add_ps(p1, p2));
                    _mm512_mask_storeu_ps(o + (i * 4 + 2) * plane, tm, _mm512_sub_ps(p2, p1));
                    _mm512_mask_storeu_ps(o + (i * 4 + 3) * plane, tm, _mm512_sub_ps(p1, p3));
                }
            }
        }
}

WAVX static void output_transform_avx512(const nn_layer *L, const float *M, const float *bias,
                                         int nb, float *out, size_t ocs, size_t plane, size_t T) {
    int Co = L->out_c, Ho = L->out_h, Wo = L->out_w, TH = tiles_h(L), TW = tiles_w(L);
    wino_idx ix;
    wino_idx_init(&ix);
    __mmask16 tm = (__mmask16)((1u << TW) - 1);
    uint32_t om = (uint32_t)((1ull << Wo) - 1);
    int relu = L->fuse_relu;
    for (int co = 0; co < Co; co++)
        for (int b = 0; b < nb; b++) {
            const float *mrow = M + (size_t)co * T + (size_t)b * TH * TW;
            float *dst = out + co * ocs + (size_t)b * Ho * Wo;
            __m512 bv = _mm512_set1_ps(bias[co]), zero = _mm512_setzero_ps();
            for (int ty = 0; ty < TH; ty++) {
                const float *mm = mrow + ty * TW;
                __m512 m[16];
                for (int x = 0; x < 16; x++) m[x] = _mm512_maskz_loadu_ps(tm, mm + x * plane);
                for (int i = 0; i < 2; i++) {
                    int y = 2 * ty + i;
                    if (y >= Ho) break;
                    __m512 r[4]; /* row i of Aᵀ M */
                    for (int j = 0; j < 4; j++)
                        r[j] = i == 0 ? _mm512_add_ps(_mm512_add_ps(m[j], m[4 + j]), m[8 + j])
                                      : _mm512_sub_ps(_mm512_sub_ps(m[4 + j], m[8 + j]), m[12 + j]);
                    __m512 y0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(r[0], r[1]), r[2]), bv);
                    __m512 y1 = _mm512_add_ps(_mm512_sub_ps(_mm512_sub_ps(r[1], r[2]), r[3]), bv);
                    if (relu) {
                        y0 = _mm512_max_ps(y0, zero);
                        y1 = _mm512_max_ps(y1, zero);
                    }
                    float *row = dst + (size_t)y * Wo;
                    _mm512_mask_storeu_ps(row, (__mmask16)om, _mm512_permutex2var_ps(y0, ix.il_lo, y1));
                    _mm512_mask_storeu_ps(row + 16, (__mmask16)(om >> 16),
                                          _mm512_permutex2var_ps(y0, ix.il_hi, y1));
                }
            }
        }
}

WAVX static void output_transform_adjoint_avx512(const nn_layer *L, const float *dout, size_t ocs,
                                                 int nb, float *Mg, size_t plane, size_t T) {
    int Co = L->out_c, Ho = L->out_h, Wo = L->out_w, TH = tiles_h(L), TW = tiles_w(L);
    wino_idx ix;
    wino_idx_init(&ix);
    __mmask16 tm = (__mmask16)((1u << TW) - 1);
    uint32_t om = (uint32_t)((1ull << Wo) - 1);
    for (int co = 0; co < Co; co++)
        for (int b = 0; b < nb; b++) {
            const float *src = dout + co * ocs + (size_t)b * Ho * Wo;
            float *mrow = Mg + (size_t)co * T + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++) {
                __m512 g[2][2];
                for (int i = 0; i < 2; i++) {
                    int y = 2 * ty + i;
                    __m512 lo = _mm512_setzero_ps(), hi = lo;
                    if (y < Ho) {
                        lo = _mm512_maskz_loadu_ps((__mmask16)om, src + (size_t)y * Wo);
                        hi = _mm512_maskz_loadu_ps((__mmask16)(om >> 16), src + (size_t)y * Wo + 16);
                    }
                    g[i][0] = _mm512_permutex2var_ps(lo, ix.pick[0], hi);
                    g[i][1] = _mm512_permutex2var_ps(lo, ix.pick[1], hi);
                }
                __m512 r[4][2];
                for (int j = 0; j < 2; j++) {
                    r[0][j] = g[0][j];
                    r[1][j] = _mm512_add_ps(g[0][j], g[1][j]);
                    r[2][j] = _mm512_sub_ps(g[0][j], g[1][j]);
                    r[3][j] = _mm512_sub_ps(_mm512_setzero_ps(), g[1][j]);
                }
                float *o = mrow + ty * TW;
                for (int i = 0; i < 4; i++) {
                    _mm512_mask_storeu_ps(o + (i * 4 + 0) * plane, tm, r[i][0]);
                    _mm512_mask_storeu_ps(o + (i * 4 + 1) * plane, tm, _mm512_add_ps(r[i][0], r[i][1]));
                    _mm512_mask_storeu_ps(o + (i * 4 + 2) * plane, tm, _mm512_sub_ps(r[i][0], r[i][1]));
                    _mm512_mask_storeu_ps(o + (i * 4 + 3) * plane, tm,
                                          _mm512_sub_ps(_mm512_setzero_ps(), r[i][1]));
                }
            }
        }
}

/* din rows += B Z Bᵀ of a row of tiles; din (the chunk's images) must be zeroed */
WAVX static void input_transform_adjoint_avx512(const nn_layer *L, const float *Z, int nb,
                                                float *din, size_t cs, size_t bs, size_t plane,
                                                size_t T) {
    int C = L->in_c, H = L->in_h, W = L->in_w, pad = L->pad, TH = tiles_h(L), TW = tiles_w(L);
    wino_idx ix;
    wino_idx_init(&ix);
    __mmask16 tm = (__mmask16)((1u << TW) - 1);
    uint32_t vm = (uint32_t)(((1ull << (pad + W)) - 1) & ~((1ull << pad) - 1));
    for (int c = 0; c < C; c++)
        for (int b = 0; b < nb; b++) {
            float *dst = din + c * cs + b * bs;
            const float *zrow = Z + (size_t)c * T + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++) {
                const float *zz = zrow + ty * TW;
                __m512 e[4][4];
                for (int i = 0; i < 4; i++) {
                    __m512 z0 = _mm512_maskz_loadu_ps(tm, zz + (i * 4 + 0) * plane);
                    __m512 z1 = _mm512_maskz_loadu_ps(tm, zz + (i * 4 + 1) * plane);
                    __m512 z2 = _mm512_maskz_loadu_ps(tm, zz + (i * 4 + 2) * plane);
                    __m512 z3 = _mm512_maskz_loadu_ps(tm, zz + (i * 4 + 3) * plane);
                    e[i][0] = z0;
                    e[i][1] = _mm512_add_ps(_mm512_sub_ps(z1, z2), z3);
                    e[i][2] = _mm512_add_ps(_mm512_sub_ps(z1, z0), z2);
                    e[i][3] = _mm512_sub_ps(_mm512_setzero_ps(), z3);
                }
                int y0 = 2 * ty - pad;
                for (int i = 0; i < 4; i++) {
                    int y = y0 + i;
                    if (y < 0 || y >= H) continue;
                    __m512 d[4];
                    for (int j = 0; j < 4; j++)
                        d[j] = i == 0 ? e[0][j]
                             : i == 1 ? _mm512_add_ps(_mm512_sub_ps(e[1][j], e[2][j]), e[3][j])
                             : i == 2 ? _mm512_add_ps(_mm512_sub_ps(e[1][j], e[0][j]), e[2][j])
                                      : _mm512_sub_ps(_mm512_setzero_ps(), e[3][j]);
                    /* row lane 2k: d0[k] + d2[k−1]; lane 2k+1: d1[k] + d3[k−1] */
                    __m512 ev = _mm512_add_ps(d[0], _mm512_maskz_permutexvar_ps(0xfffe, ix.up1, d[2]));
                    __m512 od = _mm512_add_ps(d[1], _mm512_maskz_permutexvar_ps(0xfffe, ix.up1, d[3]));
                    float *r = dst + (ptrdiff_t)y * W - pad;
                    __mmask16 m0 = (__mmask16)vm, m1 = (__mmask16)(vm >> 16);
                    _mm512_mask_storeu_ps(r, m0, _mm512_add_ps(_mm512_maskz_loadu_ps(m0, r),
                                                               _mm512_permutex2var_ps(ev, ix.il_lo, od)));
                    _mm512_mask_storeu_ps(r + 16, m1, _mm512_add_ps(_mm512_maskz_loadu_ps(m1, r + 16),
                                                                    _mm512_permutex2var_ps(ev, ix.il_hi, od)));
                }
            }
        }
}
#else
#define WINO_X86 0
#endif

#if WINO_X86
/* The AVX-512 transforms apply: CPU and switch allow, tile rows fit in a vector. */
static int wino_avx512(const nn_layer *L) {
    return nn_use_avx512() && tiles_w(L) <= WINO_MAX_TW && L->pad <= 2;
}
#endif

/* U[ξ][co][ci] = (G g Gᵀ)[ξ] for every kernel g = W[co][ci] (3×3). */
static void weight_transform(const float *Wt, int Cout, int Cin, float *U) {
    size_t plane = nn_wino_xstride((size_t)Cout * Cin);
#if WINO_X86
    if (nn_wino2_weight_by_tile()) {
        nn_wino2_weight_tiles(Wt, Cout, Cin, U, plane);
        return;
    }
#endif
    for (int co = 0; co < Cout; co++)
        for (int ci = 0; ci < Cin; ci++) {
            const float *g = Wt + ((size_t)co * Cin + ci) * 9;
            float t[4][3]; /* G g: rows of G are (1,0,0) (½,½,½) (½,−½,½) (0,0,1) */
            for (int j = 0; j < 3; j++) {
                float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                t[0][j] = g0;
                t[1][j] = 0.5f * (g0 + g1 + g2);
                t[2][j] = 0.5f * (g0 - g1 + g2);
                t[3][j] = g2;
            }
            float *u = U + (size_t)co * Cin + ci;
            for (int i = 0; i < 4; i++) {
                float a = t[i][0], b = t[i][1], c = t[i][2];
                u[(i * 4 + 0) * plane] = a;
                u[(i * 4 + 1) * plane] = 0.5f * (a + b + c);
                u[(i * 4 + 2) * plane] = 0.5f * (a - b + c);
                u[(i * 4 + 3) * plane] = c;
            }
        }
}

/* dW[co][ci] = Gᵀ dU G (4×4 → 3×3), the adjoint of weight_transform. */
static void weight_transform_adjoint(const float *dU, int Cout, int Cin, float *dW) {
    size_t plane = nn_wino_xstride((size_t)Cout * Cin);
#if WINO_X86
    if (nn_wino2_weight_by_tile()) {
        nn_wino2_weight_adjoint_tiles(dU, Cout, Cin, dW, plane);
        return;
    }
#endif
    for (int co = 0; co < Cout; co++)
        for (int ci = 0; ci < Cin; ci++) {
            const float *u = dU + (size_t)co * Cin + ci;
            float t[4][3]; /* rows: dU · G, G's columns (1,½,½,0) (0,½,−½,0) (0,½,½,1) */
            for (int i = 0; i < 4; i++) {
                float a = u[(i * 4 + 0) * plane], b = u[(i * 4 + 1) * plane],
                      c = u[(i * 4 + 2) * plane], d = u[(i * 4 + 3) * plane];
                t[i][0] = a + 0.5f * (b + c);
                t[i][1] = 0.5f * (b - c);
                t[i][2] = 0.5f * (b + c) + d;
            }
            float *g = dW + ((size_t)co * Cin + ci) * 9;
            for (int j = 0; j < 3; j++) {
                float a = t[0][j], b = t[1][j], c = t[2][j], d = t[3][j];
                g[j] = a + 0.5f * (b + c);
                g[3 + j] = 0.5f * (b - c);
                g[6 + j] = 0.5f * (b + c) + d;
            }
        }
}

/*
 * V[ξ][c][t] = (Bᵀ d B)[ξ] for the nb images of a chunk; Bᵀ's rows are
 * (1,0,−1,0) (0,1,1,0) (0,−1,1,0) (0,1,0,−1). in: C planes of H×W per image,
 * strides cs (channel) and bs (image).
 */
static void input_transform(const nn_layer *L, const float *in, size_t cs, size_t bs, int nb,
                            float *V) {
    int C = L->in_c, H = L->in_h, W = L->in_w, pad = L->pad, TH = tiles_h(L), TW = tiles_w(L);
    size_t T = (size_t)nb * TH * TW, plane = nn_wino_xstride((size_t)C * T);
#if WINO_X86
    if (nn_wino2_by_tile(L, (int)T)) {
        nn_wino2_input_tiles(L, in, cs, bs, V, plane, (int)T);
        return;
    }
    if (nn_wino2_by_tile_avx2(L, (int)T)) {
        nn_wino2_input_tiles_avx2(L, in, cs, bs, V, plane, (int)T);
        return;
    }
    if (wino_avx512(L)) {
        input_transform_avx512(L, in, cs, bs, nb, V, plane, T);
        return;
    }
#endif
    for (int c = 0; c < C; c++)
        for (int b = 0; b < nb; b++) {
            const float *src = in + c * cs + b * bs;
            float *v = V + (size_t)c * T + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx++) {
                    int y0 = 2 * ty - pad, x0 = 2 * tx - pad;
                    float d[4][4];
                    if (y0 >= 0 && x0 >= 0 && y0 + 4 <= H && x0 + 4 <= W) {
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) d[i][j] = src[(y0 + i) * W + x0 + j];
                    } else {
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) {
                                int y = y0 + i, x = x0 + j;
                                d[i][j] = y >= 0 && y < H && x >= 0 && x < W ? src[y * W + x] : 0.0f;
                            }
                    }
                    float e[4][4];
                    for (int j = 0; j < 4; j++) {
                        e[0][j] = d[0][j] - d[2][j];
                        e[1][j] = d[1][j] + d[2][j];
                        e[2][j] = d[2][j] - d[1][j];
                        e[3][j] = d[1][j] - d[3][j];
                    }
                    float *o = v + ty * TW + tx;
                    for (int i = 0; i < 4; i++) {
                        o[(i * 4 + 0) * plane] = e[i][0] - e[i][2];
                        o[(i * 4 + 1) * plane] = e[i][1] + e[i][2];
                        o[(i * 4 + 2) * plane] = e[i][2] - e[i][1];
                        o[(i * 4 + 3) * plane] = e[i][1] - e[i][3];
                    }
                }
        }
}

/*
 * out[co][b][y][x] = (Aᵀ M A) + bias, ReLU when fused; Aᵀ's rows are
 * (1,1,1,0) (0,1,−1,−1). out: Cout planes of Ho×Wo per image, channel
 * stride ocs, image stride Ho·Wo.
 */
static void output_transform(const nn_layer *L, const float *M, const float *bias, int nb,
                             float *out, size_t ocs) {
    int Co = L->out_c, Ho = L->out_h, Wo = L->out_w, TH = tiles_h(L), TW = tiles_w(L);
    size_t T = (size_t)nb * TH * TW, plane = nn_wino_xstride((size_t)Co * T);
#if WINO_X86
    if (nn_wino2_by_tile(L, (int)T)) {
        nn_wino2_output_tiles(L, M, bias, out, ocs, plane, (int)T);
        return;
    }
    if (nn_wino2_by_tile_avx2(L, (int)T)) {
        nn_wino2_output_tiles_avx2(L, M, bias, out, ocs, plane, (int)T);
        return;
    }
    if (wino_avx512(L)) {
        output_transform_avx512(L, M, bias, nb, out, ocs, plane, T);
        return;
    }
#endif
    int relu = L->fuse_relu;
    for (int co = 0; co < Co; co++)
        for (int b = 0; b < nb; b++) {
            const float *mrow = M + (size_t)co * T + (size_t)b * TH * TW;
            float *dst = out + co * ocs + (size_t)b * Ho * Wo;
            float bv = bias[co];
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx++) {
                    const float *mm = mrow + ty * TW + tx;
                    float m[16];
                    for (int x = 0; x < 16; x++) m[x] = mm[x * plane];
                    float r[2][4]; /* Aᵀ M */
                    for (int j = 0; j < 4; j++) {
                        r[0][j] = m[j] + m[4 + j] + m[8 + j];
                        r[1][j] = m[4 + j] - m[8 + j] - m[12 + j];
                    }
                    for (int i = 0; i < 2; i++) {
                        int y = 2 * ty + i;
                        if (y >= Ho) break;
                        float y0 = r[i][0] + r[i][1] + r[i][2] + bv;
                        float y1 = r[i][1] - r[i][2] - r[i][3] + bv;
                        if (relu) {
                            y0 = y0 > 0.0f ? y0 : 0.0f;
                            y1 = y1 > 0.0f ? y1 : 0.0f;
                        }
                        float *row = dst + (size_t)y * Wo + 2 * tx;
                        row[0] = y0;
                        if (2 * tx + 1 < Wo) row[1] = y1;
                    }
                }
        }
}

/* M'[ξ][co][t] = (A dY Aᵀ)[ξ], the adjoint of output_transform (dY zero outside Ho×Wo). */
static void output_transform_adjoint(const nn_layer *L, const float *dout, size_t ocs, int nb,
                                     float *Mg) {
    int Co = L->out_c, Ho = L->out_h, Wo = L->out_w, TH = tiles_h(L), TW = tiles_w(L);
    size_t T = (size_t)nb * TH * TW, plane = nn_wino_xstride((size_t)Co * T);
#if WINO_X86
    if (nn_wino2_by_tile(L, (int)T)) {
        nn_wino2_output_adjoint_tiles(L, dout, ocs, Mg, plane, (int)T);
        return;
    }
    if (nn_wino2_by_tile_avx2(L, (int)T)) {
        nn_wino2_output_adjoint_tiles_avx2(L, dout, ocs, Mg, plane, (int)T);
        return;
    }
    if (wino_avx512(L)) {
        output_transform_adjoint_avx512(L, dout, ocs, nb, Mg, plane, T);
        return;
    }
#endif
    for (int co = 0; co < Co; co++)
        for (int b = 0; b < nb; b++) {
            const float *src = dout + co * ocs + (size_t)b * Ho * Wo;
            float *mrow = Mg + (size_t)co * T + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx++) {
                    float g[2][2];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) {
                            int y = 2 * ty + i, x = 2 * tx + j;
                            g[i][j] = y < Ho && x < Wo ? src[(size_t)y * Wo + x] : 0.0f;
                        }
                    /* A = Aᵀ transposed: column j of A·g·Aᵀ from (g0, g1) as (g0, g0+g1, g0−g1, −g1) */
                    float r[4][2];
                    for (int j = 0; j < 2; j++) {
                        r[0][j] = g[0][j];
                        r[1][j] = g[0][j] + g[1][j];
                        r[2][j] = g[0][j] - g[1][j];
                        r[3][j] = -g[1][j];
                    }
                    float *o = mrow + ty * TW + tx;
                    for (int i = 0; i < 4; i++) {
                        o[(i * 4 + 0) * plane] = r[i][0];
                        o[(i * 4 + 1) * plane] = r[i][0] + r[i][1];
                        o[(i * 4 + 2) * plane] = r[i][0] - r[i][1];
                        o[(i * 4 + 3) * plane] = -r[i][1];
                    }
                }
        }
}

/* din tile += B Z Bᵀ (adjoint of input_transform); din (chunk's images) must be zeroed. */
static void input_transform_adjoint(const nn_layer *L, const float *Z, int nb, float *din,
                                    size_t cs, size_t bs) {
    int C = L->in_c, H = L->in_h, W = L->in_w, pad = L->pad, TH = tiles_h(L), TW = tiles_w(L);
    size_t T = (size_t)nb * TH * TW, plane = nn_wino_xstride((size_t)C * T);
#if WINO_X86
    if (nn_wino2_by_tile(L, (int)T)) {
        nn_wino2_input_adjoint_tiles(L, Z, din, cs, bs, plane, (int)T);
        return;
    }
    if (nn_wino2_by_tile_avx2(L, (int)T)) {
        nn_wino2_input_adjoint_tiles_avx2(L, Z, din, cs, bs, plane, (int)T);
        return;
    }
    if (wino_avx512(L)) {
        input_transform_adjoint_avx512(L, Z, nb, din, cs, bs, plane, T);
        return;
    }
#endif
    for (int c = 0; c < C; c++)
        for (int b = 0; b < nb; b++) {
            float *dst = din + c * cs + b * bs;
            const float *zrow = Z + (size_t)c * T + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx++) {
                    const float *zz = zrow + ty * TW + tx;
                    float z[4][4];
                    for (int i = 0; i < 4; i++)
                        for (int j = 0; j < 4; j++) z[i][j] = zz[(i * 4 + j) * plane];
                    /* rows: z·Bᵀ... i.e. for each row, the adjoint of (e0−e2, e1+e2, e2−e1, e1−e3) */
                    float e[4][4];
                    for (int i = 0; i < 4; i++) {
                        e[i][0] = z[i][0];
                        e[i][1] = z[i][1] - z[i][2] + z[i][3];
                        e[i][2] = -z[i][0] + z[i][1] + z[i][2];
                        e[i][3] = -z[i][3];
                    }
                    float d[4][4];
                    for (int j = 0; j < 4; j++) {
                        d[0][j] = e[0][j];
                        d[1][j] = e[1][j] - e[2][j] + e[3][j];
                        d[2][j] = -e[0][j] + e[1][j] + e[2][j];
                        d[3][j] = -e[3][j];
                    }
                    int y0 = 2 * ty - pad, x0 = 2 * tx - pad;
                    for (int i = 0; i < 4; i++) {
                        int y = y0 + i;
                        if (y < 0 || y >= H) continue;
                        for (int j = 0; j < 4; j++) {
                            int x = x0 + j;
                            if (x >= 0 && x < W) dst[y * W + x] += d[i][j];
                        }
                    }
                }
        }
}

void nn_wino_forward(const nn_layer *L, const float *params, const float *in, size_t cs,
                     size_t bs, int B, float *out, float *scratch) {
    if (L->wino == 4) {
        nn_wino4_forward(L, params, in, cs, bs, B, out, scratch);
        return;
    }
    int Ci = L->in_c, Co = L->out_c, TT = tiles_h(L) * tiles_w(L);
    size_t Tmax = (size_t)L->chunk * TT;
    float *V = scratch, *M = V + 16 * nn_wino_xstride((size_t)Ci * Tmax);
    float *U = M + 16 * nn_wino_xstride((size_t)Co * Tmax);
    size_t su = nn_wino_xstride((size_t)Co * Ci);
    weight_transform(params + L->w_off, Co, Ci, U);
    size_t ocs = (size_t)B * L->out_h * L->out_w;
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk, T = nb * TT;
        input_transform(L, in + b0 * bs, cs, bs, nb, V);
        size_t sv = nn_wino_xstride((size_t)Ci * T), sm = nn_wino_xstride((size_t)Co * T);
        for (int x = 0; x < 16; x++)
            nn_sgemm(0, 0, Co, T, Ci, U + x * su, Ci, V + x * sv, T, 0.0f, M + x * sm, T);
        output_transform(L, M, params + L->b_off, nb, out + (size_t)b0 * L->out_h * L->out_w, ocs);
    }
}

void nn_wino_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                      size_t cs, size_t bs, const float *dout, int B, float *scratch,
                      float *scratch2, float *din) {
    if (L->wino == 4) {
        nn_wino4_backward(L, params, grads, in, cs, bs, dout, B, scratch, scratch2, din);
        return;
    }
    int Ci = L->in_c, Co = L->out_c, TT = tiles_h(L) * tiles_w(L);
    size_t Tmax = (size_t)L->chunk * TT;
    float *V = scratch, *Mg = V + 16 * nn_wino_xstride((size_t)Ci * Tmax);
    float *U = Mg + 16 * nn_wino_xstride((size_t)Co * Tmax);
    float *dU = scratch2;
    size_t su = nn_wino_xstride((size_t)Co * Ci);
    if (din) weight_transform(params + L->w_off, Co, Ci, U);
    size_t ocs = (size_t)B * L->out_h * L->out_w;
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk, T = nb * TT;
        input_transform(L, in + b0 * bs, cs, bs, nb, V);
        output_transform_adjoint(L, dout + (size_t)b0 * L->out_h * L->out_w, ocs, nb, Mg);
        size_t sv = nn_wino_xstride((size_t)Ci * T), sm = nn_wino_xstride((size_t)Co * T);
        float *Z = nn_wino_backward_products(L, 16, T, Mg, sm, V, sv, U, su, dU, b0 > 0, din != NULL);
        if (!din) continue;
        float *dchunk = din + b0 * bs;
        nn_wino_zero_din(L, dchunk, cs, bs, nb);
        input_transform_adjoint(L, Z, nb, dchunk, cs, bs);
    }
    weight_transform_adjoint(dU, Co, Ci, grads + L->w_off);
}
