// GradientAverager: bucketed gradient averaging and root broadcasts for data-parallel training
// (see gradient_averager.h). Everything runs on the tensors' own device, so with the nccl backend
// the copies and the allreduce are queued on the same CUDA stream and the host never waits.
#include "worker/comm/gradient_averager.h"

#include <string>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>

#include "common/error.h"
#include "worker/comm/collective_tensor_check.h"

namespace segsweep {
GradientAverager::GradientAverager(Communicator& comm, std::vector<at::Tensor> parameters, size_t bucket_bytes)
    : comm_(comm), parameters_(std::move(parameters)) {
    if (bucket_bytes == 0) throw Error("GradientAverager: bucket_bytes must be positive");
    size_t bucket_bytes_used = 0;
    for (size_t i = 0; i < parameters_.size(); ++i) {
        const at::Tensor& parameter = parameters_[i];
        if (!parameter.defined()) throw Error("GradientAverager: parameter " + std::to_string(i) + " is undefined");
        if (!parameter.is_floating_point()) {
            throw Error("GradientAverager: parameter " + std::to_string(i) + " is a " + describe_tensor(parameter) +
                        "; gradients need a floating-point type");
        }
        const size_t bytes = static_cast<size_t>(parameter.numel()) * parameter.element_size();
        bool fits = false;
        if (!buckets_.empty()) {
            const at::Tensor& first = parameters_[buckets_.back().parameter_indices.front()];
            fits = first.scalar_type() == parameter.scalar_type() && first.device() == parameter.device() &&
                   bucket_bytes_used + bytes <= bucket_bytes;
        }
        if (!fits) {
            buckets_.emplace_back();
            bucket_bytes_used = 0;
        }
        buckets_.back().parameter_indices.push_back(i);
        buckets_.back().elements += parameter.numel();
        bucket_bytes_used += bytes;
    }
    if (comm_.size() > 1) check_same_layout_as_root();
}

void GradientAverager::check_same_layout_as_root() {
    std::string layout = std::to_string(parameters_.size()) + " parameters, buckets of";
    for (const Bucket& bucket : buckets_) {
        const at::Tensor& first = parameters_[bucket.parameter_indices.front()];
        layout.append(" ").append(std::to_string(bucket.parameter_indices.size()));
        layout.append("x").append(c10::toString(first.scalar_type()));
        layout.append("/").append(std::to_string(bucket.elements));
    }
    std::string root_layout = layout;
    comm_.broadcast_string(root_layout, 0);
    if (root_layout != layout) {
        throw Error("GradientAverager: rank " + std::to_string(comm_.rank()) + "'s parameters (" + layout +
                    ") differ from rank 0's (" + root_layout + "): every rank must pass the same parameters in "
                    "the same order");
    }
}

void GradientAverager::broadcast_from_root(std::vector<at::Tensor>& tensors) {
    if (comm_.size() == 1) return;
    at::NoGradGuard no_grad;
    for (at::Tensor& tensor : tensors) {
        at::Tensor packed = tensor.contiguous();  // the tensor itself unless it is strided
        comm_.broadcast(packed, 0);
        if (!packed.is_same(tensor)) tensor.copy_(packed);
    }
}

void GradientAverager::average_gradients() {
    if (comm_.size() == 1) return;
    at::NoGradGuard no_grad;
    for (Bucket& bucket : buckets_) {
        if (!bucket.buffer.defined()) allocate_buffer(bucket);
        for (size_t i = 0; i < bucket.parameter_indices.size(); ++i) {
            const at::Tensor& grad = parameters_[bucket.parameter_indices[i]].grad();
            if (grad.defined()) {
                bucket.slots[i].copy_(grad);
            } else {
                bucket.slots[i].zero_();
            }
        }

        comm_.allreduce_sum(bucket.buffer);
        bucket.buffer.div_(comm_.size());

        for (size_t i = 0; i < bucket.parameter_indices.size(); ++i) {
            const at::Tensor& parameter = parameters_[bucket.parameter_indices[i]];
            if (parameter.grad().defined()) {
                parameter.mutable_grad().copy_(bucket.slots[i]);
            } else {
                parameter.mutable_grad() = bucket.slots[i].clone();
            }
        }
    }
}

void GradientAverager::allocate_buffer(Bucket& bucket) {
    const at::Tensor& first = parameters_[bucket.parameter_indices.front()];
    bucket.buffer = at::empty({bucket.elements}, first.options());
    int64_t offset = 0;
    for (size_t index : bucket.parameter_indices) {
        const at::Tensor& parameter = parameters_[index];
        bucket.slots.push_back(bucket.buffer.narrow(0, offset, parameter.numel()).view(parameter.sizes()));
        offset += parameter.numel();
    }
}

void GradientAverager::average_tensors(std::vector<at::Tensor>& tensors) {
    if (comm_.size() == 1) return;
    at::NoGradGuard no_grad;
    const int size = comm_.size();
    for (at::Tensor& tensor : tensors) {
        at::Tensor packed = tensor.contiguous();  // the tensor itself unless it is strided
        comm_.allreduce_sum(packed);
        if (packed.is_floating_point()) {
            packed.div_(size);
        } else {
            packed.div_(size, "floor");
        }
        if (!packed.is_same(tensor)) tensor.copy_(packed);
    }
}

}  // namespace segsweep
