// BatchLoader: Keras-style batches of training tensors from an in-memory ImageSet, the part of
// worker/data that uses torch.
//
// Order (Keras 2.0 preprocessing.image.Iterator, which the original BatchIteratorSimple subclasses):
// an endless stream of global batches. Each pass over the n images is a fresh permutation (drawn
// from seed and pass number; the identity when shuffle is off), cut into ceil(n/batch_size)
// batches; the last batch of a pass is short when batch_size does not divide n. An "epoch" is
// steps_per_epoch batches of that stream, not a pass (steps_per_epoch() below gives Keras' count).
//
// Data parallel: every rank runs its own loader over the same stream with its rank/ranks; global
// batch k is cut into `ranks` contiguous slices, rank r taking positions [g*r/ranks, g*(r+1)/ranks)
// of the g images (a slice can be empty when g < ranks). Weight each rank's mean loss by
// slice/g to reproduce the single-rank batch mean exactly.
//
// Tensors: x [b,3,H,W] float32 = (pixel/255 - 0.5)*2 in float32 as preprocess_input computes it;
// y [b,3,H,W] float32 one-hot 0/1 (channel 0 background, 1 people, 2 hero). With channels_last the
// shapes are the same and the memory format is torch's ChannelsLast (NHWC), which is the ImageSet's
// own layout and the fast one for the FCN's convolutions on CPU.
//
// Augmentation (training only; each image's draws depend only on seed, batch number and position,
// so the worker count, rank count and a resume do not change them): `flip` mirrors left-right
// with probability 0.5; `shift_aug` is the original's shift_and_pad_augmentation: a random crop
// rows [ry1, min(ry1+ry2, H)) with ry1 in [0, int(0.15H)), ry2 in [int(0.85H), H) (columns alike),
// pasted at a random offset in [0, H - patch_h) on a black image whose mask is background.
//
// Threads: `workers` threads build upcoming batches (up to kPrefetchBatchesPerWorker each ahead);
// batches come out in stream order whatever the worker count. workers = 0 builds in next().
//
// Resume: state() is a JSON object (batches delivered so far plus the settings that fix the
// stream); restore(state) continues the stream exactly where it stopped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include "worker/data/image_set.h"

namespace segsweep {

inline constexpr int kPrefetchBatchesPerWorker = 2;  // batches each loader thread may build ahead
inline constexpr double kShiftCropMaxStart = 0.15;   // shift_and_pad: crop start < int(0.15*side)
inline constexpr double kShiftCropMinSpan = 0.85;    // shift_and_pad: crop span >= int(0.85*side)

// Keras' fit_generator count: `configured` when > 0, else ceil(n / batch_size).
int64_t steps_per_epoch(int configured, int64_t n, int batch_size);

struct BatchLoaderOptions {
    int batch_size = 64;         // global batch (all ranks together), >= 1
    bool shuffle = true;         // a new permutation each pass (the validation iterator shuffles too)
    uint64_t seed = 0;
    int workers = 2;             // loader threads; 0 = build in next()'s thread
    bool flip = false;           // random left-right flip
    bool shift_aug = false;      // the original's shift-and-pad augmentation
    bool channels_last = false;  // x and y in torch's ChannelsLast memory format
    int rank = 0;                // this rank's slice of each global batch
    int ranks = 1;
};

struct Batch {
    at::Tensor x;                // [b,3,H,W] float32 in [-1,1]; b = this rank's slice
    at::Tensor y;                // [b,3,H,W] float32 one-hot
    int64_t number = 0;          // index of the global batch in the stream, from 0
    int global_size = 0;         // images in the whole global batch (all ranks)
    int offset = 0;              // position of this rank's first image in the global batch
    bool ends_pass = false;      // last batch of a pass over the set
    std::vector<int> indices;    // ImageSet indices of this rank's images, in order
};

class BatchLoader {
public:
    // Keeps a reference to `set`, which must outlive the loader. Throws segsweep::Error on an empty
    // set or bad options (batch_size < 1, rank outside [0, ranks), workers < 0).
    BatchLoader(const ImageSet& set, const BatchLoaderOptions& options);
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    // The next global batch's slice for this rank.
    Batch next();

    int64_t batches_per_pass() const { return batches_per_pass_; }
    int64_t batches_delivered() const;

    // {"set", "count", "batch_size", "shuffle", "seed", "flip", "shift_aug", "batches_delivered"}.
    nlohmann::json state() const;
    // Continues the stream after state()'s batch. Throws segsweep::Error naming the field when the
    // state belongs to another set size, batch size, seed or augmentation setting.
    void restore(const nlohmann::json& state);

    // Builds global batch `number` for this rank directly (what next() returns for that batch).
    Batch build(int64_t number) const;

private:
    void worker_loop();
    std::vector<int> pass_order(int64_t pass) const;

    const ImageSet& set_;
    BatchLoaderOptions options_;
    int64_t batches_per_pass_ = 0;

    mutable std::mutex mutex_;
    std::condition_variable ready_changed_;
    std::condition_variable space_changed_;
    int64_t next_to_build_ = 0;
    int64_t next_to_deliver_ = 0;
    uint64_t generation_ = 0;            // bumped by restore(): batches of an older generation are dropped
    std::map<int64_t, Batch> ready_;
    std::map<int64_t, std::exception_ptr> failed_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace segsweep
