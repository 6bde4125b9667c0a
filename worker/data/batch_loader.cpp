// BatchLoader: the Keras index stream, per-sample augmentation, tensor filling and the prefetching
// worker threads (see batch_loader.h for the contract).
#include "worker/data/batch_loader.h"

#include <algorithm>
#include <array>
#include <cstring>

#include <ATen/ops/empty.h>

#include "common/error.h"
#include "worker/data/random.h"

namespace segsweep {
namespace {

constexpr uint64_t kOrderStream = 1;         // seed stream of the pass permutations
constexpr uint64_t kAugmentStream = 2;       // seed stream of the per-image augmentation draws

// preprocess_input in float32: (x/255 - 0.5)*2 for every byte value.
const std::array<float, 256>& input_scale_table() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (int v = 0; v < 256; ++v) t[v] = (static_cast<float>(v) / 255.0f - 0.5f) * 2.0f;
        return t;
    }();
    return table;
}

// The original's shift_and_pad_augmentation on one HWC image and its one-hot mask.
void shift_and_pad(std::vector<uint8_t>& image, std::vector<uint8_t>& mask, int side, DeterministicRandom& random) {
    auto crop_range = [&](int& start, int& length) {
        const int first = random.integer(0, std::max(1, static_cast<int>(side * kShiftCropMaxStart)));
        const int span = random.integer(static_cast<int>(side * kShiftCropMinSpan), side);
        start = first;
        length = std::min(first + span, side) - first;
    };
    int y0 = 0, h = 0, x0 = 0, w = 0;
    crop_range(y0, h);
    crop_range(x0, w);
    const int to_y = random.integer(0, std::max(1, side - h));
    const int to_x = random.integer(0, std::max(1, side - w));
    std::vector<uint8_t> new_image(image.size(), 0);
    std::vector<uint8_t> new_mask(mask.size(), 0);
    for (size_t p = 0; p < new_mask.size(); p += 3) new_mask[p + kBackgroundChannel] = 1;
    for (int y = 0; y < h; ++y) {
        const size_t from = ((static_cast<size_t>(y0 + y) * side) + x0) * 3;
        const size_t to = ((static_cast<size_t>(to_y + y) * side) + to_x) * 3;
        std::memcpy(&new_image[to], &image[from], static_cast<size_t>(w) * 3);
        std::memcpy(&new_mask[to], &mask[from], static_cast<size_t>(w) * 3);
    }
    image.swap(new_image);
    mask.swap(new_mask);
}

void flip_left_right(std::vector<uint8_t>& values, int side) {
    for (int y = 0; y < side; ++y) {
        uint8_t* row = &values[static_cast<size_t>(y) * side * 3];
        for (int x = 0; x < side / 2; ++x)
            for (int c = 0; c < 3; ++c) std::swap(row[x * 3 + c], row[(side - 1 - x) * 3 + c]);
    }
}

}  // namespace

int64_t steps_per_epoch(int configured, int64_t n, int batch_size) {
    if (configured > 0) return configured;
    if (batch_size < 1) throw Error("batch_size must be >= 1, got " + std::to_string(batch_size));
    return (n + batch_size - 1) / batch_size;
}

BatchLoader::BatchLoader(const ImageSet& set, const BatchLoaderOptions& options) : set_(set), options_(options) {
    if (set.count < 1) throw Error("batch loader: set '" + set.name + "' has no images");
    if (options.batch_size < 1) throw Error("batch loader: batch_size must be >= 1, got " + std::to_string(options.batch_size));
    if (options.ranks < 1 || options.rank < 0 || options.rank >= options.ranks)
        throw Error("batch loader: rank " + std::to_string(options.rank) + " is outside 0.." +
                    std::to_string(options.ranks - 1));
    if (options.workers < 0) throw Error("batch loader: workers must be >= 0, got " + std::to_string(options.workers));
    batches_per_pass_ = (set.count + options.batch_size - 1) / options.batch_size;
    for (int t = 0; t < options.workers; ++t) threads_.emplace_back([this] { worker_loop(); });
}

BatchLoader::~BatchLoader() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    space_changed_.notify_all();
    ready_changed_.notify_all();
    for (auto& thread : threads_) thread.join();
}

std::vector<int> BatchLoader::pass_order(int64_t pass) const {
    std::vector<int> order(static_cast<size_t>(set_.count));
    for (int i = 0; i < set_.count; ++i) order[i] = i;
    if (options_.shuffle) {
        DeterministicRandom random(mix_seed(options_.seed, kOrderStream, static_cast<uint64_t>(pass)));
        random.shuffle(order);
    }
    return order;
}

Batch BatchLoader::build(int64_t number) const {
    const int64_t pass = number / batches_per_pass_;
    const int64_t position = number % batches_per_pass_;
    const std::vector<int> order = pass_order(pass);
    const int begin = static_cast<int>(position * options_.batch_size);
    const int global = std::min(options_.batch_size, set_.count - begin);

    Batch batch;
    batch.number = number;
    batch.global_size = global;
    batch.offset = static_cast<int>(static_cast<int64_t>(global) * options_.rank / options_.ranks);
    const int end = static_cast<int>(static_cast<int64_t>(global) * (options_.rank + 1) / options_.ranks);
    const int local = end - batch.offset;
    batch.ends_pass = position == batches_per_pass_ - 1;
    for (int i = batch.offset; i < end; ++i) batch.indices.push_back(order[begin + i]);

    const int side = set_.size;
    const size_t per_item = set_.values_per_item();
    const size_t plane = static_cast<size_t>(side) * side;
    auto options = at::TensorOptions().dtype(at::kFloat);
    if (options_.channels_last) options = options.memory_format(at::MemoryFormat::ChannelsLast);
    batch.x = at::empty({local, 3, side, side}, options);
    batch.y = at::empty({local, 3, side, side}, options);
    float* x = batch.x.data_ptr<float>();
    float* y = batch.y.data_ptr<float>();
    const auto& scale = input_scale_table();

    std::vector<uint8_t> image, mask;
    for (int i = 0; i < local; ++i) {
        const int index = batch.indices[i];
        image.assign(set_.image(index), set_.image(index) + per_item);
        mask.assign(set_.mask(index), set_.mask(index) + per_item);
        if (options_.flip || options_.shift_aug) {
            const int position_in_global = batch.offset + i;
            DeterministicRandom random(mix_seed(mix_seed(options_.seed, kAugmentStream), static_cast<uint64_t>(number),
                                                static_cast<uint64_t>(position_in_global)));
            const bool flip = random.chance(0.5);
            if (options_.shift_aug) shift_and_pad(image, mask, side, random);
            if (options_.flip && flip) {
                flip_left_right(image, side);
                flip_left_right(mask, side);
            }
        }
        float* xi = x + per_item * i;
        float* yi = y + per_item * i;
        if (options_.channels_last) {
            for (size_t v = 0; v < per_item; ++v) {
                xi[v] = scale[image[v]];
                yi[v] = static_cast<float>(mask[v]);
            }
        } else {
            for (size_t p = 0; p < plane; ++p)
                for (int c = 0; c < 3; ++c) {
                    xi[c * plane + p] = scale[image[p * 3 + c]];
                    yi[c * plane + p] = static_cast<float>(mask[p * 3 + c]);
                }
        }
    }
    return batch;
}

void BatchLoader::worker_loop() {
    const int64_t capacity = static_cast<int64_t>(kPrefetchBatchesPerWorker) * options_.workers;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
        space_changed_.wait(lock, [&] { return stopping_ || next_to_build_ < next_to_deliver_ + capacity; });
        if (stopping_) return;
        const int64_t number = next_to_build_++;
        const uint64_t generation = generation_;
        lock.unlock();
        Batch batch;
        std::exception_ptr error;
        try {
            batch = build(number);
        } catch (...) {
            error = std::current_exception();
        }
        lock.lock();
        if (generation != generation_) continue;  // restore() moved the stream meanwhile
        if (error)
            failed_[number] = error;
        else
            ready_[number] = std::move(batch);
        ready_changed_.notify_all();
    }
}

Batch BatchLoader::next() {
    if (threads_.empty()) {
        Batch batch = build(next_to_deliver_);
        std::lock_guard<std::mutex> lock(mutex_);
        ++next_to_deliver_;
        return batch;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    const int64_t number = next_to_deliver_;
    ready_changed_.wait(lock, [&] { return ready_.count(number) || failed_.count(number); });
    if (auto it = failed_.find(number); it != failed_.end()) {
        std::exception_ptr error = it->second;
        failed_.erase(it);
        std::rethrow_exception(error);
    }
    Batch batch = std::move(ready_[number]);
    ready_.erase(number);
    ++next_to_deliver_;
    lock.unlock();
    space_changed_.notify_all();
    return batch;
}

int64_t BatchLoader::batches_delivered() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return next_to_deliver_;
}

nlohmann::json BatchLoader::state() const {
    return {{"set", set_.name},
            {"count", set_.count},
            {"batch_size", options_.batch_size},
            {"shuffle", options_.shuffle},
            {"seed", options_.seed},
            {"flip", options_.flip},
            {"shift_aug", options_.shift_aug},
            {"batches_delivered", batches_delivered()}};
}

void BatchLoader::restore(const nlohmann::json& state) {
    auto field = [&](const char* name) -> const nlohmann::json& {
        if (!state.is_object() || !state.contains(name)) throw Error(std::string("loader state.") + name + ": missing");
        return state.at(name);
    };
    auto expect = [&](const char* name, const nlohmann::json& mine) {
        if (field(name) != mine)
            throw Error(std::string("loader state.") + name + ": the saved run used " + field(name).dump() +
                        ", this loader has " + mine.dump());
    };
    expect("count", set_.count);
    expect("batch_size", options_.batch_size);
    expect("shuffle", options_.shuffle);
    expect("seed", options_.seed);
    expect("flip", options_.flip);
    expect("shift_aug", options_.shift_aug);
    const auto& delivered = field("batches_delivered");
    if (!delivered.is_number_integer() || delivered.get<int64_t>() < 0)
        throw Error("loader state.batches_delivered: expected a non-negative integer, got " + delivered.dump());
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++generation_;
        ready_.clear();
        failed_.clear();
        next_to_build_ = next_to_deliver_ = delivered.get<int64_t>();
    }
    space_changed_.notify_all();
}

}  // namespace segsweep
