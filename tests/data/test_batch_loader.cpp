// BatchLoader: Keras' pass/step counting, shuffling from a seed, tensor values and layouts,
// augmentation, data-parallel slices, prefetching threads and resuming from a saved state.
#include <gtest/gtest.h>

#include <set>

#include <ATen/ATen.h>

#include "common/error.h"
#include "worker/data/batch_loader.h"

namespace segsweep {
namespace {

// An in-memory set: image i has pixel bytes (i*20 + x + 3y + c) % 256; mask i is hero on the left
// half for even i, people everywhere for odd i.
ImageSet coded_set(int count, int side) {
    ImageSet set;
    set.name = "coded";
    set.count = count;
    set.size = side;
    set.images.resize(set.values_per_item() * count);
    set.masks.resize(set.values_per_item() * count);
    for (int i = 0; i < count; ++i)
        for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) {
                const size_t p = set.values_per_item() * i + (static_cast<size_t>(y) * side + x) * 3;
                for (int c = 0; c < 3; ++c) set.images[p + c] = static_cast<uint8_t>((i * 20 + x + 3 * y + c) % 256);
                const int cls = i % 2 == 0 ? (x < side / 2 ? kHeroChannel : kBackgroundChannel) : kPeopleChannel;
                set.masks[p + cls] = 1;
            }
    for (int i = 0; i < count; ++i) {
        std::string name = "i";
        name.append(std::to_string(i)).append(".jpeg");
        set.image_files.push_back(name);
    }
    return set;
}

BatchLoaderOptions options_with(int batch, uint64_t seed, int workers) {
    BatchLoaderOptions options;
    options.batch_size = batch;
    options.seed = seed;
    options.workers = workers;
    return options;
}

TEST(BatchLoader, StepsPerEpochCountsLikeKeras) {
    EXPECT_EQ(steps_per_epoch(0, 10, 4), 3);
    EXPECT_EQ(steps_per_epoch(0, 8, 4), 2);
    EXPECT_EQ(steps_per_epoch(65, 4131, 64), 65);
    EXPECT_EQ(steps_per_epoch(0, 4131, 64), 65);
    EXPECT_THROW(steps_per_epoch(0, 10, 0), Error);
}

TEST(BatchLoader, EachPassIsAPermutationCutIntoBatchesWithAShortLastOne) {
    const ImageSet set = coded_set(10, 4);
    BatchLoader loader(set, options_with(4, 1, 0));
    EXPECT_EQ(loader.batches_per_pass(), 3);
    std::vector<std::vector<int>> passes(3);
    for (int b = 0; b < 9; ++b) {
        const Batch batch = loader.next();
        EXPECT_EQ(batch.number, b);
        EXPECT_EQ(batch.global_size, b % 3 == 2 ? 2 : 4);
        EXPECT_EQ(batch.ends_pass, b % 3 == 2);
        EXPECT_EQ(batch.x.size(0), batch.global_size);
        passes[b / 3].insert(passes[b / 3].end(), batch.indices.begin(), batch.indices.end());
    }
    for (const auto& pass : passes) {
        EXPECT_EQ(std::set<int>(pass.begin(), pass.end()).size(), 10u);
        EXPECT_EQ(pass.size(), 10u);
    }
    EXPECT_NE(passes[0], passes[1]);   // reshuffled every pass
    EXPECT_EQ(loader.batches_delivered(), 9);
}

TEST(BatchLoader, ShuffleFollowsTheSeedAndCanBeOff) {
    const ImageSet set = coded_set(12, 4);
    auto order = [&](uint64_t seed, bool shuffle) {
        BatchLoaderOptions options = options_with(5, seed, 0);
        options.shuffle = shuffle;
        BatchLoader loader(set, options);
        std::vector<int> indices;
        for (int b = 0; b < 6; ++b) {
            const Batch batch = loader.next();
            indices.insert(indices.end(), batch.indices.begin(), batch.indices.end());
        }
        return indices;
    };
    EXPECT_EQ(order(3, true), order(3, true));
    EXPECT_NE(order(3, true), order(4, true));
    const std::vector<int> plain = order(3, false);
    for (size_t i = 0; i < plain.size(); ++i) EXPECT_EQ(plain[i], static_cast<int>(i % 12));
}

TEST(BatchLoader, TensorsHoldScaledImagesAndOneHotMasks) {
    const ImageSet set = coded_set(3, 4);
    BatchLoaderOptions options = options_with(3, 0, 0);
    options.shuffle = false;
    const Batch batch = BatchLoader(set, options).build(0);
    ASSERT_EQ(batch.x.sizes(), (std::vector<int64_t>{3, 3, 4, 4}));
    ASSERT_EQ(batch.y.sizes(), (std::vector<int64_t>{3, 3, 4, 4}));
    EXPECT_EQ(batch.x.scalar_type(), at::kFloat);
    EXPECT_TRUE(batch.x.is_contiguous());
    auto x = batch.x.accessor<float, 4>();
    auto y = batch.y.accessor<float, 4>();
    for (int i = 0; i < 3; ++i)
        for (int c = 0; c < 3; ++c)
            for (int r = 0; r < 4; ++r)
                for (int col = 0; col < 4; ++col) {
                    const uint8_t v = set.image(i)[(r * 4 + col) * 3 + c];
                    ASSERT_EQ(x[i][c][r][col], (static_cast<float>(v) / 255.0f - 0.5f) * 2.0f);
                    ASSERT_EQ(y[i][c][r][col], static_cast<float>(set.mask(i)[(r * 4 + col) * 3 + c]));
                }
    EXPECT_FLOAT_EQ(x[0][0][0][0], -1.0f);   // byte 0
    // channels_last: same values, NHWC memory.
    options.channels_last = true;
    const Batch nhwc = BatchLoader(set, options).build(0);
    EXPECT_TRUE(nhwc.x.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(at::equal(nhwc.x, batch.x));
    EXPECT_TRUE(at::equal(nhwc.y, batch.y));
}

TEST(BatchLoader, WorkerThreadsDoNotChangeTheStream) {
    const ImageSet set = coded_set(11, 6);
    BatchLoaderOptions options = options_with(4, 9, 0);
    options.flip = options.shift_aug = true;
    BatchLoader inline_loader(set, options);
    options.workers = 3;
    BatchLoader threaded(set, options);
    for (int b = 0; b < 10; ++b) {
        const Batch a = inline_loader.next();
        const Batch t = threaded.next();
        ASSERT_EQ(a.indices, t.indices);
        ASSERT_TRUE(at::equal(a.x, t.x)) << b;
        ASSERT_TRUE(at::equal(a.y, t.y)) << b;
    }
}

TEST(BatchLoader, RanksTakeContiguousSlicesOfTheGlobalBatch) {
    const ImageSet set = coded_set(10, 4);
    BatchLoaderOptions options = options_with(4, 2, 0);
    options.flip = options.shift_aug = true;   // per-image draws must not depend on the split
    BatchLoader single(set, options);
    std::vector<std::unique_ptr<BatchLoader>> ranks;
    for (int r = 0; r < 3; ++r) {
        options.rank = r;
        options.ranks = 3;
        options.workers = r;   // any thread count per rank
        ranks.push_back(std::make_unique<BatchLoader>(set, options));
    }
    for (int b = 0; b < 6; ++b) {
        const Batch whole = single.next();
        std::vector<at::Tensor> xs, ys;
        std::vector<int> indices;
        int offset = 0;
        for (auto& loader : ranks) {
            const Batch part = loader->next();
            EXPECT_EQ(part.global_size, whole.global_size);
            EXPECT_EQ(part.offset, offset);
            offset += static_cast<int>(part.x.size(0));
            xs.push_back(part.x);
            ys.push_back(part.y);
            indices.insert(indices.end(), part.indices.begin(), part.indices.end());
        }
        EXPECT_EQ(offset, whole.global_size);
        EXPECT_EQ(indices, whole.indices);
        EXPECT_TRUE(at::equal(at::cat(xs), whole.x));
        EXPECT_TRUE(at::equal(at::cat(ys), whole.y));
    }
    // The short batch of 2 over 3 ranks: slices of 0, 1 and 1 images.
    options.rank = 0;
    options.workers = 0;
    EXPECT_EQ(BatchLoader(set, options).build(2).x.size(0), 0);
}

TEST(BatchLoader, FlipMirrorsImageAndMaskTogether) {
    const ImageSet set = coded_set(2, 6);
    BatchLoaderOptions options = options_with(1, 4, 0);
    options.shuffle = false;
    options.flip = true;
    BatchLoader loader(set, options);
    int flipped = 0, kept = 0;
    for (int b = 0; b < 40; ++b) {
        const Batch batch = loader.next();
        BatchLoaderOptions plain_options = options;
        plain_options.flip = false;
        const Batch plain = BatchLoader(set, plain_options).build(b);
        if (at::equal(batch.x, plain.x)) {
            EXPECT_TRUE(at::equal(batch.y, plain.y));
            ++kept;
        } else {
            EXPECT_TRUE(at::equal(batch.x, plain.x.flip({3})));
            EXPECT_TRUE(at::equal(batch.y, plain.y.flip({3})));
            ++flipped;
        }
    }
    EXPECT_GT(flipped, 5);
    EXPECT_GT(kept, 5);
}

TEST(BatchLoader, ShiftAndPadKeepsAPatchAndPadsWithBlackBackground) {
    const int side = 40;
    const ImageSet set = coded_set(4, side);
    BatchLoaderOptions options = options_with(4, 6, 0);
    options.shift_aug = true;
    const Batch batch = BatchLoader(set, options).build(0);
    const at::Tensor y_sum = batch.y.sum(1);
    EXPECT_TRUE(at::equal(y_sum, at::ones_like(y_sum)));   // still one-hot everywhere
    // Padding: black (x = -1) with background masks; there is some in every image (the patch is
    // at most side - 1 wide or tall), and at most 1 - 0.85^2 of the area plus the offset.
    const at::Tensor padded = (batch.x == -1.0f).all(1) & (batch.y.select(1, kBackgroundChannel) == 1.0f);
    for (int i = 0; i < 4; ++i) {
        const int64_t count = padded[i].sum().item<int64_t>();
        EXPECT_GT(count, 0);
        EXPECT_LT(count, side * side / 2);
    }
}

TEST(BatchLoader, RestoredStateContinuesTheSameStream) {
    const ImageSet set = coded_set(9, 5);
    BatchLoaderOptions options = options_with(4, 17, 2);
    options.flip = true;
    BatchLoader uninterrupted(set, options);
    std::vector<Batch> expected;
    for (int b = 0; b < 8; ++b) expected.push_back(uninterrupted.next());

    BatchLoader first(set, options);
    for (int b = 0; b < 5; ++b) first.next();
    const nlohmann::json state = nlohmann::json::parse(first.state().dump());   // through text, as a checkpoint
    EXPECT_EQ(state["batches_delivered"], 5);

    options.workers = 1;   // a resumed run may use another worker count
    BatchLoader resumed(set, options);
    resumed.next();        // whatever it prefetched is dropped by restore
    resumed.restore(state);
    for (int b = 5; b < 8; ++b) {
        const Batch batch = resumed.next();
        EXPECT_EQ(batch.number, b);
        EXPECT_EQ(batch.indices, expected[b].indices);
        EXPECT_TRUE(at::equal(batch.x, expected[b].x));
    }
}

TEST(BatchLoader, StateOfAnotherRunIsRefused) {
    const ImageSet set = coded_set(9, 5);
    BatchLoader loader(set, options_with(4, 17, 0));
    nlohmann::json state = loader.state();
    state["seed"] = 18;
    EXPECT_THROW(loader.restore(state), Error);
    state = loader.state();
    state["batch_size"] = 8;
    EXPECT_THROW(loader.restore(state), Error);
    EXPECT_THROW(loader.restore(nlohmann::json::object()), Error);
    state = loader.state();
    state["batches_delivered"] = -1;
    EXPECT_THROW(loader.restore(state), Error);
}

TEST(BatchLoader, BadOptionsAreErrors) {
    const ImageSet set = coded_set(3, 4);
    EXPECT_THROW(BatchLoader(set, options_with(0, 1, 0)), Error);
    BatchLoaderOptions options = options_with(2, 1, 0);
    options.rank = 2;
    options.ranks = 2;
    EXPECT_THROW(BatchLoader(set, options), Error);
    EXPECT_THROW(BatchLoader(ImageSet{}, options_with(2, 1, 0)), Error);
}

}  // namespace
}  // namespace segsweep
