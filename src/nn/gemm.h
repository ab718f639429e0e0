/*
 * GEMM glue of the nn layer (internal): C = A·B + beta·C in row-major
 * storage, with optional transposes, dispatched to our own kernels or CBLAS.
 */
#ifndef OPTLAB_NN_GEMM_H
#define OPTLAB_NN_GEMM_H

#include <stdint.h>

/* C[M][N] = op(A)[M][K] · op(B)[K][N] + beta·C. ta/tb: 1 = transposed storage. */
void nn_sgemm(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

/* C[M][N] = A[M][K]·B[K][N] + bias[m] per row, then max(0, ·) when relu:
 * the convolution forward with its bias and a following ReLU fused in. */
void nn_sgemm_bias_act(int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                       float *C, int ldc, const float *bias, int relu);

/*
 * Implicit im2col for a convolution without padding whose output plane
 * (P = Ho·Wo pixels) is a whole number of 16-pixel vectors: vector q of a
 * plane takes its 16 pixels from the 32 input floats at base[q] (+ the
 * kernel offset ky·W + kx) through the permute idx[q]; lm0/lm1 mask the two
 * 16-float loads to the span actually needed (no read past the input).
 */
typedef struct {
    const float *in;  /* conv input; channel stride cs, image stride bs */
    long cs, bs;
    int W, k, nvec;   /* input width, kernel size, vectors per output plane */
    int base[64];
    int32_t idx[64][16];
    uint16_t lm0[64], lm1[64];
} nn_im2col_plan;

/* C = W·im2col(in) + bias (max(0, ·) when relu) with the columns gathered on
 * the fly; returns 0 (doing nothing) when the own kernels cannot take it. */
int nn_sgemm_im2col_bias_act(int M, int N, int K, const float *A, int lda,
                             const nn_im2col_plan *plan, float *C, int ldc, const float *bias,
                             int relu);

/* 1 when the CPU runs AVX-512F (checked once). */
int nn_cpu_has_avx512(void);

/* -1 (default): own AVX-512 kernels when the CPU has them; 0: always CBLAS
 * (lets a test compare the two paths). */
extern int nn_gemm_own_kernels;

#endif
