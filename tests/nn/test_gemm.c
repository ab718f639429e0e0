/*
 * The nn layer's own GEMM kernels (src/nn/gemm.c: AVX-512 when the CPU has
 * it, else AVX2+FMA) against OpenBLAS on every case they take: op(A)·B with
 * A plain or transposed, A·Bᵀ with a long K, beta 0 and 1, the fused
 * bias+ReLU epilogue, and sizes that leave partial register tiles (8×48 and
 * 4×6 with AVX-512, 6×16 and 3×4 with AVX2), K tails and K blocks.
 * On a CPU with neither both paths are OpenBLAS and the test is trivial.
 * Tolerance: both sides sum K products in float in different orders (FMA or
 * not, blocked differently), so each differs from the exact sum by about
 * K·2⁻²⁴·Σ|a·b| in the worst case and √K times that typically; with |a|,
 * |b| < 1 that is ~1e-5·√K at most for these K.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "optlab/core.h"
#include "../src/nn/gemm.h"

static float *rnd(size_t n, ol_rng *r) {
    float *p = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) p[i] = (float)(2 * ol_rng_uniform(r) - 1);
    return p;
}

static void check(int ta, int tb, int M, int N, int K, float beta, int epilogue) {
    ol_rng r;
    ol_rng_seed(&r, (uint64_t)(M * 7919 + N * 31 + K));
    float *A = rnd((size_t)M * K, &r), *B = rnd((size_t)K * N, &r), *bias = rnd(M, &r);
    float *C0 = rnd((size_t)M * N, &r), *C1 = malloc(sizeof(float) * M * N);
    for (int i = 0; i < M * N; i++) C1[i] = C0[i];
    int lda = ta ? M : K, ldb = tb ? K : N;
    nn_gemm_own_kernels = 0;
    if (epilogue) nn_sgemm_bias_act(M, N, K, A, K, B, N, C0, N, bias, epilogue == 2);
    else nn_sgemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C0, N);
    nn_gemm_own_kernels = -1;
    if (epilogue) nn_sgemm_bias_act(M, N, K, A, K, B, N, C1, N, bias, epilogue == 2);
    else nn_sgemm(ta, tb, M, N, K, A, lda, B, ldb, beta, C1, N);
    for (int i = 0; i < M * N; i++)
        cr_assert(fabsf(C0[i] - C1[i]) <= 1e-5f * (1 + sqrtf((float)K)),
                  "ta=%d tb=%d M=%d N=%d K=%d beta=%g epi=%d: C[%d] blas %g own %g", ta, tb, M, N,
                  K, beta, epilogue, i, C0[i], C1[i]);
    free(A); free(B); free(bias); free(C0); free(C1);
}

Test(gemm, broadcast_kernel_matches_blas) {
    int shapes[][3] = {{8, 48, 1}, {9, 49, 9}, {32, 100, 9}, {64, 150, 288}, {13, 97, 300},
                       {20, 63, 513}, {64, 48, 64},
                       {6, 16, 1}, {7, 17, 3}, {12, 33, 129}, {5, 40, 50}, {64, 144, 256}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int b = 0; b < 2; b++)
                check(ta, 0, shapes[s][0], shapes[s][1], shapes[s][2], (float)b, 0);
}

Test(gemm, fused_bias_relu_matches_blas) {
    check(0, 0, 64, 150, 288, 0, 1);
    check(0, 0, 11, 61, 300, 0, 2);
    check(0, 0, 32, 200, 9, 0, 2);
    check(0, 0, 7, 23, 9, 0, 2); /* AVX2: partial 6×16 tiles in both directions */
    check(0, 0, 6, 16, 5, 0, 1);
    check(0, 0, 3, 5, 4, 0, 2); /* too small for our kernels: BLAS + loop on both sides */
}

Test(gemm, dot_kernel_matches_blas) {
    int shapes[][3] = {{64, 288, 300}, {32, 9, 1000}, {13, 7, 257}, {9, 23, 600}, {40, 700, 900},
                       {3, 4, 32}, {7, 5, 33}, {6, 9, 71}, {64, 32, 2000}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int b = 0; b < 2; b++)
            check(0, 1, shapes[s][0], shapes[s][1], shapes[s][2], (float)b, 0);
}
