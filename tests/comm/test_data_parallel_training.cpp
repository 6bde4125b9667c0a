// Data-parallel training through the comm layer with the real Follow-Me FCN (worker/model), run
// by mpirun with 2 and 3 ranks: parameters start from rank 0's (broadcast_from_root), each rank
// trains on its shard of every global batch, GradientAverager averages the gradients, and every
// rank takes the same Adam step. Checked: (1) after k steps the parameters are bit-identical on
// every rank; (2) with BatchNorm in eval mode, N ranks on B/N images each give the parameters
// one rank gets on all B images (computed by every rank alone, in the same process), within 1e-5.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/comm/mpi_test_main.h"
#include "worker/comm/gradient_averager.h"
#include "worker/model/fcn.h"
#include "worker/model/loss.h"

namespace segsweep {
namespace {

using test::comm;

constexpr int kGlobalBatch = 12;      // images per step over all ranks (divisible by 1, 2, 3, 4)
constexpr int kImageSize = 16;        // pixels per side
constexpr int kSteps = 4;             // optimizer steps
constexpr double kLearningRate = 1e-3;
constexpr uint64_t kModelSeed = 100;
constexpr double kEquivalenceTolerance = 1e-5;  // max |difference| of any parameter

FcnArchitecture tiny_architecture() {
    FcnArchitecture architecture;
    architecture.encoder_filters = {4, 8};
    architecture.conv1x1_filters = 8;
    architecture.decoder_filters = {8, 4};
    architecture.decoder_convs = 1;
    return architecture;
}

torch::Device test_device() {
    return comm().cuda_device() >= 0 ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm().cuda_device()))
                                     : torch::Device(torch::kCPU);
}

// The same global batches on every rank: images [B,3,S,S] and one-hot targets, one per step.
struct Batch {
    torch::Tensor images;
    torch::Tensor targets;
};
std::vector<Batch> make_global_batches() {
    torch::manual_seed(7);
    std::vector<Batch> batches;
    for (int step = 0; step < kSteps; ++step) {
        Batch batch;
        batch.images = torch::rand({kGlobalBatch, 3, kImageSize, kImageSize});
        torch::Tensor classes = torch::randint(0, kFcnClasses, {kGlobalBatch, kImageSize, kImageSize}, torch::kLong);
        batch.targets = torch::one_hot(classes, kFcnClasses).permute({0, 3, 1, 2}).to(torch::kFloat).contiguous();
        batches.push_back(batch);
    }
    return batches;
}

std::vector<torch::Tensor> parameters_and_buffers(Fcn& model) {
    std::vector<torch::Tensor> tensors = model->parameters();
    for (const torch::Tensor& buffer : model->buffers()) tensors.push_back(buffer);
    return tensors;
}

// Trains `model` for kSteps on rows [first, first + count) of each global batch.
void train(Fcn& model, const std::vector<Batch>& batches, int64_t first, int64_t count, GradientAverager* averager) {
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(kLearningRate));
    for (const Batch& batch : batches) {
        optimizer.zero_grad();
        torch::Tensor images = batch.images.narrow(0, first, count).to(test_device());
        torch::Tensor targets = batch.targets.narrow(0, first, count).to(test_device());
        torch::Tensor loss = categorical_crossentropy(model->forward(images), targets);
        loss.backward();
        if (averager != nullptr) averager->average_gradients();
        optimizer.step();
    }
}

// A model whose initial weights differ per rank until broadcast_from_root makes them rank 0's.
Fcn make_data_parallel_model(std::unique_ptr<GradientAverager>& averager) {
    Fcn model(tiny_architecture(), kModelSeed + static_cast<uint64_t>(comm().rank()));
    model->to(test_device());
    averager = std::make_unique<GradientAverager>(comm(), model->parameters());
    std::vector<torch::Tensor> state = parameters_and_buffers(model);
    averager->broadcast_from_root(state);
    return model;
}

TEST(DataParallelTraining, ParametersAreBitIdenticalOnEveryRankAfterKSteps) {
    const std::vector<Batch> batches = make_global_batches();
    std::unique_ptr<GradientAverager> averager;
    Fcn model = make_data_parallel_model(averager);
    model->train();  // BatchNorm statistics per rank, as in DDP
    const int64_t shard = kGlobalBatch / comm().size();
    train(model, batches, comm().rank() * shard, shard, averager.get());

    int differing = 0;
    for (const torch::Tensor& parameter : model->parameters()) {
        torch::Tensor root = parameter.detach().clone();
        comm().broadcast(root, 0);
        if (!torch::equal(root, parameter.detach())) ++differing;
    }
    EXPECT_EQ(differing, 0) << "parameters that differ from rank 0's on rank " << comm().rank();
}

TEST(DataParallelTraining, NRanksOnShardsMatchOneRankOnTheWholeBatch) {
    const std::vector<Batch> batches = make_global_batches();

    Fcn reference(tiny_architecture(), kModelSeed);  // one rank, whole batches, no communication
    reference->to(test_device());
    reference->eval();
    train(reference, batches, 0, kGlobalBatch, nullptr);

    std::unique_ptr<GradientAverager> averager;
    Fcn model = make_data_parallel_model(averager);
    model->eval();  // BatchNorm from its (broadcast) running statistics: per-image, shard-independent
    const int64_t shard = kGlobalBatch / comm().size();
    train(model, batches, comm().rank() * shard, shard, averager.get());

    const std::vector<torch::Tensor> expected = reference->parameters();
    const std::vector<torch::Tensor> actual = model->parameters();
    ASSERT_EQ(expected.size(), actual.size());
    double largest_difference = 0;
    double largest_change = 0;  // how far training moved the weights: the test must not be vacuous
    Fcn initial(tiny_architecture(), kModelSeed);
    const std::vector<torch::Tensor> start = initial->parameters();
    for (size_t k = 0; k < expected.size(); ++k) {
        largest_difference = std::max(largest_difference, (expected[k] - actual[k]).abs().max().item<double>());
        largest_change = std::max(largest_change, (expected[k].cpu() - start[k]).abs().max().item<double>());
    }
    if (comm().rank() == 0) {
        std::printf("%d ranks vs 1: largest parameter difference %.3g, largest change by training %.3g\n",
                    comm().size(), largest_difference, largest_change);
    }
    EXPECT_LE(largest_difference, kEquivalenceTolerance);
    EXPECT_GT(largest_change, 100 * kEquivalenceTolerance);
}

}  // namespace
}  // namespace segsweep
