// Checkpoint archives: model, optimizer and best weights survive a round trip (the next Adam
// step is identical), a corrupt or foreign archive is an Error, and model.pt loads alone.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/fcn.h"
#include "worker/model/loss.h"
#include "worker/train/checkpoint.h"

using namespace segsweep;

namespace {

FcnArchitecture tiny() {
    FcnArchitecture a;
    a.encoder_filters = {4, 6};
    a.conv1x1_filters = 6;
    a.decoder_filters = {6, 4};
    return a;
}

void train_step(Fcn& model, torch::optim::Adam& adam, int seed) {
    torch::manual_seed(seed);
    torch::Tensor x = torch::rand({2, 3, 8, 8});
    torch::Tensor y = torch::one_hot(torch::randint(0, 3, {2, 8, 8}), 3).permute({0, 3, 1, 2}).to(torch::kFloat32);
    adam.zero_grad();
    categorical_crossentropy(model->forward(x), y).backward();
    adam.step();
}

bool same_state(Fcn& a, Fcn& b) {
    auto sa = snapshot_model(*a), sb = snapshot_model(*b);
    for (size_t i = 0; i < sa.entries.size(); ++i)
        if (!torch::equal(sa.entries[i].second, sb.entries[i].second)) return false;
    return true;
}

}  // namespace

TEST(Checkpoint, RoundTripContinuesWithTheSameAdamStep) {
    Fcn original(tiny(), 1);
    torch::optim::Adam adam(original->parameters(), torch::optim::AdamOptions(0.01));
    train_step(original, adam, 10);
    ModelSnapshot best = snapshot_model(*original);
    train_step(original, adam, 11);
    const std::string bytes = serialize_checkpoint(*original, adam, best, {{"epoch", 2}});

    Fcn restored(tiny(), 99);
    torch::optim::Adam restored_adam(restored->parameters(), torch::optim::AdamOptions(0.01));
    CheckpointContents contents = deserialize_checkpoint(bytes, *restored, restored_adam, torch::kCPU, "test");
    EXPECT_EQ(contents.meta.at("epoch"), 2);
    ASSERT_TRUE(contents.best.has_value());
    EXPECT_TRUE(same_state(original, restored));

    train_step(original, adam, 12);
    train_step(restored, restored_adam, 12);
    EXPECT_TRUE(same_state(original, restored));

    restore_model(*restored, *contents.best);
    Fcn at_best(tiny(), 5);
    restore_model(*at_best, best);
    EXPECT_TRUE(same_state(restored, at_best));
}

TEST(Checkpoint, CorruptOrForeignArchiveIsAnError) {
    Fcn model(tiny(), 1);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.01));
    std::string bytes = serialize_checkpoint(*model, adam, std::nullopt, nlohmann::json::object());
    std::string truncated = bytes.substr(0, bytes.size() / 2);
    EXPECT_THROW(deserialize_checkpoint(truncated, *model, adam, torch::kCPU, "truncated.pt"), Error);
    EXPECT_THROW(deserialize_checkpoint("not an archive", *model, adam, torch::kCPU, "junk.pt"), Error);

    FcnArchitecture other = tiny();
    other.decoder_convs = 1;
    Fcn different(other, 1);
    torch::optim::Adam different_adam(different->parameters(), torch::optim::AdamOptions(0.01));
    try {
        deserialize_checkpoint(bytes, *different, different_adam, torch::kCPU, "run/checkpoint.pt");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("run/checkpoint.pt"), std::string::npos) << e.what();
    }
}

TEST(Checkpoint, WeightsFileAndCheckpointBestLoadAlone) {
    Fcn model(tiny(), 1);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(0.01));
    train_step(model, adam, 3);
    Fcn copy(tiny(), 2);
    load_weights(serialize_weights(*model), *copy, "model.pt");
    EXPECT_TRUE(same_state(model, copy));

    ModelSnapshot best = snapshot_model(*model);
    train_step(model, adam, 4);
    Fcn from_checkpoint(tiny(), 3);
    load_checkpoint_best_weights(serialize_checkpoint(*model, adam, best, {}), *from_checkpoint, "checkpoint.pt");
    Fcn at_best(tiny(), 4);
    restore_model(*at_best, best);
    EXPECT_TRUE(same_state(from_checkpoint, at_best));
}

TEST(Checkpoint, ChannelsLastParametersKeepTheirLayoutOnRestore) {
    Fcn model(tiny(), 1);
    torch::NoGradGuard no_grad;
    for (auto& p : model->parameters())
        if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    Fcn source(tiny(), 7);
    load_weights(serialize_weights(*source), *model, "model.pt");
    EXPECT_TRUE(model->output->weight.is_contiguous(torch::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(torch::equal(model->output->weight, source->output->weight));
}
