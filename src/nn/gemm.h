/*
 * GEMM glue of the nn layer (internal): C = A·B + beta·C in row-major
 * storage, with optional transposes, dispatched to our own kernels or CBLAS.
 */
#ifndef OPTLAB_NN_GEMM_H
#define OPTLAB_NN_GEMM_H

/* C[M][N] = op(A)[M][K] · op(B)[K][N] + beta·C. ta/tb: 1 = transposed storage. */
void nn_sgemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

/* C[M][N] = A[M][K]·B[K][N] + bias[m] per row, then max(0, ·) when relu:
 * the convolution forward with its bias and a following ReLU fused in. */
void nn_sgemm_bias_act(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float *C, int ldc, const float *bias, int relu);

/* 1 when the CPU runs AVX-512F (checked once). */
int nn_cpu_has_avx512(void);

/* 1 when the CPU runs AVX2 and FMA but not AVX-512F (checked once): the
 * AVX2 kernels' case. */
int nn_cpu_has_avx2(void);

/* -1 (default): own kernels when the CPU has them (AVX-512, else AVX2+FMA);
 * 0: always CBLAS and plain C, the generic path (lets a test compare them).
 * The environment variable OPTLAB_NN_KERNELS=generic makes the CPU checks
 * report neither AVX-512 nor AVX2, so -1 then means the generic path too. */
extern int nn_gemm_own_kernels;

/* Winograd for 3×3 convolutions (winograd.c, winograd4.c): -1 (default) the
 * per-layer choice of nn_wino_applies (own AVX-512 kernels, >= 4 input
 * channels: F(4×4,3×3) on outputs >= 8×8, F(2×2,3×3) on outputs 4 to 7
 * wide); 0: never; 1: F(2×2,3×3) on every 3×3 conv; 2: F(4×4,3×3) on every
 * 3×3 conv. Read when a model is created (lets a test compare each with the
 * direct form). */
extern int nn_winograd;

#endif
