/*
 * Winograd F(4×4, 3×3) convolution for 3×3 conv layers (internal to nn).
 *
 * Longer than the project's ~800-line rule on purpose: it is one kernel whose
 * forward and backward passes share the transforms, the tile geometry and the
 * 16-lane register layout below; split, each half would need the other's
 * static inline helpers and the AVX-512 transposes in a header.
 *
 * Why: F(2×2, 3×3) (winograd.c) cuts the multiplications of a 3×3 conv by
 * 2.25×; F(4×4, 3×3) cuts them by 4× (36 per 4×4 output tile and channel
 * pair instead of 144). The seed CNN's conv2 (12×12 output: 3×3 tiles) and
 * conv3 (4×4 output: one tile per image) both tile exactly.
 *
 * Per tile, with d the 6×6 input tile, g the 3×3 kernel (Lavin & Gray's
 * matrices, interpolation points 0, ±1, ±2, ∞):
 *   U = G g Gᵀ, V = Bᵀ d B (6×6 each), Y = Aᵀ [Σ_ci U_ci ⊙ V_ci] A (4×4),
 *   Bᵀ = | 4  0 −5  0  1  0 |   G = |  1/4    0     0  |   Aᵀ = | 1  1  1  1  1  0 |
 *        | 0 −4 −4  1  1  0 |       | −1/6 −1/6  −1/6 |        | 0  1 −1  2 −2  0 |
 *        | 0  4 −4 −1  1  0 |       | −1/6  1/6  −1/6 |        | 0  1  1  4  4  0 |
 *        | 0 −2 −1  2  1  0 |       | 1/24 1/12  1/6  |        | 0  1 −1  8 −8  1 |
 *        | 0  2 −1 −2  1  0 |       | 1/24 −1/12 1/6  |
 *        | 0  4  0 −5  0  1 |       |   0    0     1  |
 * The sum over input channels is, for each of the 36 positions ξ, a matrix
 * product M[ξ][co][t] = Σ_ci U[ξ][co][ci] · V[ξ][ci][t] over the tiles t of
 * a chunk of images, done with nn_sgemm. Backward, as in winograd.c, by the
 * adjoints of the same transforms: M' = A dY Aᵀ, dU[ξ] += M'[ξ]·V[ξ]ᵀ
 * (dW = Gᵀ dU G after the last chunk), Z[ξ] = U[ξ]ᵀ·M'[ξ], din += B Z Bᵀ
 * (tiles overlap by 2: added). So the gradients are exactly those of the
 * computed function; but the larger matrix entries (up to 8, down to 1/24)
 * cost float32 accuracy: ~10× F(2,3)'s rounding (~1e-6 of a tensor's max).
 * On the seed CNN's conv2 the gradients stay inside the PyTorch parity
 * tolerance (worst element at 0.76 of it), on conv3 they did not (1.07×):
 * see nn_wino_applies in winograd.c.
 *
 * Tiles: 4×4 output tiles over Ho×Wo, TH = ⌈Ho/4⌉ by TW = ⌈Wo/4⌉ (partial
 * tiles at the bottom/right: extra outputs dropped); input tile origin
 * (4·ty − pad, 4·tx − pad), zero outside the image. Tile t of a chunk =
 * (b·TH + ty)·TW + tx.
 *
 * Vectorisation: every transform works on 16 tiles at once, lane = tile
 * (tiles of a row, of several rows and of several images alike), so the
 * lanes stay full whatever the layer's width — F(2,3)'s lane = tile column
 * used 6 of 16 lanes on conv2 and could not serve conv3 at all. The 1D
 * transforms are written once on GCC vector types (v16) and shared by the
 * AVX-512 path (16×16 register transposes to bring tiles into and out of
 * the lanes) and the portable path (lanes filled and read one by one).
 *
 * Scratch (the model's col/dcol buffers, sized by nn_wino4_scratch):
 *   col:  V[36][Cin][T] | M[36][Cout][T] | U[36][Cout][Cin] | tile geometry
 *   dcol: dU[36][Cout][Cin]   (backward only)
 * each with its 36 planes nn_wino_xstride apart.
 *
 * Which layers use it is decided in winograd.c (nn_wino_applies): on the
 * seed CNN conv2 (12×12 output); conv3 (4×4) uses F(2,3) with this file's
 * lane = tile F(2,3) transforms (end of file), which keep F(2,3)'s accuracy.
 *
 * Why one file of ~1,100 lines: it is one kernel. The plain and AVX-512
 * forms of each transform share the v16 1D transforms, the 16×16 register
 * transposes and the tile-group tables defined here, and the lane = tile
 * F(2,3) transforms at the end reuse the transposes and the AVX-512
 * dispatch; split, these static inline pieces would move into a header
 * included by every part.
 */
#include "nn_internal.h"
#include "gemm.h"

#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
#define AI static inline __attribute__((always_inline))

static int th4(const nn_layer *L) { return (L->out_h + 3) / 4; }
static int tw4(const nn_layer *L) { return (L->out_w + 3) / 4; }

/* ---- the 1D transforms, on elements x[k·s]; used for columns (s = row
 * length) and rows (s = 1) of a tile. Written for v16 (16 tiles at once). ---- */

/* x ← Bᵀ x (6 → 6), in place */
AI void bt6(v16 *x, int s) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s], x4 = x[4 * s], x5 = x[5 * s];
    v16 a = x4 - 4.0f * x2, b = x3 - 4.0f * x1, c = x4 - x2, e = 2.0f * (x3 - x1);
    x[0] = 4.0f * x0 - 5.0f * x2 + x4;
    x[s] = a + b;
    x[2 * s] = a - b;
    x[3 * s] = c + e;
    x[4 * s] = c - e;
    x[5 * s] = 4.0f * x1 - 5.0f * x3 + x5;
}

/* x ← B x (6 → 6), the adjoint of bt6, in place */
AI void b6(v16 *x, int s) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s], x4 = x[4 * s], x5 = x[5 * s];
    v16 s12 = x1 + x2, d21 = x2 - x1, s34 = x3 + x4, d43 = x4 - x3;
    x[0] = 4.0f * x0;
    x[s] = 4.0f * d21 + 2.0f * d43 + 4.0f * x5;
    x[2 * s] = -5.0f * x0 - 4.0f * s12 - s34;
    x[3 * s] = -d21 - 2.0f * d43 - 5.0f * x5;
    x[4 * s] = x0 + s12 + s34;
    x[5 * s] = x5;
}

/* y = Aᵀ x (6 → 4) */
AI void at6(const v16 *x, int s, v16 *y, int ys) {
    v16 s12 = x[s] + x[2 * s], d12 = x[s] - x[2 * s];
    v16 s34 = x[3 * s] + x[4 * s], d34 = x[3 * s] - x[4 * s];
    y[0] = x[0] + s12 + s34;
    y[ys] = d12 + 2.0f * d34;
    y[2 * ys] = s12 + 4.0f * s34;
    y[3 * ys] = d12 + 8.0f * d34 + x[5 * s];
}

/* y = A x (4 → 6), the adjoint of at6 */
AI void a6(const v16 *x, int s, v16 *y, int ys) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s];
    v16 e = x0 + x2, o = x1 + x3, e2 = x0 + 4.0f * x2, o2 = 2.0f * x1 + 8.0f * x3;
    y[0] = x0;
    y[ys] = e + o;
    y[2 * ys] = e - o;
    y[3 * ys] = e2 + o2;
    y[4 * ys] = e2 - o2;
    y[5 * ys] = x3;
}

/* y = G x (3 → 6) */
AI void g6(const v16 *x, int s, v16 *y, int ys) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s];
    v16 a = (x0 + x2) * (-1.0f / 6), b = x1 * (1.0f / 6);
    v16 c = x0 * (1.0f / 24) + x2 * (1.0f / 6), e = x1 * (1.0f / 12);
    y[0] = x0 * 0.25f;
    y[ys] = a - b;
    y[2 * ys] = a + b;
    y[3 * ys] = c + e;
    y[4 * ys] = c - e;
    y[5 * ys] = x2;
}

/* y = Gᵀ x (6 → 3), the adjoint of g6 */
AI void gt6(const v16 *x, int s, v16 *y, int ys) {
    v16 s12 = x[s] + x[2 * s], d21 = x[2 * s] - x[s];
    v16 s34 = x[3 * s] + x[4 * s], d34 = x[3 * s] - x[4 * s];
    y[0] = x[0] * 0.25f - s12 * (1.0f / 6) + s34 * (1.0f / 24);
    y[ys] = d21 * (1.0f / 6) + d34 * (1.0f / 12);
    y[2 * ys] = (s34 - s12) * (1.0f / 6) + x[5 * s];
}

/* ---- the 2D transforms of 16 tiles (index row·width + column) ---- */

/* d[36] ← Bᵀ d B */
AI void input_tf(v16 *d) {
    #pragma GCC unroll 36
    for (int j = 0; j < 6; j++) bt6(d + j, 6);
    #pragma GCC unroll 36
    for (int i = 0; i < 6; i++) bt6(d + 6 * i, 1);
}

/* d[36] ← B d Bᵀ (adjoint of input_tf) */
AI void input_adj(v16 *d) {
    #pragma GCC unroll 36
    for (int j = 0; j < 6; j++) b6(d + j, 6);
    #pragma GCC unroll 36
    for (int i = 0; i < 6; i++) b6(d + 6 * i, 1);
}

/* y[16] = Aᵀ m A */
AI void output_tf(const v16 *m, v16 *y) {
    v16 t[24]; /* 4×6 */
    #pragma GCC unroll 36
    for (int j = 0; j < 6; j++) at6(m + j, 6, t + j, 6);
    #pragma GCC unroll 36
    for (int i = 0; i < 4; i++) at6(t + 6 * i, 1, y + 4 * i, 1);
}

/* p[36] = A g Aᵀ (adjoint of output_tf) */
AI void output_adj(const v16 *g, v16 *p) {
    v16 t[24]; /* 6×4 */
    #pragma GCC unroll 36
    for (int j = 0; j < 4; j++) a6(g + j, 4, t + j, 4);
    #pragma GCC unroll 36
    for (int k = 0; k < 6; k++) a6(t + 4 * k, 1, p + 6 * k, 1);
}

/* u[36] = G g Gᵀ */
AI void weight_tf(const v16 *g, v16 *u) {
    v16 t[18]; /* 6×3 */
    #pragma GCC unroll 36
    for (int j = 0; j < 3; j++) g6(g + j, 3, t + j, 3);
    #pragma GCC unroll 36
    for (int k = 0; k < 6; k++) g6(t + 3 * k, 1, u + 6 * k, 1);
}

/* g[9] = Gᵀ u G (adjoint of weight_tf) */
AI void weight_adj(const v16 *u, v16 *g) {
    v16 t[18]; /* 3×6 */
    #pragma GCC unroll 36
    for (int l = 0; l < 6; l++) gt6(u + l, 6, t + l, 6);
    #pragma GCC unroll 36
    for (int i = 0; i < 3; i++) gt6(t + 6 * i, 1, g + 3 * i, 1);
}

/* ---- geometry of a group of up to 16 consecutive tiles of a chunk ---- */
typedef struct {
    int n;                    /* tiles in the group (lanes n..15 unused) */
    int32_t in_off[16];       /* input tile origin, relative to a channel's chunk start */
    int32_t out_off[16];      /* output tile origin, relative to an output channel's chunk start */
    int y0[16], x0[16];       /* input tile origin (may be negative: padding) */
    int rows[16];             /* output rows of the tile inside Ho (4 but at the bottom) */
    unsigned cols[16];        /* output columns inside Wo, as a 4-bit mask */
    unsigned in_cols[16];     /* input columns inside W, as a 6-bit mask */
    unsigned in_rows[16];     /* input rows inside H, as a 6-bit mask */
} tgroup;

static void tgroup_init(const nn_layer *L, size_t bs, int t0, int T, tgroup *g) {
    int TH = th4(L), TW = tw4(L), TT = TH * TW;
    g->n = T - t0 < 16 ? T - t0 : 16;
    for (int l = 0; l < 16; l++) {
        int t = t0 + (l < g->n ? l : g->n - 1); /* unused lanes repeat the last tile */
        int b = t / TT, r = t % TT, ty = r / TW, tx = r % TW;
        g->y0[l] = 4 * ty - L->pad;
        g->x0[l] = 4 * tx - L->pad;
        g->in_off[l] = (int32_t)(b * bs + (ptrdiff_t)g->y0[l] * L->in_w + g->x0[l]);
        g->out_off[l] = (int32_t)((size_t)b * L->out_h * L->out_w + (size_t)4 * ty * L->out_w + 4 * tx);
        int rows = L->out_h - 4 * ty, cols = L->out_w - 4 * tx;
        g->rows[l] = rows < 4 ? rows : 4;
        g->cols[l] = (1u << (cols < 4 ? cols : 4)) - 1;
        unsigned ic = 0, ir = 0;
        for (int j = 0; j < 6; j++) {
            if (g->x0[l] + j >= 0 && g->x0[l] + j < L->in_w) ic |= 1u << j;
            if (g->y0[l] + j >= 0 && g->y0[l] + j < L->in_h) ir |= 1u << j;
        }
        g->in_cols[l] = ic;
        g->in_rows[l] = ir;
    }
}

/* 1 when the input value (i, j) of lane l's tile lies inside the image */
static inline int in_image(const nn_layer *L, const tgroup *g, int l, int i, int j) {
    return (g->in_rows[l] >> i & 1) && (g->in_cols[l] >> j & 1);
}

/* ---- portable transforms: lanes filled and read one at a time ---- */

static void input_transform_plain(const nn_layer *L, const float *in, size_t cs, size_t bs,
                                  float *V, size_t plane, int T) {
    for (int t0 = 0; t0 < T; t0 += 16) {
        tgroup g;
        tgroup_init(L, bs, t0, T, &g);
        for (int c = 0; c < L->in_c; c++) {
            const float *src = in + c * cs;
            v16 d[36];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                    for (int l = 0; l < 16; l++)
                        d[i * 6 + j][l] = l < g.n && in_image(L, &g, l, i, j)
                                              ? src[g.in_off[l] + i * L->in_w + j]
                                              : 0.0f;
            input_tf(d);
            for (int x = 0; x < 36; x++)
                for (int l = 0; l < g.n; l++) V[x * plane + (size_t)c * T + t0 + l] = d[x][l];
        }
    }
}

static void output_transform_plain(const nn_layer *L, const float *M, const float *bias,
                                   float *out, size_t ocs, size_t plane, int T) {
    int Wo = L->out_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        tgroup g;
        tgroup_init(L, 0, t0, T, &g);
        for (int co = 0; co < L->out_c; co++) {
            v16 m[36], y[16];
            for (int x = 0; x < 36; x++)
                for (int l = 0; l < 16; l++)
                    m[x][l] = l < g.n ? M[x * plane + (size_t)co * T + t0 + l] : 0.0f;
            output_tf(m, y);
            for (int l = 0; l < g.n; l++) {
                float *dst = out + co * ocs + g.out_off[l];
                for (int i = 0; i < g.rows[l]; i++)
                    for (int j = 0; j < 4; j++) {
                        if (!(g.cols[l] >> j & 1)) continue;
                        float v = y[i * 4 + j][l] + bias[co];
                        dst[i * Wo + j] = L->fuse_relu && v < 0.0f ? 0.0f : v;
                    }
            }
        }
    }
}

static void output_transform_adjoint_plain(const nn_layer *L, const float *dout, size_t ocs,
                                           float *Mg, size_t plane, int T) {
    int Wo = L->out_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        tgroup g;
        tgroup_init(L, 0, t0, T, &g);
        for (int co = 0; co < L->out_c; co++) {
            v16 gy[16], p[36];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    for (int l = 0; l < 16; l++)
                        gy[i * 4 + j][l] = l < g.n && i < g.rows[l] && (g.cols[l] >> j & 1)
                                               ? dout[co * ocs + g.out_off[l] + i * Wo + j]
                                               : 0.0f;
            output_adj(gy, p);
            for (int x = 0; x < 36; x++)
                for (int l = 0; l < g.n; l++) Mg[x * plane + (size_t)co * T + t0 + l] = p[x][l];
        }
    }
}

/* din += B Z Bᵀ per tile; din (the chunk's images) must be zeroed first */
static void input_transform_adjoint_plain(const nn_layer *L, const float *Z, float *din,
                                          size_t cs, size_t bs, size_t plane, int T) {
    for (int t0 = 0; t0 < T; t0 += 16) {
        tgroup g;
        tgroup_init(L, bs, t0, T, &g);
        for (int c = 0; c < L->in_c; c++) {
            v16 d[36];
            for (int x = 0; x < 36; x++)
                for (int l = 0; l < 16; l++)
                    d[x][l] = l < g.n ? Z[x * plane + (size_t)c * T + t0 + l] : 0.0f;
            input_adj(d);
            float *dst = din + c * cs;
            for (int l = 0; l < g.n; l++)
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++)
                        if (in_image(L, &g, l, i, j))
                            dst[g.in_off[l] + i * L->in_w + j] += d[i * 6 + j][l];
        }
    }
}

/* U[ξ][co][ci] = (G g Gᵀ)[ξ], 16 input channels at a time */
static void weight_transform_plain(const float *Wt, int Co, int Ci, float *U, size_t su) {
    for (int co = 0; co < Co; co++)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            int n = Ci - c0 < 16 ? Ci - c0 : 16;
            const float *w = Wt + ((size_t)co * Ci + c0) * 9;
            v16 g[9], u[36];
            for (int k = 0; k < 9; k++)
                for (int l = 0; l < 16; l++) g[k][l] = l < n ? w[l * 9 + k] : 0.0f;
            weight_tf(g, u);
            for (int x = 0; x < 36; x++)
                for (int l = 0; l < n; l++) U[x * su + (size_t)co * Ci + c0 + l] = u[x][l];
        }
}

/* dW[co][ci] = Gᵀ dU G */
static void weight_transform_adjoint_plain(const float *dU, int Co, int Ci, float *dW, size_t su) {
    for (int co = 0; co < Co; co++)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            int n = Ci - c0 < 16 ? Ci - c0 : 16;
            v16 u[36], g[9];
            for (int x = 0; x < 36; x++)
                for (int l = 0; l < 16; l++)
                    u[x][l] = l < n ? dU[x * su + (size_t)co * Ci + c0 + l] : 0.0f;
            weight_adj(u, g);
            float *w = dW + ((size_t)co * Ci + c0) * 9;
            for (int k = 0; k < 9; k++)
                for (int l = 0; l < n; l++) w[l * 9 + k] = g[k][l];
        }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define W4_X86 1
/*
 * AVX-512 forms. 16 tiles are brought to lane = tile, and results that go
 * back to image layout are brought back to tile-major, by 16×16 register
 * transposes: a tile's 6×6 values are 6 short rows (two rows per vector,
 * lanes 0..5 and 8..13), and the 16 tiles of a group may lie in 16
 * different places. Loops run channel-major so that
 * each of the 36 planes is read or written as one contiguous stream.
 * Needs AVX-512F and VL (the 128/256-bit masked row loads and stores).
 * `tab` holds the geometry of the chunk's tile groups (w4_geometry).
 */
#define W4AVX __attribute__((target("avx512f,avx512vl")))
#define W4AVX_INLINE __attribute__((target("avx512f,avx512vl"), always_inline)) static inline

/* r[16] ← its transpose (r[a] lane b ↔ r[b] lane a) */
W4AVX_INLINE void transpose16(__m512 *r) {
    __m512 t[16], u[16];
    #pragma GCC unroll 36
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    /* u[4i + k], 128-bit block q: column 4q + k of rows 4i .. 4i+3 */
    #pragma GCC unroll 36
    for (int i = 0; i < 4; i++) {
        __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
        __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
        u[4 * i + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    /* a 4×4 transpose of 128-bit blocks for each k */
    #pragma GCC unroll 36
    for (int k = 0; k < 4; k++) {
        __m512 v0 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x44);
        __m512 v1 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xee);
        __m512 w0 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x44);
        __m512 w1 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xee);
        r[k] = _mm512_shuffle_f32x4(v0, w0, 0x88);
        r[4 + k] = _mm512_shuffle_f32x4(v0, w0, 0xdd);
        r[8 + k] = _mm512_shuffle_f32x4(v1, w1, 0x88);
        r[12 + k] = _mm512_shuffle_f32x4(v1, w1, 0xdd);
    }
}

static inline __mmask16 lanes(int n) { return (__mmask16)((1u << n) - 1); }

/* lanes 0..7 ← lo, 8..15 ← hi */
W4AVX_INLINE __m512 join8(__m256 lo, __m256 hi) {
    return _mm512_castpd_ps(
        _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
}

W4AVX_INLINE __m256 upper8(__m512 v) {
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

W4AVX static void w4_input_avx512(const nn_layer *L, const tgroup *tab, const float *in, size_t cs,
                                  float *V, size_t plane, int T) {
    int W = L->in_w;
    for (int c = 0; c < L->in_c; c++) {
        const float *src = in + c * cs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            const tgroup *g = tab + t0 / 16;
            int n = T - t0 < 16 ? T - t0 : 16;
            v16 d[36];
            #pragma GCC unroll 36
            for (int h = 0; h < 3; h++) {
                /* r[tile]: rows 2h and 2h+1 of the tile in lanes 0..5 and 8..13 */
                __m512 r[16];
                #pragma GCC unroll 36
                for (int l = 0; l < 16; l++) {
                    if (l >= n) {
                        r[l] = _mm512_setzero_ps();
                        continue;
                    }
                    const float *p = src + g->in_off[l] + 2 * h * W;
                    __mmask8 cm = (__mmask8)g->in_cols[l];
                    unsigned rows = g->in_rows[l] >> (2 * h);
                    __m256 lo = _mm256_maskz_loadu_ps(rows & 1 ? cm : 0, p);
                    __m256 hi = _mm256_maskz_loadu_ps(rows & 2 ? cm : 0, p + W);
                    r[l] = join8(lo, hi);
                }
                transpose16(r);
                #pragma GCC unroll 36
                for (int k = 0; k < 6; k++) {
                    d[12 * h + k] = (v16)r[k];
                    d[12 * h + 6 + k] = (v16)r[8 + k];
                }
            }
            input_tf(d);
            __mmask16 lm = lanes(n);
            float *v = V + (size_t)c * T + t0;
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) _mm512_mask_storeu_ps(v + x * plane, lm, (__m512)d[x]);
        }
    }
}

W4AVX static void w4_output_avx512(const nn_layer *L, const tgroup *tab, const float *M,
                                   const float *bias, float *out, size_t ocs, size_t plane,
                                   int T) {
    int Wo = L->out_w;
    /* tiles that are a whole 4×4 image: one contiguous 16-float store */
    int whole = L->out_h == 4 && Wo == 4;
    for (int co = 0; co < L->out_c; co++) {
        float *dst = out + co * ocs;
        __m512 bv = _mm512_set1_ps(bias[co]);
        for (int t0 = 0; t0 < T; t0 += 16) {
            const tgroup *g = tab + t0 / 16;
            int n = T - t0 < 16 ? T - t0 : 16;
            __mmask16 lm = lanes(n);
            const float *mp = M + (size_t)co * T + t0;
            v16 m[36], y[16];
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) m[x] = (v16)_mm512_maskz_loadu_ps(lm, mp + x * plane);
            output_tf(m, y);
            __m512 r[16];
            #pragma GCC unroll 36
            for (int k = 0; k < 16; k++) {
                r[k] = _mm512_add_ps((__m512)y[k], bv);
                if (L->fuse_relu) r[k] = _mm512_max_ps(r[k], _mm512_setzero_ps());
            }
            transpose16(r); /* r[l] = tile l, lane 4i + j */
            for (int l = 0; l < n; l++) {
                float *o = dst + g->out_off[l];
                if (whole) {
                    _mm512_storeu_ps(o, r[l]);
                    continue;
                }
                __mmask8 cm = (__mmask8)g->cols[l];
                int rows = g->rows[l];
                if (cm == 0xf && rows == 4) { /* whole tile: plain stores (masked ones cost more) */
                    _mm_storeu_ps(o, _mm512_castps512_ps128(r[l]));
                    _mm_storeu_ps(o + Wo, _mm512_extractf32x4_ps(r[l], 1));
                    _mm_storeu_ps(o + 2 * Wo, _mm512_extractf32x4_ps(r[l], 2));
                    _mm_storeu_ps(o + 3 * Wo, _mm512_extractf32x4_ps(r[l], 3));
                    continue;
                }
                _mm_mask_storeu_ps(o, cm, _mm512_castps512_ps128(r[l]));
                if (rows > 1) _mm_mask_storeu_ps(o + Wo, cm, _mm512_extractf32x4_ps(r[l], 1));
                if (rows > 2) _mm_mask_storeu_ps(o + 2 * Wo, cm, _mm512_extractf32x4_ps(r[l], 2));
                if (rows > 3) _mm_mask_storeu_ps(o + 3 * Wo, cm, _mm512_extractf32x4_ps(r[l], 3));
            }
        }
    }
}

W4AVX static void w4_output_adjoint_avx512(const nn_layer *L, const tgroup *tab,
                                           const float *dout, size_t ocs, float *Mg, size_t plane,
                                           int T) {
    int Wo = L->out_w;
    int whole = L->out_h == 4 && Wo == 4;
    for (int co = 0; co < L->out_c; co++) {
        const float *src = dout + co * ocs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            const tgroup *g = tab + t0 / 16;
            int n = T - t0 < 16 ? T - t0 : 16;
            __m512 r[16];
            #pragma GCC unroll 36
            for (int l = 0; l < 16; l++) {
                if (l >= n) {
                    r[l] = _mm512_setzero_ps();
                    continue;
                }
                const float *p = src + g->out_off[l];
                if (whole) {
                    r[l] = _mm512_loadu_ps(p);
                    continue;
                }
                __mmask8 cm = (__mmask8)g->cols[l];
                int rows = g->rows[l];
                __m256 lo = _mm256_insertf32x4(_mm256_castps128_ps256(_mm_maskz_loadu_ps(cm, p)),
                                               _mm_maskz_loadu_ps(rows > 1 ? cm : 0, p + Wo), 1);
                __m256 hi = _mm256_insertf32x4(
                    _mm256_castps128_ps256(_mm_maskz_loadu_ps(rows > 2 ? cm : 0, p + 2 * Wo)),
                    _mm_maskz_loadu_ps(rows > 3 ? cm : 0, p + 3 * Wo), 1);
                r[l] = join8(lo, hi);
            }
            transpose16(r); /* r[4i + j] = dY(i, j) of each tile, lane = tile */
            v16 gy[16], p[36];
            #pragma GCC unroll 36
            for (int k = 0; k < 16; k++) gy[k] = (v16)r[k];
            output_adj(gy, p);
            __mmask16 lm = lanes(n);
            float *mp = Mg + (size_t)co * T + t0;
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) _mm512_mask_storeu_ps(mp + x * plane, lm, (__m512)p[x]);
        }
    }
}

/* din += B Z Bᵀ per tile, tiles one after another (they overlap); din zeroed first */
W4AVX static void w4_input_adjoint_avx512(const nn_layer *L, const tgroup *tab, const float *Z,
                                          float *din, size_t cs, size_t plane, int T) {
    int W = L->in_w;
    for (int c = 0; c < L->in_c; c++) {
        float *dst = din + c * cs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            const tgroup *g = tab + t0 / 16;
            int n = T - t0 < 16 ? T - t0 : 16;
            __mmask16 lm = lanes(n);
            const float *zp = Z + (size_t)c * T + t0;
            v16 d[36];
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) d[x] = (v16)_mm512_maskz_loadu_ps(lm, zp + x * plane);
            input_adj(d);
            /* rows 2h, 2h+1 of each tile, transposed to lanes 0..5 and 8..13 of r[tile] */
            #pragma GCC unroll 36
            for (int h = 0; h < 3; h++) {
                __m512 r[16];
                #pragma GCC unroll 36
                for (int j = 0; j < 6; j++) {
                    r[j] = (__m512)d[12 * h + j];
                    r[8 + j] = (__m512)d[12 * h + 6 + j];
                }
                r[6] = r[7] = r[14] = r[15] = _mm512_setzero_ps();
                transpose16(r);
                for (int l = 0; l < n; l++) {
                    __mmask8 cm = (__mmask8)g->in_cols[l];
                    unsigned rows = g->in_rows[l] >> (2 * h);
                    float *p = dst + g->in_off[l] + 2 * h * W;
                    if (rows & 1)
                        _mm256_mask_storeu_ps(p, cm, _mm256_add_ps(_mm256_maskz_loadu_ps(cm, p),
                                                                   _mm512_castps512_ps256(r[l])));
                    if (rows & 2)
                        _mm256_mask_storeu_ps(p + W, cm, _mm256_add_ps(_mm256_maskz_loadu_ps(cm, p + W),
                                                                       upper8(r[l])));
                }
            }
        }
    }
}

/* U[ξ][co][ci] = G g Gᵀ: 16 kernels (9 contiguous floats each) transposed to lane = ci */
W4AVX static void w4_weight_avx512(const float *Wt, int Co, int Ci, float *U, size_t su) {
    for (int co = 0; co < Co; co++)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            int n = Ci - c0 < 16 ? Ci - c0 : 16;
            const float *w = Wt + ((size_t)co * Ci + c0) * 9;
            __m512 r[16];
            #pragma GCC unroll 36
            for (int l = 0; l < 16; l++)
                r[l] = l < n ? _mm512_maskz_loadu_ps(0x1ff, w + 9 * l) : _mm512_setzero_ps();
            transpose16(r);
            v16 gk[9], u[36];
            #pragma GCC unroll 36
            for (int k = 0; k < 9; k++) gk[k] = (v16)r[k];
            weight_tf(gk, u);
            __mmask16 lm = lanes(n);
            float *up = U + (size_t)co * Ci + c0;
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) _mm512_mask_storeu_ps(up + x * su, lm, (__m512)u[x]);
        }
}

/* dW[co][ci] = Gᵀ dU G, transposed back to 9 contiguous floats per kernel */
W4AVX static void w4_weight_adjoint_avx512(const float *dU, int Co, int Ci, float *dW, size_t su) {
    for (int co = 0; co < Co; co++)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            int n = Ci - c0 < 16 ? Ci - c0 : 16;
            __mmask16 lm = lanes(n);
            const float *up = dU + (size_t)co * Ci + c0;
            v16 u[36], gk[9];
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) u[x] = (v16)_mm512_maskz_loadu_ps(lm, up + x * su);
            weight_adj(u, gk);
            __m512 r[16];
            #pragma GCC unroll 36
            for (int k = 0; k < 16; k++) r[k] = k < 9 ? (__m512)gk[k] : _mm512_setzero_ps();
            transpose16(r);
            float *w = dW + ((size_t)co * Ci + c0) * 9;
            for (int l = 0; l < n; l++) _mm512_mask_storeu_ps(w + 9 * l, 0x1ff, r[l]);
        }
}

/*
 * AVX2+FMA forms (CPUs without AVX-512): the same v16 transforms (GCC lowers
 * each v16 operation to two 8-lane ones), lane = tile as above. AVX2 has no
 * 16×16 register transposes worth their cost here (16 registers), so tiles
 * come into the lanes by gathers (vgatherdps, masked where a tile crosses
 * the image edge or the group is partial) and go back by 4×4 transposes of
 * output rows (forward) or lane by lane (the input-gradient adjoint, whose
 * tiles overlap and must be added one after another). The arithmetic is the
 * plain form's, in the same order, so the transforms give the same floats.
 */
#define W4AVX2 __attribute__((target("avx2,fma")))
#define W4AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/* lanes 0..7 / 8..15 of a v16 */
/* (v16s pass by pointer: by value they would need the AVX-512 ABI) */
W4AVX2_INLINE __m256 lo8(const v16 *v) { return _mm256_loadu_ps((const float *)v); }
W4AVX2_INLINE __m256 hi8(const v16 *v) { return _mm256_loadu_ps((const float *)v + 8); }
W4AVX2_INLINE void from8(v16 *v, __m256 lo, __m256 hi) {
    _mm256_storeu_ps((float *)v, lo);
    _mm256_storeu_ps((float *)v + 8, hi);
}

/* all-ones in the lanes of the first n (0..16) of 16, as two 8-lane masks */
W4AVX2_INLINE void avx2_lanes16(int n, __m256i m[2]) {
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    m[0] = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
    m[1] = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - 8), idx);
}

/* 16 lanes of src[off[l] + k], masked lanes 0 */
W4AVX2_INLINE void gather16(v16 *d, const float *src, const __m256i off[2], int k,
                            const __m256i m[2], int masked) {
    __m256i k8 = _mm256_set1_epi32(k);
    __m256i o0 = _mm256_add_epi32(off[0], k8), o1 = _mm256_add_epi32(off[1], k8);
    if (!masked) {
        from8(d, _mm256_i32gather_ps(src, o0, 4), _mm256_i32gather_ps(src, o1, 4));
        return;
    }
    __m256 z = _mm256_setzero_ps();
    from8(d, _mm256_mask_i32gather_ps(z, src, o0, _mm256_castsi256_ps(m[0]), 4),
          _mm256_mask_i32gather_ps(z, src, o1, _mm256_castsi256_ps(m[1]), 4));
}

/* lanes whose bit `bit` of the 32-bit masks bits[16] is set, and'ed with live[2] */
W4AVX2_INLINE void bit_lanes(const unsigned *bits, int bit, const __m256i live[2], __m256i m[2]) {
    __m256i one = _mm256_set1_epi32(1);
    for (int h = 0; h < 2; h++) {
        __m256i b = _mm256_loadu_si256((const __m256i *)(bits + 8 * h));
        b = _mm256_and_si256(_mm256_srli_epi32(b, bit), one);
        m[h] = _mm256_and_si256(_mm256_cmpeq_epi32(b, one), live[h]);
    }
}

/* store lanes 0..n-1 of v at p */
W4AVX2_INLINE void store16(float *p, const v16 *v, int n, const __m256i lm[2]) {
    if (n == 16) {
        _mm256_storeu_ps(p, lo8(v));
        _mm256_storeu_ps(p + 8, hi8(v));
    } else {
        _mm256_maskstore_ps(p, lm[0], lo8(v));
        _mm256_maskstore_ps(p + 8, lm[1], hi8(v));
    }
}

/* lanes 0..n-1 from p, the others 0 */
W4AVX2_INLINE void load16(v16 *v, const float *p, int n, const __m256i lm[2]) {
    if (n == 16) from8(v, _mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
    else from8(v, _mm256_maskload_ps(p, lm[0]), _mm256_maskload_ps(p + 8, lm[1]));
}

/* columns 0..5 of the 8×8 transpose of r[8]: out[j] lane k = r[k] lane j */
W4AVX2_INLINE void transpose8x6(const __m256 *r, __m256 *out) {
    __m256 t[8], u[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) {
        u[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
        u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) out[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    out[4] = _mm256_permute2f128_ps(u[0], u[4], 0x31);
    out[5] = _mm256_permute2f128_ps(u[1], u[5], 0x31);
}

/*
 * Tiles into the lanes by rows: each tile row (6 floats, a masked load: the
 * tile's columns inside the image) of 8 tiles, then an 8×8 transpose. (The
 * first version gathered each of the 36 positions with vgatherdps: 11–13 %
 * of bench/cnn, the largest transform.) Rows outside the image and unused
 * lanes are zero, as in the plain form.
 */
W4AVX2 static void w4_input_avx2(const nn_layer *L, const tgroup *tab, const float *in, size_t cs,
                                 float *V, size_t plane, int T) {
    int W = L->in_w;
    const __m256i colbit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 0, 0);
    for (int t0 = 0; t0 < T; t0 += 16) {
        const tgroup *g = tab + t0 / 16;
        int n = T - t0 < 16 ? T - t0 : 16;
        __m256i lm[2], cmask[16];
        unsigned rows[16];
        avx2_lanes16(n, lm);
        for (int l = 0; l < 16; l++) {
            __m256i bits = _mm256_set1_epi32(l < n ? (int)g->in_cols[l] : 0);
            cmask[l] = _mm256_cmpeq_epi32(_mm256_and_si256(bits, colbit), colbit);
            rows[l] = l < n ? g->in_rows[l] : 0;
        }
        for (int c = 0; c < L->in_c; c++) {
            const float *src = in + c * cs;
            v16 d[36];
            for (int h = 0; h < 2; h++)
                #pragma GCC unroll 6
                for (int i = 0; i < 6; i++) {
                    __m256 r[8], o[6];
                    #pragma GCC unroll 8
                    for (int k = 0; k < 8; k++) {
                        int l = 8 * h + k;
                        r[k] = rows[l] >> i & 1 ? _mm256_maskload_ps(src + g->in_off[l] + i * W, cmask[l])
                                                : _mm256_setzero_ps();
                    }
                    transpose8x6(r, o);
                    #pragma GCC unroll 6
                    for (int j = 0; j < 6; j++) _mm256_storeu_ps((float *)&d[i * 6 + j] + 8 * h, o[j]);
                }
            input_tf(d);
            float *v = V + (size_t)c * T + t0;
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) store16(v + x * plane, &d[x], n, lm);
        }
    }
}

W4AVX2 static void w4_output_avx2(const nn_layer *L, const tgroup *tab, const float *M,
                                  const float *bias, float *out, size_t ocs, size_t plane, int T) {
    int Wo = L->out_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        const tgroup *g = tab + t0 / 16;
        int n = T - t0 < 16 ? T - t0 : 16; /* (the table's g->n is for a whole chunk) */
        __m256i lm[2];
        avx2_lanes16(n, lm);
        for (int co = 0; co < L->out_c; co++) {
            const float *mp = M + (size_t)co * T + t0;
            v16 mm[36], y[16];
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) load16(&mm[x], mp + x * plane, n, lm);
            output_tf(mm, y);
            __m256 bv = _mm256_set1_ps(bias[co]), zero = _mm256_setzero_ps();
            float rows[4][16][4]; /* [i][lane][j]: output row i of each tile */
            #pragma GCC unroll 4
            for (int i = 0; i < 4; i++)
                #pragma GCC unroll 2
                for (int h = 0; h < 2; h++) {
                    __m256 a[4];
                    #pragma GCC unroll 4
                    for (int j = 0; j < 4; j++) {
                        __m256 v = _mm256_add_ps(h ? hi8(&y[i * 4 + j]) : lo8(&y[i * 4 + j]), bv);
                        /* max(0, v): v itself when v is NaN or −0, as the plain form's v < 0 test */
                        a[j] = L->fuse_relu ? _mm256_max_ps(zero, v) : v;
                    }
                    __m256 t0v = _mm256_unpacklo_ps(a[0], a[1]), t1v = _mm256_unpackhi_ps(a[0], a[1]);
                    __m256 t2v = _mm256_unpacklo_ps(a[2], a[3]), t3v = _mm256_unpackhi_ps(a[2], a[3]);
                    __m256 r[4] = {_mm256_shuffle_ps(t0v, t2v, 0x44), _mm256_shuffle_ps(t0v, t2v, 0xee),
                                   _mm256_shuffle_ps(t1v, t3v, 0x44), _mm256_shuffle_ps(t1v, t3v, 0xee)};
                    #pragma GCC unroll 4
                    for (int k = 0; k < 4; k++) {
                        _mm_storeu_ps(rows[i][8 * h + k], _mm256_castps256_ps128(r[k]));
                        _mm_storeu_ps(rows[i][8 * h + 4 + k], _mm256_extractf128_ps(r[k], 1));
                    }
                }
            float *dst = out + co * ocs;
            for (int l = 0; l < n; l++) {
                float *o = dst + g->out_off[l];
                if (g->cols[l] == 0xf)
                    for (int i = 0; i < g->rows[l]; i++) _mm_storeu_ps(o + i * Wo, _mm_loadu_ps(rows[i][l]));
                else
                    for (int i = 0; i < g->rows[l]; i++)
                        for (int j = 0; j < 4; j++)
                            if (g->cols[l] >> j & 1) o[i * Wo + j] = rows[i][l][j];
            }
        }
    }
}

W4AVX2 static void w4_output_adjoint_avx2(const nn_layer *L, const tgroup *tab, const float *dout,
                                          size_t ocs, float *Mg, size_t plane, int T) {
    int Wo = L->out_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        const tgroup *g = tab + t0 / 16;
        int n = T - t0 < 16 ? T - t0 : 16, inside = n == 16;
        for (int l = 0; l < 16 && inside; l++) inside = g->rows[l] == 4 && g->cols[l] == 0xf;
        __m256i lm[2], off[2], m[16][2];
        avx2_lanes16(n, lm);
        off[0] = _mm256_loadu_si256((const __m256i *)g->out_off);
        off[1] = _mm256_loadu_si256((const __m256i *)(g->out_off + 8));
        if (!inside) {
            unsigned rowbits[16];
            for (int l = 0; l < 16; l++) rowbits[l] = (1u << g->rows[l]) - 1;
            __m256i rm[4][2], cm[4][2];
            for (int i = 0; i < 4; i++) {
                bit_lanes(rowbits, i, lm, rm[i]);
                bit_lanes(g->cols, i, lm, cm[i]);
            }
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    for (int h = 0; h < 2; h++) m[i * 4 + j][h] = _mm256_and_si256(rm[i][h], cm[j][h]);
        }
        for (int co = 0; co < L->out_c; co++) {
            const float *src = dout + co * ocs;
            v16 gy[16], p[36];
            #pragma GCC unroll 16
            for (int x = 0; x < 16; x++)
                gather16(&gy[x], src, off, (x / 4) * Wo + x % 4, m[inside ? 0 : x], !inside);
            output_adj(gy, p);
            float *mp = Mg + (size_t)co * T + t0;
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) store16(mp + x * plane, &p[x], n, lm);
        }
    }
}

/* din += B Z Bᵀ per tile, lane after lane (tiles overlap by 2); din zeroed first */
W4AVX2 static void w4_input_adjoint_avx2(const nn_layer *L, const tgroup *tab, const float *Z,
                                         float *din, size_t cs, size_t plane, int T) {
    int W = L->in_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        const tgroup *g = tab + t0 / 16;
        int n = T - t0 < 16 ? T - t0 : 16; /* (the table's g->n is for a whole chunk) */
        __m256i lm[2];
        avx2_lanes16(n, lm);
        for (int c = 0; c < L->in_c; c++) {
            const float *zp = Z + (size_t)c * T + t0;
            v16 d[36];
            #pragma GCC unroll 36
            for (int x = 0; x < 36; x++) load16(&d[x], zp + x * plane, n, lm);
            input_adj(d);
            float *dst = din + c * cs;
            for (int l = 0; l < n; l++) {
                float *p = dst + g->in_off[l];
                unsigned ir = g->in_rows[l], ic = g->in_cols[l];
                for (int i = 0; i < 6; i++) {
                    if (!(ir >> i & 1)) continue;
                    for (int j = 0; j < 6; j++)
                        if (ic >> j & 1) p[i * W + j] += d[i * 6 + j][l];
                }
            }
        }
    }
}

static int have_vl(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512vl") ? 1 : 0;
    }
    return cached;
}
#else
#define W4_X86 0
#endif

/* The AVX-512 transforms apply: CPU (F and VL) and the kernel switch allow. */
static int w4_avx512(void) {
#if W4_X86
    return nn_use_avx512() && have_vl();
#else
    return 0;
#endif
}

/* The AVX2 transforms apply: the CPU has AVX2+FMA but not AVX-512, kernel switch on. */
static int w4_avx2(void) {
#if W4_X86
    return nn_use_avx2();
#else
    return 0;
#endif
}

int nn_wino4_fast(void) { return w4_avx512(); }

/*
 * Images per chunk: V and M of a chunk (36·(Cin+Cout) floats per tile) near
 * 2 MB. Twice F(2,3)'s budget, past L2: the longer tile dimension T makes
 * the weight-gradient products (reduced along T) cheaper, and that measured
 * faster: seed CNN train_batch 4.6–4.8 ms at 8 images per conv2 chunk,
 * 4.3–4.6 at 16, no better at 32 (interleaved runs, min of 300).
 */
int nn_wino4_chunk(const nn_layer *L, int max_batch) {
    size_t per_image = (size_t)36 * (L->in_c + L->out_c) * th4(L) * tw4(L);
    size_t chunk = (512 * 1024) / per_image;
    if (chunk < 1) chunk = 1;
    if (chunk > (size_t)max_batch) chunk = (size_t)max_batch;
    return (int)chunk;
}

/* tile groups of a whole chunk, and the floats their geometry table takes */
static size_t n_groups(const nn_layer *L) { return ((size_t)L->chunk * th4(L) * tw4(L) + 15) / 16; }
static size_t table_floats(const nn_layer *L) {
    return (n_groups(L) * sizeof(tgroup) + sizeof(float) - 1) / sizeof(float);
}

size_t nn_wino4_scratch(const nn_layer *L) {
    size_t T = (size_t)L->chunk * th4(L) * tw4(L);
    return 36 * (nn_wino_xstride((size_t)L->in_c * T) + nn_wino_xstride((size_t)L->out_c * T) +
                 nn_wino_xstride((size_t)L->out_c * L->in_c)) +
           table_floats(L);
}

/* The scratch's parts: V | M | U | geometry table (a chunk's tiles are the
 * same for every chunk, so the table is built once per call). */
typedef struct {
    float *V, *M, *U;
    tgroup *tab;
    size_t su;
} w4_scratch;

static w4_scratch w4_split(const nn_layer *L, float *scratch, size_t bs) {
    int Ci = L->in_c, Co = L->out_c;
    size_t Tmax = (size_t)L->chunk * th4(L) * tw4(L);
    w4_scratch S;
    S.V = scratch;
    S.M = S.V + 36 * nn_wino_xstride((size_t)Ci * Tmax);
    S.U = S.M + 36 * nn_wino_xstride((size_t)Co * Tmax);
    S.su = nn_wino_xstride((size_t)Co * Ci);
    S.tab = (tgroup *)(void *)(S.U + 36 * S.su);
    size_t ng = n_groups(L);
    for (size_t i = 0; i < ng; i++) tgroup_init(L, bs, (int)(16 * i), (int)Tmax, &S.tab[i]);
    return S;
}

static void weight_transform(const float *Wt, int Co, int Ci, float *U, size_t su) {
#if W4_X86
    if (w4_avx512()) {
        w4_weight_avx512(Wt, Co, Ci, U, su);
        return;
    }
#endif
    weight_transform_plain(Wt, Co, Ci, U, su);
}

static void input_transform(const nn_layer *L, const tgroup *tab, const float *in, size_t cs,
                            size_t bs, float *V, size_t plane, int T) {
#if W4_X86
    if (w4_avx512()) {
        w4_input_avx512(L, tab, in, cs, V, plane, T);
        return;
    }
    if (w4_avx2()) {
        w4_input_avx2(L, tab, in, cs, V, plane, T);
        return;
    }
#endif
    (void)tab;
    input_transform_plain(L, in, cs, bs, V, plane, T);
}

void nn_wino4_forward(const nn_layer *L, const float *params, const float *in, size_t cs,
                      size_t bs, int B, float *out, float *scratch) {
    int Ci = L->in_c, Co = L->out_c, TT = th4(L) * tw4(L);
    w4_scratch S = w4_split(L, scratch, bs);
    size_t su = S.su, ocs = (size_t)B * L->out_h * L->out_w;
    weight_transform(params + L->w_off, Co, Ci, S.U, su);
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk, T = nb * TT;
        size_t sv = nn_wino_xstride((size_t)Ci * T), sm = nn_wino_xstride((size_t)Co * T);
        input_transform(L, S.tab, in + b0 * bs, cs, bs, S.V, sv, T);
        for (int x = 0; x < 36; x++)
            nn_sgemm(0, 0, Co, T, Ci, S.U + x * su, Ci, S.V + x * sv, T, 0.0f, S.M + x * sm, T);
        float *o = out + (size_t)b0 * L->out_h * L->out_w;
#if W4_X86
        if (w4_avx512()) {
            w4_output_avx512(L, S.tab, S.M, params + L->b_off, o, ocs, sm, T);
            continue;
        }
        if (w4_avx2()) {
            w4_output_avx2(L, S.tab, S.M, params + L->b_off, o, ocs, sm, T);
            continue;
        }
#endif
        output_transform_plain(L, S.M, params + L->b_off, o, ocs, sm, T);
    }
}

void nn_wino4_backward(const nn_layer *L, const float *params, float *grads, const float *in,
                       size_t cs, size_t bs, const float *dout, int B, float *scratch,
                       float *scratch2, float *din) {
    int Ci = L->in_c, Co = L->out_c, TT = th4(L) * tw4(L);
    w4_scratch S = w4_split(L, scratch, bs);
    float *V = S.V, *Mg = S.M, *U = S.U, *dU = scratch2;
    size_t su = S.su, ocs = (size_t)B * L->out_h * L->out_w;
#if W4_X86
    int avx = w4_avx512(), avx2 = w4_avx2();
#endif
    if (din) weight_transform(params + L->w_off, Co, Ci, U, su);
    for (int b0 = 0; b0 < B; b0 += L->chunk) {
        int nb = B - b0 < L->chunk ? B - b0 : L->chunk, T = nb * TT;
        size_t sv = nn_wino_xstride((size_t)Ci * T), sm = nn_wino_xstride((size_t)Co * T);
        const float *dchunk = dout + (size_t)b0 * L->out_h * L->out_w;
        input_transform(L, S.tab, in + b0 * bs, cs, bs, V, sv, T);
#if W4_X86
        if (avx)
            w4_output_adjoint_avx512(L, S.tab, dchunk, ocs, Mg, sm, T);
        else if (avx2)
            w4_output_adjoint_avx2(L, S.tab, dchunk, ocs, Mg, sm, T);
        else
#endif
            output_transform_adjoint_plain(L, dchunk, ocs, Mg, sm, T);
        float *Z = nn_wino_backward_products(L, 36, T, Mg, sm, V, sv, U, su, dU, b0 > 0, din != NULL);
        if (!din) continue;
        float *dc = din + b0 * bs;
        nn_wino_zero_din(L, dc, cs, bs, nb);
#if W4_X86
        if (avx)
            w4_input_adjoint_avx512(L, S.tab, Z, dc, cs, sv, T);
        else if (avx2)
            w4_input_adjoint_avx2(L, S.tab, Z, dc, cs, sv, T);
        else
#endif
            input_transform_adjoint_plain(L, Z, dc, cs, bs, sv, T);
    }
#if W4_X86
    if (avx) {
        w4_weight_adjoint_avx512(dU, Co, Ci, grads + L->w_off, su);
        return;
    }
#endif
    weight_transform_adjoint_plain(dU, Co, Ci, grads + L->w_off, su);
}

/* ---- F(2×2,3×3) transforms with lane = tile (for winograd.c) ----
 *
 * winograd.c's AVX-512 F(2,3) transforms put the tile columns of one tile
 * row in the lanes: for outputs only a few tiles wide (the seed CNN's conv3,
 * 4×4: 2 tiles a row) most lanes idle and F(2,3) lost to the direct form.
 * These put 16 tiles of the chunk in the lanes, whatever their row and
 * image, with the register transposes used above. Same V/M layout, tile
 * order and matrices as winograd.c (Bᵀ = (1,0,−1,0) (0,1,1,0) (0,−1,1,0)
 * (0,1,0,−1), Aᵀ = (1,1,1,0) (0,1,−1,−1)).
 */

/* x ← Bᵀ x (4 → 4), in place */
AI void bt4(v16 *x, int s) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s];
    x[0] = x0 - x2;
    x[s] = x1 + x2;
    x[2 * s] = x2 - x1;
    x[3 * s] = x1 - x3;
}

/* x ← B x, the adjoint of bt4, in place */
AI void b4(v16 *x, int s) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s];
    x[0] = x0;
    x[s] = x1 - x2 + x3;
    x[2 * s] = x1 + x2 - x0;
    x[3 * s] = -x3;
}

/* y = Aᵀ x (4 → 2) */
AI void at4(const v16 *x, int s, v16 *y, int ys) {
    y[0] = x[0] + x[s] + x[2 * s];
    y[ys] = x[s] - x[2 * s] - x[3 * s];
}

/* y = A x (2 → 4), the adjoint of at4 */
AI void a4(const v16 *x, int s, v16 *y, int ys) {
    y[0] = x[0];
    y[ys] = x[0] + x[s];
    y[2 * ys] = x[0] - x[s];
    y[3 * ys] = -x[s];
}

/* geometry of tile t of a chunk: offsets and in-image masks */
typedef struct {
    int32_t in_off, out_off; /* input / output tile origin in a channel's chunk */
    uint8_t in_rows, in_cols; /* 4-bit masks of input rows / columns inside the image */
    uint8_t rows, cols;       /* output rows (1–2) and 2-bit column mask inside Ho×Wo */
} tile2;

#define T2_MAX 1024 /* tiles per chunk these transforms take (their table is on the stack) */

#if W4_X86
static int t2_tiles_h(const nn_layer *L) { return (L->out_h + 1) / 2; }
static int t2_tiles_w(const nn_layer *L) { return (L->out_w + 1) / 2; }

static void t2_geometry(const nn_layer *L, size_t bs, int T, tile2 *g) {
    int TH = t2_tiles_h(L), TW = t2_tiles_w(L), TT = TH * TW;
    for (int t = 0; t < T; t++) {
        int b = t / TT, r = t % TT, ty = r / TW, tx = r % TW;
        int y0 = 2 * ty - L->pad, x0 = 2 * tx - L->pad;
        g[t].in_off = (int32_t)(b * bs + (ptrdiff_t)y0 * L->in_w + x0);
        g[t].out_off = (int32_t)((size_t)b * L->out_h * L->out_w + (size_t)2 * ty * L->out_w + 2 * tx);
        unsigned ir = 0, ic = 0;
        for (int j = 0; j < 4; j++) {
            if (y0 + j >= 0 && y0 + j < L->in_h) ir |= 1u << j;
            if (x0 + j >= 0 && x0 + j < L->in_w) ic |= 1u << j;
        }
        g[t].in_rows = (uint8_t)ir;
        g[t].in_cols = (uint8_t)ic;
        g[t].rows = (uint8_t)(L->out_h - 2 * ty < 2 ? 1 : 2);
        g[t].cols = (uint8_t)(L->out_w - 2 * tx < 2 ? 1 : 3);
    }
}

#endif

int nn_wino2_by_tile(const nn_layer *L, int T) {
#if W4_X86
    return w4_avx512() && T <= T2_MAX && t2_tiles_w(L) < 4;
#else
    (void)L; (void)T;
    return 0;
#endif
}

#if W4_X86
/* lanes 4i .. 4i+3 ← q[i] */
W4AVX_INLINE __m512 join4(__m128 q0, __m128 q1, __m128 q2, __m128 q3) {
    return join8(_mm256_insertf32x4(_mm256_castps128_ps256(q0), q1, 1),
                 _mm256_insertf32x4(_mm256_castps128_ps256(q2), q3, 1));
}

W4AVX void nn_wino2_input_tiles(const nn_layer *L, const float *in, size_t cs, size_t bs,
                                float *V, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, bs, T, g);
    int W = L->in_w;
    for (int c = 0; c < L->in_c; c++) {
        const float *src = in + c * cs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            int n = T - t0 < 16 ? T - t0 : 16;
            __m512 r[16];
#pragma GCC unroll 16
            for (int l = 0; l < 16; l++) {
                if (l >= n) {
                    r[l] = _mm512_setzero_ps();
                    continue;
                }
                const tile2 *q = &g[t0 + l];
                const float *p = src + q->in_off;
                __mmask8 cm = q->in_cols;
                unsigned ir = q->in_rows;
                r[l] = join4(_mm_maskz_loadu_ps(ir & 1 ? cm : 0, p),
                             _mm_maskz_loadu_ps(ir & 2 ? cm : 0, p + W),
                             _mm_maskz_loadu_ps(ir & 4 ? cm : 0, p + 2 * W),
                             _mm_maskz_loadu_ps(ir & 8 ? cm : 0, p + 3 * W));
            }
            transpose16(r); /* r[4i + j] = d(i, j), lane = tile */
            v16 d[16];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) d[x] = (v16)r[x];
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) bt4(d + j, 4);
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) bt4(d + 4 * i, 1);
            __mmask16 lm = lanes(n);
            float *v = V + (size_t)c * T + t0;
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) _mm512_mask_storeu_ps(v + x * plane, lm, (__m512)d[x]);
        }
    }
}

W4AVX void nn_wino2_output_tiles(const nn_layer *L, const float *M, const float *bias,
                                 float *out, size_t ocs, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, 0, T, g);
    int Wo = L->out_w;
    for (int co = 0; co < L->out_c; co++) {
        float *dst = out + co * ocs;
        __m512 bv = _mm512_set1_ps(bias[co]);
        for (int t0 = 0; t0 < T; t0 += 16) {
            int n = T - t0 < 16 ? T - t0 : 16;
            __mmask16 lm = lanes(n);
            const float *mp = M + (size_t)co * T + t0;
            v16 m[16], t[8], y[4];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) m[x] = (v16)_mm512_maskz_loadu_ps(lm, mp + x * plane);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) at4(m + j, 4, t + j, 4);
#pragma GCC unroll 2
            for (int i = 0; i < 2; i++) at4(t + 4 * i, 1, y + 2 * i, 1);
            __m512 r[16];
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) {
                if (k >= 4) {
                    r[k] = _mm512_setzero_ps();
                    continue;
                }
                r[k] = _mm512_add_ps((__m512)y[k], bv);
                if (L->fuse_relu) r[k] = _mm512_max_ps(r[k], _mm512_setzero_ps());
            }
            transpose16(r); /* r[l] lanes 0..3 = y(0,0) y(0,1) y(1,0) y(1,1) of tile l */
            for (int l = 0; l < n; l++) {
                const tile2 *q = &g[t0 + l];
                float *o = dst + q->out_off;
                __m128 v = _mm512_castps512_ps128(r[l]);
                _mm_mask_storeu_ps(o, q->cols, v);
                if (q->rows > 1) _mm_mask_storeu_ps(o + Wo, q->cols, _mm_movehl_ps(v, v));
            }
        }
    }
}

W4AVX void nn_wino2_output_adjoint_tiles(const nn_layer *L, const float *dout, size_t ocs,
                                         float *Mg, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, 0, T, g);
    int Wo = L->out_w;
    for (int co = 0; co < L->out_c; co++) {
        const float *src = dout + co * ocs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            int n = T - t0 < 16 ? T - t0 : 16;
            __m512 r[16];
#pragma GCC unroll 16
            for (int l = 0; l < 16; l++) {
                if (l >= n) {
                    r[l] = _mm512_setzero_ps();
                    continue;
                }
                const tile2 *q = &g[t0 + l];
                const float *p = src + q->out_off;
                __m128 row0 = _mm_maskz_loadu_ps(q->cols, p);
                __m128 row1 = _mm_maskz_loadu_ps(q->rows > 1 ? q->cols : 0, p + Wo);
                r[l] = _mm512_castps128_ps512(_mm_movelh_ps(row0, row1));
            }
            transpose16(r); /* r[2i + j] = dY(i, j), lane = tile */
            v16 gy[4], t[8], p[16];
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) gy[k] = (v16)r[k];
#pragma GCC unroll 2
            for (int j = 0; j < 2; j++) a4(gy + j, 2, t + j, 2);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) a4(t + 2 * k, 1, p + 4 * k, 1);
            __mmask16 lm = lanes(n);
            float *mp = Mg + (size_t)co * T + t0;
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) _mm512_mask_storeu_ps(mp + x * plane, lm, (__m512)p[x]);
        }
    }
}

/* din += B Z Bᵀ per tile, one tile after another (tiles overlap by 2); din zeroed first */
W4AVX void nn_wino2_input_adjoint_tiles(const nn_layer *L, const float *Z, float *din, size_t cs,
                                        size_t bs, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, bs, T, g);
    int W = L->in_w;
    for (int c = 0; c < L->in_c; c++) {
        float *dst = din + c * cs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            int n = T - t0 < 16 ? T - t0 : 16;
            __mmask16 lm = lanes(n);
            const float *zp = Z + (size_t)c * T + t0;
            v16 d[16];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) d[x] = (v16)_mm512_maskz_loadu_ps(lm, zp + x * plane);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) b4(d + j, 4);
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) b4(d + 4 * i, 1);
            __m512 r[16];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) r[x] = (__m512)d[x];
            transpose16(r); /* r[l] lanes 4i .. 4i+3 = row i of tile l */
            for (int l = 0; l < n; l++) {
                const tile2 *q = &g[t0 + l];
                float *p = dst + q->in_off;
                __mmask8 cm = q->in_cols;
                unsigned ir = q->in_rows;
                __m128 v[4] = {_mm512_castps512_ps128(r[l]), _mm512_extractf32x4_ps(r[l], 1),
                               _mm512_extractf32x4_ps(r[l], 2), _mm512_extractf32x4_ps(r[l], 3)};
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++)
                    if (ir >> i & 1)
                        _mm_mask_storeu_ps(p + i * W, cm,
                                           _mm_add_ps(_mm_maskz_loadu_ps(cm, p + i * W), v[i]));
            }
        }
    }
}
#endif

#if W4_X86
/*
 * The same lane = tile F(2,3) transforms with AVX2+FMA (CPUs without
 * AVX-512): tiles come into the lanes by gathers (16 positions, masked at
 * the image's edges and past the chunk's last tile), leave through a small
 * tile-major buffer (outputs: 2×2 a tile; input gradients: 4×4 a tile,
 * added tile after tile since tiles overlap). Same arithmetic in the same
 * order as the AVX-512 forms.
 */
int nn_wino2_by_tile_avx2(const nn_layer *L, int T) {
    return w4_avx2() && T <= T2_MAX && t2_tiles_w(L) < 4;
}

/* the int32 offsets (in_off or out_off) of tiles t0 .. t0+15 (repeating the last past n) */
static void t2_offsets(const tile2 *g, int t0, int n, int in, int32_t off[16]) {
    for (int l = 0; l < 16; l++) {
        const tile2 *q = &g[t0 + (l < n ? l : n - 1)];
        off[l] = in ? q->in_off : q->out_off;
    }
}

W4AVX2 void nn_wino2_input_tiles_avx2(const nn_layer *L, const float *in, size_t cs, size_t bs,
                                      float *V, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, bs, T, g);
    int W = L->in_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        int n = T - t0 < 16 ? T - t0 : 16;
        int32_t o[16];
        unsigned rows[16], cols[16];
        t2_offsets(g, t0, n, 1, o);
        for (int l = 0; l < 16; l++) {
            rows[l] = l < n ? g[t0 + l].in_rows : 0;
            cols[l] = l < n ? g[t0 + l].in_cols : 0;
        }
        __m256i lm[2], off[2] = {_mm256_loadu_si256((const __m256i *)o),
                                 _mm256_loadu_si256((const __m256i *)(o + 8))};
        avx2_lanes16(n, lm);
        __m256i rm[4][2], cm[4][2], m[16][2];
        for (int i = 0; i < 4; i++) {
            bit_lanes(rows, i, lm, rm[i]);
            bit_lanes(cols, i, lm, cm[i]);
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                for (int h = 0; h < 2; h++) m[i * 4 + j][h] = _mm256_and_si256(rm[i][h], cm[j][h]);
        for (int c = 0; c < L->in_c; c++) {
            v16 d[16];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) gather16(&d[x], in + c * cs, off, (x / 4) * W + x % 4, m[x], 1);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) bt4(d + j, 4);
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) bt4(d + 4 * i, 1);
            float *v = V + (size_t)c * T + t0;
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) store16(v + x * plane, &d[x], n, lm);
        }
    }
}

W4AVX2 void nn_wino2_output_tiles_avx2(const nn_layer *L, const float *M, const float *bias,
                                       float *out, size_t ocs, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, 0, T, g);
    int Wo = L->out_w;
    for (int co = 0; co < L->out_c; co++) {
        float *dst = out + co * ocs;
        __m256 bv = _mm256_set1_ps(bias[co]), zero = _mm256_setzero_ps();
        for (int t0 = 0; t0 < T; t0 += 16) {
            int n = T - t0 < 16 ? T - t0 : 16;
            __m256i lm[2];
            avx2_lanes16(n, lm);
            const float *mp = M + (size_t)co * T + t0;
            v16 m[16], t[8], y[4];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) load16(&m[x], mp + x * plane, n, lm);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) at4(m + j, 4, t + j, 4);
#pragma GCC unroll 2
            for (int i = 0; i < 2; i++) at4(t + 4 * i, 1, y + 2 * i, 1);
            float r[4][16]; /* y(i, j) of each tile, bias added, ReLU when fused */
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++)
#pragma GCC unroll 2
                for (int h = 0; h < 2; h++) {
                    __m256 v = _mm256_add_ps(h ? hi8(&y[k]) : lo8(&y[k]), bv);
                    if (L->fuse_relu) v = _mm256_max_ps(v, zero); /* as the AVX-512 form */
                    _mm256_storeu_ps(r[k] + 8 * h, v);
                }
            for (int l = 0; l < n; l++) {
                const tile2 *q = &g[t0 + l];
                float *o = dst + q->out_off;
                o[0] = r[0][l];
                if (q->cols & 2) o[1] = r[1][l];
                if (q->rows > 1) {
                    o[Wo] = r[2][l];
                    if (q->cols & 2) o[Wo + 1] = r[3][l];
                }
            }
        }
    }
}

W4AVX2 void nn_wino2_output_adjoint_tiles_avx2(const nn_layer *L, const float *dout, size_t ocs,
                                               float *Mg, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, 0, T, g);
    int Wo = L->out_w;
    for (int t0 = 0; t0 < T; t0 += 16) {
        int n = T - t0 < 16 ? T - t0 : 16;
        int32_t o[16];
        unsigned rowbits[16], cols[16];
        t2_offsets(g, t0, n, 0, o);
        for (int l = 0; l < 16; l++) {
            rowbits[l] = l < n ? (1u << g[t0 + l].rows) - 1 : 0;
            cols[l] = l < n ? g[t0 + l].cols : 0;
        }
        __m256i lm[2], off[2] = {_mm256_loadu_si256((const __m256i *)o),
                                 _mm256_loadu_si256((const __m256i *)(o + 8))};
        avx2_lanes16(n, lm);
        __m256i rm[2][2], cm[2][2], m[4][2];
        for (int i = 0; i < 2; i++) {
            bit_lanes(rowbits, i, lm, rm[i]);
            bit_lanes(cols, i, lm, cm[i]);
        }
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int h = 0; h < 2; h++) m[i * 2 + j][h] = _mm256_and_si256(rm[i][h], cm[j][h]);
        for (int co = 0; co < L->out_c; co++) {
            v16 gy[4], t[8], p[16];
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) gather16(&gy[k], dout + co * ocs, off, (k / 2) * Wo + k % 2, m[k], 1);
#pragma GCC unroll 2
            for (int j = 0; j < 2; j++) a4(gy + j, 2, t + j, 2);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) a4(t + 2 * k, 1, p + 4 * k, 1);
            float *mp = Mg + (size_t)co * T + t0;
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) store16(mp + x * plane, &p[x], n, lm);
        }
    }
}

W4AVX2 void nn_wino2_input_adjoint_tiles_avx2(const nn_layer *L, const float *Z, float *din,
                                              size_t cs, size_t bs, size_t plane, int T) {
    tile2 g[T2_MAX];
    t2_geometry(L, bs, T, g);
    int W = L->in_w;
    for (int c = 0; c < L->in_c; c++) {
        float *dst = din + c * cs;
        for (int t0 = 0; t0 < T; t0 += 16) {
            int n = T - t0 < 16 ? T - t0 : 16;
            __m256i lm[2];
            avx2_lanes16(n, lm);
            const float *zp = Z + (size_t)c * T + t0;
            v16 d[16];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) load16(&d[x], zp + x * plane, n, lm);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) b4(d + j, 4);
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++) b4(d + 4 * i, 1);
            for (int l = 0; l < n; l++) { /* tile after tile: they overlap */
                const tile2 *q = &g[t0 + l];
                float *p = dst + q->in_off;
                for (int i = 0; i < 4; i++) {
                    if (!(q->in_rows >> i & 1)) continue;
                    for (int j = 0; j < 4; j++)
                        if (q->in_cols >> j & 1) p[i * W + j] += d[i * 4 + j][l];
                }
            }
        }
    }
}
#endif

/* F(2,3)'s G (4×3): rows (1,0,0) (½,½,½) (½,−½,½) (0,0,1); y = G x */
AI void g4(const v16 *x, int s, v16 *y, int ys) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s];
    y[0] = x0;
    y[ys] = 0.5f * (x0 + x1 + x2);
    y[2 * ys] = 0.5f * (x0 - x1 + x2);
    y[3 * ys] = x2;
}

/* y = Gᵀ x (4 → 3), the adjoint of g4 */
AI void gt4(const v16 *x, int s, v16 *y, int ys) {
    v16 x0 = x[0], x1 = x[s], x2 = x[2 * s], x3 = x[3 * s];
    y[0] = x0 + 0.5f * (x1 + x2);
    y[ys] = 0.5f * (x1 - x2);
    y[2 * ys] = 0.5f * (x1 + x2) + x3;
}

#if W4_X86
/* U[ξ][co][ci] = (G g Gᵀ)[ξ] for F(2,3), 16 input channels at a time (lane = ci) */
W4AVX void nn_wino2_weight_tiles(const float *Wt, int Co, int Ci, float *U, size_t su) {
    for (int co = 0; co < Co; co++)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            int n = Ci - c0 < 16 ? Ci - c0 : 16;
            const float *w = Wt + ((size_t)co * Ci + c0) * 9;
            __m512 r[16];
#pragma GCC unroll 16
            for (int l = 0; l < 16; l++)
                r[l] = l < n ? _mm512_maskz_loadu_ps(0x1ff, w + 9 * l) : _mm512_setzero_ps();
            transpose16(r);
            v16 gk[9], t[12], u[16];
#pragma GCC unroll 9
            for (int k = 0; k < 9; k++) gk[k] = (v16)r[k];
#pragma GCC unroll 3
            for (int j = 0; j < 3; j++) g4(gk + j, 3, t + j, 3);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) g4(t + 3 * k, 1, u + 4 * k, 1);
            __mmask16 lm = lanes(n);
            float *up = U + (size_t)co * Ci + c0;
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) _mm512_mask_storeu_ps(up + x * su, lm, (__m512)u[x]);
        }
}

/* dW[co][ci] = Gᵀ dU G for F(2,3), back to 9 contiguous floats per kernel */
W4AVX void nn_wino2_weight_adjoint_tiles(const float *dU, int Co, int Ci, float *dW, size_t su) {
    for (int co = 0; co < Co; co++)
        for (int c0 = 0; c0 < Ci; c0 += 16) {
            int n = Ci - c0 < 16 ? Ci - c0 : 16;
            __mmask16 lm = lanes(n);
            const float *up = dU + (size_t)co * Ci + c0;
            v16 u[16], t[12], gk[9];
#pragma GCC unroll 16
            for (int x = 0; x < 16; x++) u[x] = (v16)_mm512_maskz_loadu_ps(lm, up + x * su);
#pragma GCC unroll 4
            for (int l = 0; l < 4; l++) gt4(u + l, 4, t + l, 4);
#pragma GCC unroll 3
            for (int i = 0; i < 3; i++) gt4(t + 4 * i, 1, gk + 3 * i, 1);
            __m512 r[16];
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++) r[k] = k < 9 ? (__m512)gk[k] : _mm512_setzero_ps();
            transpose16(r);
            float *w = dW + ((size_t)co * Ci + c0) * 9;
            for (int l = 0; l < n; l++) _mm512_mask_storeu_ps(w + 9 * l, 0x1ff, r[l]);
        }
}
#endif

int nn_wino2_weight_by_tile(void) { return w4_avx512(); }
