// Row-major single-precision matrix multiplies for the fast FCN path, on oneDNN's sgemm
// (dnnl_sgemm: JIT kernels for the CPU it runs on, AVX-512 included). Inside a parallel region
// each call runs on the calling thread; outside one it uses oneDNN's OpenMP threads.
// Compiled only when oneDNN is found (SEGSWEEP_HAVE_DNNL); see fast_fcn.h.
#pragma once

#include <cstdint>

namespace segsweep::fast {

// C[m,n] = A[m,k] * B[n,k]^T + beta * C        (B stored as n rows of k)
void gemm_a_bt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
               float beta, float* c, int64_t ldc);
// C[m,n] = A[m,k] * B[k,n] + beta * C
void gemm_a_b(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
              float beta, float* c, int64_t ldc);
// C[m,n] = A[k,m]^T * B[k,n] + beta * C         (A stored as k rows of m)
void gemm_at_b(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
               float beta, float* c, int64_t ldc);

}  // namespace segsweep::fast
