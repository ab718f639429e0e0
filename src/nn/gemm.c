/*
 * GEMM glue: every matrix product of the nn layer goes through nn_sgemm so
 * the choice of kernel lives in one place.
 *
 * On CPUs with AVX-512 (checked once at run time; the binary itself is built
 * for plain x86-64) the convolution-shaped products use our own kernels:
 *   - "broadcast" kernel, C = op(A)·B with B row-major: 8×48 register tiles,
 *     A read with any row/column stride (so Wᵀ needs no copy), B packed a
 *     48-column panel at a time (it stays in L1/L2 across the M tiles);
 *   - "dot" kernel, C = A·Bᵀ with both operands contiguous along a long K
 *     (the weight gradient dout·colᵀ): 4×6 tiles of 16-wide partial sums,
 *     K cut into blocks that fit L2.
 * Why not OpenBLAS for these: Debian's OpenBLAS picks its AVX2 (Haswell)
 * kernels on this CPU (OPENBLAS_CORETYPE is set to Haswell here on purpose),
 * and its packing overhead is large for our small M (32–64). Measured on one
 * core of this AMD EPYC (seed-CNN shapes): ours 170–210 GFLOP/s, OpenBLAS
 * (Haswell kernels) 85–95, a pure register FMA loop ~210. On CPUs with
 * AVX2 and FMA but no AVX-512 the same two kernels run with 8 lanes (6×16
 * broadcast tiles, 3×4 dot tiles; measured on an AMD EPYC without AVX-512:
 * 74–90 GFLOP/s on the Winograd and conv3 input-gradient products against
 * OpenBLAS's 52–74, OpenBLAS ~8 % faster on conv3's 576-deep ones).
 * Everything else (small linear layers, CPUs with neither) goes to OpenBLAS
 * via CBLAS, single threaded: parallelism in optlab is across trials, one
 * per core.
 */
#include "gemm.h"
#include "nn_internal.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define NN_HAVE_X86 1
#else
#define NN_HAVE_X86 0
#endif

#if NN_HAVE_X86
#define AVX512 __attribute__((target("avx512f"), always_inline)) static inline

/* ---- broadcast kernel: C[M][N] (=|+=) A·B, A(m,k) = A[m·ars + k·acs] ---- */

AVX512 void bc_tile(int mr, int K, const float *A, long ars, long acs, const float *B, float *C,
                    long ldc, const __mmask16 mk[3], int accumulate, const float *bias, int relu) {
    __m512 c[8][3];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++)
#pragma GCC unroll 16
        for (int j = 0; j < 3; j++) c[i][j] = _mm512_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m512 b0 = _mm512_load_ps(B + k * 48);
        __m512 b1 = _mm512_load_ps(B + k * 48 + 16);
        __m512 b2 = _mm512_load_ps(B + k * 48 + 32);
        const float *a = A + (long)k * acs;
#pragma GCC unroll 16
        for (int i = 0; i < mr; i++) {
            __m512 av = _mm512_set1_ps(a[i * ars]);
            c[i][0] = _mm512_fmadd_ps(av, b0, c[i][0]);
            c[i][1] = _mm512_fmadd_ps(av, b1, c[i][1]);
            c[i][2] = _mm512_fmadd_ps(av, b2, c[i][2]);
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < mr; i++) {
        float *ci = C + (long)i * ldc;
        __m512 bv = _mm512_set1_ps(bias ? bias[i] : 0.0f);
#pragma GCC unroll 16
        for (int j = 0; j < 3; j++) {
            __m512 v = c[i][j];
            if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mk[j], ci + 16 * j));
            if (bias) v = _mm512_add_ps(v, bv);
            if (relu) v = _mm512_max_ps(v, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(ci + 16 * j, mk[j], v);
        }
    }
}

/* B panels are packed K_BLOCK rows × 48 columns at a time into this buffer:
 * B's rows are far apart (a whole batch of pixels), and reading them strided
 * once per M tile costs TLB and cache misses; packed, a panel sits in L1/L2. */
#define K_BLOCK 64
static __thread float bc_panel[K_BLOCK * 48] __attribute__((aligned(64)));

__attribute__((target("avx512f"))) static void bc_gemm(int M, int N, int K, const float *A,
                                                        long ars, long acs, const float *B,
                                                        long ldb, int accumulate, float *C,
                                                        long ldc, const float *bias, int relu) {
    for (int n = 0; n < N; n += 48) {
        int nr = N - n < 48 ? N - n : 48;
        __mmask16 mk[3];
        for (int j = 0; j < 3; j++) {
            int w = nr - 16 * j;
            mk[j] = w >= 16 ? 0xffff : w <= 0 ? 0 : (__mmask16)((1u << w) - 1);
        }
        for (int k0 = 0; k0 < K; k0 += K_BLOCK) {
            int kb = K - k0 < K_BLOCK ? K - k0 : K_BLOCK;
            for (int k = 0; k < kb; k++) {
                const float *src = B + (long)(k0 + k) * ldb + n;
                for (int j = 0; j < 3; j++)
                    _mm512_store_ps(bc_panel + k * 48 + 16 * j,
                                    _mm512_maskz_loadu_ps(mk[j], src + 16 * j));
            }
            int acc = accumulate || k0 > 0, last = k0 + kb == K;
            const float *bias_now = last ? bias : NULL;
            int relu_now = last && relu;
            for (int m = 0; m < M; m += 8) {
                const float *a = A + (long)m * ars + (long)k0 * acs;
                float *c = C + (long)m * ldc + n;
                switch (M - m < 8 ? M - m : 8) {
#define BC_CASE(r)                                                                      \
    case r:                                                                             \
        bc_tile(r, kb, a, ars, acs, bc_panel, c, ldc, mk, acc,                          \
                bias_now ? bias_now + m : NULL, relu_now);                              \
        break;
                BC_CASE(1) BC_CASE(2) BC_CASE(3) BC_CASE(4)
                BC_CASE(5) BC_CASE(6) BC_CASE(7) BC_CASE(8)
#undef BC_CASE
                }
            }
        }
    }
}

/* ---- dot kernel: C[M][N] (=|+=) A[M][K]·B[N][K]ᵀ, both rows contiguous in k ---- */

/*
 * The horizontal sums of 16 vectors at once, by a butterfly of 15 shuffle-
 * and-add steps: 16 separate reductions cost ~8 operations each, which for
 * the dot kernel's short K (Winograd and conv chunks of a few hundred) was a
 * third of its time. Lane 4q + e of the result holds the sum of v[4e + q].
 */
AVX512 __m512 reduce16(const __m512 *v) {
    __m512 s1[8], s2[4], s3[2];
    #pragma GCC unroll 8
    for (int i = 0; i < 8; i++) /* 256-bit halves: [a|b] partials of 8 lanes */
        s1[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44),
                              _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xee));
    #pragma GCC unroll 4
    for (int i = 0; i < 4; i++) /* 128-bit lanes: [a|b|c|d] partials of 4 lanes */
        s2[i] = _mm512_add_ps(_mm512_shuffle_f32x4(s1[2 * i], s1[2 * i + 1], 0x88),
                              _mm512_shuffle_f32x4(s1[2 * i], s1[2 * i + 1], 0xdd));
    #pragma GCC unroll 2
    for (int i = 0; i < 2; i++) /* pairs within 128-bit lanes */
        s3[i] = _mm512_add_ps(_mm512_shuffle_ps(s2[2 * i], s2[2 * i + 1], 0x44),
                              _mm512_shuffle_ps(s2[2 * i], s2[2 * i + 1], 0xee));
    return _mm512_add_ps(_mm512_shuffle_ps(s3[0], s3[1], 0x88),
                         _mm512_shuffle_ps(s3[0], s3[1], 0xdd));
}

AVX512 void dot_tile(int mr, int nr, int K, const float *A, long lda, const float *B, long ldb,
                     float *C, long ldc, int accumulate) {
    __m512 acc[4][6];
    #pragma GCC unroll 16
    for (int i = 0; i < 4; i++)
        #pragma GCC unroll 16
        for (int j = 0; j < 6; j++) acc[i][j] = _mm512_setzero_ps();
    int k = 0;
    for (; k + 16 <= K; k += 16) {
        __m512 a[4];
        #pragma GCC unroll 16
        for (int i = 0; i < mr; i++) a[i] = _mm512_loadu_ps(A + i * lda + k);
        #pragma GCC unroll 16
        for (int j = 0; j < nr; j++) {
            __m512 b = _mm512_loadu_ps(B + j * ldb + k);
            #pragma GCC unroll 16
            for (int i = 0; i < mr; i++) acc[i][j] = _mm512_fmadd_ps(a[i], b, acc[i][j]);
        }
    }
    if (k < K) {
        __mmask16 mk = (__mmask16)((1u << (K - k)) - 1);
        __m512 a[4];
        #pragma GCC unroll 16
        for (int i = 0; i < mr; i++) a[i] = _mm512_maskz_loadu_ps(mk, A + i * lda + k);
        #pragma GCC unroll 16
        for (int j = 0; j < nr; j++) {
            __m512 b = _mm512_maskz_loadu_ps(mk, B + j * ldb + k);
            #pragma GCC unroll 16
            for (int i = 0; i < mr; i++) acc[i][j] = _mm512_fmadd_ps(a[i], b, acc[i][j]);
        }
    }
    /* the 24 horizontal sums, 16 at a time (unused accumulators are zero) */
    __m512 v[32];
    #pragma GCC unroll 32
    for (int n = 0; n < 32; n++) v[n] = n < 24 ? acc[n / 6][n % 6] : _mm512_setzero_ps();
    float s[32];
    _mm512_storeu_ps(s, reduce16(v));
    if ((mr - 1) * 6 + nr > 16) _mm512_storeu_ps(s + 16, reduce16(v + 16));
    #pragma GCC unroll 16
    for (int i = 0; i < mr; i++)
        #pragma GCC unroll 16
        for (int j = 0; j < nr; j++) {
            int n = i * 6 + j;
            float sum = s[(n & ~15) + 4 * (n % 4) + (n % 16) / 4];
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + sum : sum;
        }
}

__attribute__((target("avx512f"))) static void dot_gemm(int M, int N, int K, const float *A,
                                                         long lda, const float *B, long ldb,
                                                         int accumulate, float *C, long ldc) {
    /* K blocks sized so one block of both operands stays in L2 */
    long per_k = (long)(M + N) * 4;
    int kc = (int)((512L * 1024) / per_k) / 16 * 16;
    if (kc < 1024) kc = 1024; /* fewer horizontal reductions; chunks keep K moderate */
    for (int k0 = 0; k0 < K; k0 += kc) {
        int kb = K - k0 < kc ? K - k0 : kc;
        int acc = accumulate || k0 > 0;
        for (int m = 0; m < M; m += 4) {
            int mr = M - m < 4 ? M - m : 4;
            for (int n = 0; n < N; n += 6) {
                int nr = N - n < 6 ? N - n : 6;
                const float *a = A + (long)m * lda + k0, *b = B + (long)n * ldb + k0;
                float *c = C + (long)m * ldc + n;
                switch (mr * 8 + nr) {
#define DOT_CASE(r, s) case r * 8 + s: dot_tile(r, s, kb, a, lda, b, ldb, c, ldc, acc); break;
#define DOT_ROW(r) DOT_CASE(r, 1) DOT_CASE(r, 2) DOT_CASE(r, 3) DOT_CASE(r, 4) DOT_CASE(r, 5) DOT_CASE(r, 6)
                DOT_ROW(1) DOT_ROW(2) DOT_ROW(3) DOT_ROW(4)
#undef DOT_ROW
#undef DOT_CASE
                }
            }
        }
    }
}

/* ---- AVX2 + FMA kernels, for CPUs without AVX-512 (same shapes, 8 lanes) ---- */

#define AVX2 __attribute__((target("avx2,fma"), always_inline)) static inline

/* Lane mask of the first w (0..8) lanes, for maskload/maskstore. */
AVX2 __m256i avx2_lanes(int w) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(w), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/*
 * Broadcast tile: C[mr ≤ 6][16] (=|+=) A·panel, the panel K rows of 16 floats.
 * 12 accumulators, two B vectors and one broadcast: 15 of the 16 registers.
 */
AVX2 void bc_tile_avx2(int mr, int K, const float *A, long ars, long acs, const float *B,
                       float *C, long ldc, const __m256i mk[2], int full, int accumulate,
                       const float *bias, int relu) {
    __m256 c[6][2];
#pragma GCC unroll 8
    for (int i = 0; i < 6; i++)
#pragma GCC unroll 2
        for (int j = 0; j < 2; j++) c[i][j] = _mm256_setzero_ps();
    for (int k = 0; k < K; k++) {
        __m256 b0 = _mm256_load_ps(B + k * 16);
        __m256 b1 = _mm256_load_ps(B + k * 16 + 8);
        const float *a = A + (long)k * acs;
#pragma GCC unroll 8
        for (int i = 0; i < mr; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * ars);
            c[i][0] = _mm256_fmadd_ps(av, b0, c[i][0]);
            c[i][1] = _mm256_fmadd_ps(av, b1, c[i][1]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < mr; i++) {
        float *ci = C + (long)i * ldc;
        __m256 bv = _mm256_set1_ps(bias ? bias[i] : 0.0f);
#pragma GCC unroll 2
        for (int j = 0; j < 2; j++) {
            __m256 v = c[i][j];
            if (accumulate)
                v = _mm256_add_ps(v, full ? _mm256_loadu_ps(ci + 8 * j)
                                          : _mm256_maskload_ps(ci + 8 * j, mk[j]));
            if (bias) v = _mm256_add_ps(v, bv);
            if (relu) v = _mm256_max_ps(v, _mm256_setzero_ps());
            if (full) _mm256_storeu_ps(ci + 8 * j, v);
            else _mm256_maskstore_ps(ci + 8 * j, mk[j], v);
        }
    }
}

/* B panels of the AVX2 kernel: K_BLOCK_AVX2 rows × 16 columns (8 KB, in L1). */
#define K_BLOCK_AVX2 128
static __thread float bc_panel_avx2[K_BLOCK_AVX2 * 16] __attribute__((aligned(32)));

/* bc_gemm with 6×16 register tiles: C (=|+=) op(A)·B (+ bias, ReLU), any M, N ≥ 1. */
__attribute__((target("avx2,fma"))) static void bc_gemm_avx2(int M, int N, int K, const float *A,
                                                              long ars, long acs, const float *B,
                                                              long ldb, int accumulate, float *C,
                                                              long ldc, const float *bias,
                                                              int relu) {
    for (int n = 0; n < N; n += 16) {
        int nr = N - n < 16 ? N - n : 16, full = nr == 16;
        __m256i mk[2] = {avx2_lanes(nr), avx2_lanes(nr - 8)};
        for (int k0 = 0; k0 < K; k0 += K_BLOCK_AVX2) {
            int kb = K - k0 < K_BLOCK_AVX2 ? K - k0 : K_BLOCK_AVX2;
            for (int k = 0; k < kb; k++) {
                const float *src = B + (long)(k0 + k) * ldb + n;
                float *dst = bc_panel_avx2 + k * 16;
                if (full) {
                    _mm256_store_ps(dst, _mm256_loadu_ps(src));
                    _mm256_store_ps(dst + 8, _mm256_loadu_ps(src + 8));
                } else {
                    _mm256_store_ps(dst, _mm256_maskload_ps(src, mk[0]));
                    _mm256_store_ps(dst + 8, _mm256_maskload_ps(src + 8, mk[1]));
                }
            }
            int acc = accumulate || k0 > 0, last = k0 + kb == K;
            const float *bias_now = last ? bias : NULL;
            int relu_now = last && relu;
            for (int m = 0; m < M; m += 6) {
                const float *a = A + (long)m * ars + (long)k0 * acs;
                float *c = C + (long)m * ldc + n;
                switch (M - m < 6 ? M - m : 6) {
#define BC_CASE(r)                                                                      \
    case r:                                                                             \
        bc_tile_avx2(r, kb, a, ars, acs, bc_panel_avx2, c, ldc, mk, full, acc,          \
                     bias_now ? bias_now + m : NULL, relu_now);                         \
        break;
                BC_CASE(1) BC_CASE(2) BC_CASE(3) BC_CASE(4) BC_CASE(5) BC_CASE(6)
#undef BC_CASE
                }
            }
        }
    }
}

/* Horizontal sums of 8 vectors: lane i of the result is the sum of v[i]'s lanes. */
AVX2 __m256 reduce8_avx2(const __m256 *v) {
    __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
    __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* Dot tile: C[mr ≤ 3][nr ≤ 4] (=|+=) A·Bᵀ over K, 8-wide partial sums (12 accumulators). */
AVX2 void dot_tile_avx2(int mr, int nr, int K, const float *A, long lda, const float *B, long ldb,
                        float *C, long ldc, int accumulate) {
    __m256 acc[3][4];
#pragma GCC unroll 4
    for (int i = 0; i < 3; i++)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) acc[i][j] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 a[3];
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) a[i] = _mm256_loadu_ps(A + i * lda + k);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) {
            __m256 b = _mm256_loadu_ps(B + j * ldb + k);
#pragma GCC unroll 4
            for (int i = 0; i < mr; i++) acc[i][j] = _mm256_fmadd_ps(a[i], b, acc[i][j]);
        }
    }
    if (k < K) {
        __m256i mk = avx2_lanes(K - k);
        __m256 a[3];
#pragma GCC unroll 4
        for (int i = 0; i < mr; i++) a[i] = _mm256_maskload_ps(A + i * lda + k, mk);
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) {
            __m256 b = _mm256_maskload_ps(B + j * ldb + k, mk);
#pragma GCC unroll 4
            for (int i = 0; i < mr; i++) acc[i][j] = _mm256_fmadd_ps(a[i], b, acc[i][j]);
        }
    }
    /* the 12 sums, 8 at a time: s[i·4 + j] (unused accumulators are zero) */
    __m256 v[16];
#pragma GCC unroll 16
    for (int n = 0; n < 16; n++) v[n] = n < 12 ? acc[n / 4][n % 4] : _mm256_setzero_ps();
    float s[16];
    _mm256_storeu_ps(s, reduce8_avx2(v));
    if (mr > 2) _mm256_storeu_ps(s + 8, reduce8_avx2(v + 8));
#pragma GCC unroll 4
    for (int i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (int j = 0; j < nr; j++) {
            float sum = s[i * 4 + j];
            C[i * ldc + j] = accumulate ? C[i * ldc + j] + sum : sum;
        }
}

/* dot_gemm with 3×4 tiles of 8-wide partial sums: C (=|+=) A·Bᵀ. */
__attribute__((target("avx2,fma"))) static void dot_gemm_avx2(int M, int N, int K, const float *A,
                                                               long lda, const float *B, long ldb,
                                                               int accumulate, float *C, long ldc) {
    long per_k = (long)(M + N) * 4;
    int kc = (int)((512L * 1024) / per_k) / 8 * 8;
    if (kc < 1024) kc = 1024;
    for (int k0 = 0; k0 < K; k0 += kc) {
        int kb = K - k0 < kc ? K - k0 : kc;
        int acc = accumulate || k0 > 0;
        for (int m = 0; m < M; m += 3) {
            int mr = M - m < 3 ? M - m : 3;
            for (int n = 0; n < N; n += 4) {
                int nr = N - n < 4 ? N - n : 4;
                const float *a = A + (long)m * lda + k0, *b = B + (long)n * ldb + k0;
                float *c = C + (long)m * ldc + n;
                switch (mr * 8 + nr) {
#define DOT_CASE(r, s) case r * 8 + s: dot_tile_avx2(r, s, kb, a, lda, b, ldb, c, ldc, acc); break;
#define DOT_ROW(r) DOT_CASE(r, 1) DOT_CASE(r, 2) DOT_CASE(r, 3) DOT_CASE(r, 4)
                DOT_ROW(1) DOT_ROW(2) DOT_ROW(3)
#undef DOT_ROW
#undef DOT_CASE
                }
            }
        }
    }
}

/* OPTLAB_NN_KERNELS=generic in the environment: behave as on a CPU without
 * AVX-512 or AVX2 (OpenBLAS and plain C), for results comparable with that
 * path's (tests/experiment/identical_results.sh). Read once. */
static int env_generic(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *s = getenv("OPTLAB_NN_KERNELS");
        cached = s && !strcmp(s, "generic") ? 1 : 0;
    }
    return cached;
}

static int have_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && !env_generic() ? 1 : 0;
    }
    return cached;
}

static int have_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && !env_generic() ? 1 : 0;
    }
    return cached;
}
#endif

int nn_gemm_own_kernels = -1; /* -1: decide by CPU; 0: always CBLAS (tests) */

void nn_sgemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc) {
#if NN_HAVE_X86
    int own = nn_gemm_own_kernels < 0 ? have_avx512() : nn_gemm_own_kernels && have_avx512();
    if (own && (beta == 0.0f || beta == 1.0f) && M >= 8) {
        if (!tb && N >= 48) {
            /* op(A)(m,k): row-major A[m·lda + k], or transposed storage A[k·lda + m] */
            long ars = ta ? 1 : lda, acs = ta ? lda : 1;
            bc_gemm(M, N, K, A, ars, acs, B, ldb, beta != 0.0f, C, ldc, NULL, 0);
            return;
        }
        if (!ta && tb && K >= 64) {
            dot_gemm(M, N, K, A, lda, B, ldb, beta != 0.0f, C, ldc);
            return;
        }
    }
    if (!own && nn_use_avx2() && (beta == 0.0f || beta == 1.0f) && M >= 6) {
        if (!tb && N >= 16) {
            long ars = ta ? 1 : lda, acs = ta ? lda : 1;
            bc_gemm_avx2(M, N, K, A, ars, acs, B, ldb, beta != 0.0f, C, ldc, NULL, 0);
            return;
        }
        if (!ta && tb && K >= 32) {
            dot_gemm_avx2(M, N, K, A, lda, B, ldb, beta != 0.0f, C, ldc);
            return;
        }
    }
#endif
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M,
                N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
}

void nn_sgemm_bias_act(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float *C, int ldc, const float *bias, int relu) {
#if NN_HAVE_X86
    int own = nn_gemm_own_kernels < 0 ? have_avx512() : nn_gemm_own_kernels && have_avx512();
    if (own && M >= 8 && N >= 48) {
        bc_gemm(M, N, K, A, lda, 1, B, ldb, 0, C, ldc, bias, relu);
        return;
    }
    if (!own && nn_use_avx2() && M >= 6 && N >= 16) {
        bc_gemm_avx2(M, N, K, A, lda, 1, B, ldb, 0, C, ldc, bias, relu);
        return;
    }
#endif
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C,
                ldc);
    for (int m = 0; m < M; m++) {
        float *c = C + (long)m * ldc, bm = bias[m];
        if (relu)
            for (int n = 0; n < N; n++) c[n] = c[n] + bm > 0.0f ? c[n] + bm : 0.0f;
        else
            for (int n = 0; n < N; n++) c[n] += bm;
    }
}

int nn_cpu_has_avx512(void) {
#if NN_HAVE_X86
    return have_avx512();
#else
    return 0;
#endif
}

int nn_use_avx512(void) {
    return nn_gemm_own_kernels != 0 && nn_cpu_has_avx512();
}

int nn_cpu_has_avx2(void) {
#if NN_HAVE_X86
    return !have_avx512() && have_avx2_fma();
#else
    return 0;
#endif
}

int nn_use_avx2(void) {
    return nn_gemm_own_kernels != 0 && nn_cpu_has_avx2();
}
