/*
 * The 2×2 max-pool window, shared by the max-pool kernels (pool.c) and the
 * fused conv → ReLU → max-pool kernels (convpool.c): the window masks a
 * training forward records for its backward, and the AVX-512 pieces both use
 * (the lane masks and permutation indices of a row, a row pair's window
 * maxima and masks, and the gradient spread back from them). Internal, not
 * installed.
 *
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
#ifndef OPTLAB_NN_POOL_WINDOW_H
#define OPTLAB_NN_POOL_WINDOW_H

#include "nn_internal.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_X86 1
#else
#define NN_X86 0
#endif

/* The masks of one window with inputs a, b (row 0), c, d (row 1), at bit `bit`. */
static inline void window_mask_set(float a, float b, float c, float d, float m, int live,
                                   unsigned bit, uint16_t *wm) {
    if (!live) return;
    int j = a == m ? 0 : b == m ? 1 : c == m ? 2 : d == m ? 3 : 4;
    if (j < 4) wm[j] |= (uint16_t)bit;
}

#if NN_X86
/* Own AVX-512 kernels in use, and BMI2 (pdep) for the window masks: every
 * AVX-512 CPU has it, but it is checked rather than assumed (pool.c). */
int nn_use_avx512_bmi2(void);

#define NN_AVX512_INLINE __attribute__((target("avx512f,bmi2"), always_inline)) static inline
#define NN_AVX512_BMI2 __attribute__((target("avx512f,bmi2")))

/*
 * The lanes of an AVX-512 2×2-pool kernel whose input rows are W <= 32
 * floats (one or two vectors) pooled to Wo <= 16: set up once per call here
 * rather than repeated in each kernel.
 */
typedef struct {
    __mmask16 lm[2];  /* lanes of a row's first and second vector inside W */
    __mmask16 om;     /* lanes of a pooled row (Wo) */
    __m512i iev, iod; /* vpermt2ps indices of a two-vector row's even and odd columns */
    __m512i idup[2];  /* vpermps indices spreading pooled lane x/2 over lanes x of vector h */
} pool_lanes;

__attribute__((target("avx512f"), always_inline)) static inline pool_lanes
pool_lanes_make(int W, int Wo) {
    pool_lanes pl;
    pl.lm[0] = (__mmask16)(W >= 16 ? 0xffff : (1u << W) - 1);
    pl.lm[1] = (__mmask16)(W > 16 ? (1u << (W - 16)) - 1 : 0);
    pl.om = (__mmask16)((1u << Wo) - 1);
    int32_t ev[16], od[16], dup[2][16];
    for (int l = 0; l < 16; l++) {
        ev[l] = 2 * l;
        od[l] = 2 * l + 1;
        dup[0][l] = l / 2;
        dup[1][l] = 8 + l / 2;
    }
    pl.iev = _mm512_loadu_si512(ev);
    pl.iod = _mm512_loadu_si512(od);
    pl.idup[0] = _mm512_loadu_si512(dup[0]);
    pl.idup[1] = _mm512_loadu_si512(dup[1]);
    return pl;
}

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
#endif

#endif
