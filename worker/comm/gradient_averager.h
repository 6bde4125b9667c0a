// GradientAverager: keeps the replicas of a data-parallel model identical. At start it broadcasts
// every parameter (and buffer) from rank 0; after each backward it averages the gradients over
// the ranks by allreduce over flattened buckets (DDP/Horovod tensor fusion: one collective per
// bucket of at most bucket_bytes, gradients packed in registration order). With a single rank
// every call returns at once.
#pragma once

#include <cstddef>
#include <vector>

#include <ATen/core/Tensor.h>

#include "worker/comm/communicator.h"

namespace segsweep {

constexpr size_t kDefaultGradientBucketBytes = 25u << 20;  // bytes; PyTorch DDP's kDefaultBucketBytesCap

class GradientAverager {
public:
    // `parameters`: the trainable tensors whose .grad() is averaged (same order on every rank).
    // Buckets hold consecutive parameters of one dtype and device up to bucket_bytes; a larger
    // parameter gets a bucket of its own. With several ranks this is a collective: every rank
    // checks that its parameter list matches rank 0's.
    GradientAverager(Communicator& comm, std::vector<at::Tensor> parameters,
                     size_t bucket_bytes = kDefaultGradientBucketBytes);

    // Every rank's tensors become rank 0's (parameters at start, or BN buffers).
    void broadcast_from_root(std::vector<at::Tensor>& tensors);
    // grad = mean over ranks of grad, for every parameter. A missing grad counts as zeros (and
    // is created, so every replica takes the same step). Per bucket: copy the grads into the flat
    // buffer, one allreduce_sum, divide by size, copy back. The result is bit-identical on all ranks.
    void average_gradients();
    // tensor = mean over ranks of tensor, for each (used for BatchNorm running statistics);
    // integer tensors (num_batches_tracked) are divided rounding down.
    void average_tensors(std::vector<at::Tensor>& tensors);

    int bucket_count() const { return static_cast<int>(buckets_.size()); }

private:
    struct Bucket {
        std::vector<size_t> parameter_indices;  // into parameters_
        int64_t elements = 0;
        at::Tensor buffer;               // the flat gradients of the bucket; allocated on first use, then reused
        std::vector<at::Tensor> slots;   // views of buffer shaped like each parameter (same order)
    };
    // Each rank compares its parameter layout with rank 0's; a mismatch would pair the wrong
    // gradients, so it throws segsweep::Error naming both layouts.
    void check_same_layout_as_root();
    void allocate_buffer(Bucket& bucket);  // the flat buffer and its per-parameter views

    Communicator& comm_;
    std::vector<at::Tensor> parameters_;
    std::vector<Bucket> buckets_;
};

}  // namespace segsweep
