// oneDNN-backed row-major sgemm wrappers (see fast_gemm.h), each call checked by DNNL_CHECK.
#include "worker/model/fast/fast_gemm.h"

#include <oneapi/dnnl/dnnl.h>

#include <string>

#include "common/error.h"

// Reports the failed oneDNN call, where it was made, and oneDNN's status code.
#define DNNL_CHECK(call)                                                                          \
    do {                                                                                          \
        const dnnl_status_t dnnl_check_status = (call);                                           \
        if (dnnl_check_status != dnnl_success)                                                    \
            throw ::segsweep::Error(std::string(#call) + " failed at " + __FILE__ + ":" +          \
                                    std::to_string(__LINE__) + ": dnnl status " +                 \
                                    std::to_string(static_cast<int>(dnnl_check_status)));         \
    } while (0)

namespace segsweep::fast {

void gemm_a_bt(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
               float beta, float* c, int64_t ldc) {
    DNNL_CHECK(dnnl_sgemm('N', 'T', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc));
}

void gemm_a_b(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
              float beta, float* c, int64_t ldc) {
    DNNL_CHECK(dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc));
}

void gemm_at_b(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb,
               float beta, float* c, int64_t ldc) {
    DNNL_CHECK(dnnl_sgemm('T', 'N', m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc));
}

}  // namespace segsweep::fast
