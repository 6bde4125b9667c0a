// The two implementations of the fast FCN kernels, with the signatures of fast_kernels.h:
//   avx512::   AVX-512 intrinsics (fast_kernels_avx512.cpp), callable only on a CPU with AVX-512F,
//              AVX2 and FMA;
//   portable:: plain C++ loops (fast_kernels_portable.cpp), for any CPU.
// Only the dispatcher (fast_kernels.cpp) and the variant files include this.
#pragma once

#include <cstdint>

namespace segsweep::fast::avx512 {
#include "worker/model/fast/fast_kernel_list.inc"
}  // namespace segsweep::fast::avx512

namespace segsweep::fast::portable {
#include "worker/model/fast/fast_kernel_list.inc"
}  // namespace segsweep::fast::portable
