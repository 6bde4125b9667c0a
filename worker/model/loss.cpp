// Keras categorical cross-entropy on probabilities (see loss.h).
#include "worker/model/loss.h"

#include <ATen/ATen.h>

#include "common/error.h"

namespace segsweep {
namespace {

at::Tensor per_pixel_crossentropy(const at::Tensor& probabilities, const at::Tensor& targets) {
    if (!probabilities.sizes().equals(targets.sizes()))
        throw Error("categorical_crossentropy: probabilities " + c10::str(probabilities.sizes()) +
                    " and targets " + c10::str(targets.sizes()) + " differ in shape");
    at::Tensor p = probabilities / probabilities.sum(1, /*keepdim=*/true);
    p = p.clamp(kKerasEpsilon, 1.0 - kKerasEpsilon);
    return -(targets * p.log()).sum(1);
}

}  // namespace

at::Tensor categorical_crossentropy(const at::Tensor& probabilities, const at::Tensor& targets) {
    return per_pixel_crossentropy(probabilities, targets).mean();
}

at::Tensor categorical_crossentropy_sum(const at::Tensor& probabilities, const at::Tensor& targets) {
    return per_pixel_crossentropy(probabilities, targets).sum();
}

}  // namespace segsweep
