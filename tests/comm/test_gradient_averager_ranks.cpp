// GradientAverager across ranks (run by mpirun with 2 and 3 ranks): known gradients come back as
// their exact mean on every rank, whatever the bucket size (including a total that is not a
// multiple of it and parameters larger than a bucket); a gradient missing on some ranks counts
// as zeros; broadcast_from_root and average_tensors (BatchNorm buffers) give rank 0's values and
// the mean.
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "tests/comm/mpi_test_main.h"
#include "worker/comm/gradient_averager.h"

namespace segsweep {
namespace {

using test::comm;
using test::tensor_options;

// Parameter k's gradient on rank r: (r + 1) * (100 k + i + 0.5) for element i. Halves and
// small integers: every sum and mean below is exact in float32.
at::Tensor base_gradient(const at::Tensor& parameter, int k) {
    return at::arange(parameter.numel(), tensor_options(parameter.scalar_type())).add(100.0 * k + 0.5)
        .view(parameter.sizes());
}

std::vector<at::Tensor> make_parameters(const std::vector<std::vector<int64_t>>& shapes) {
    std::vector<at::Tensor> parameters;
    for (const std::vector<int64_t>& shape : shapes) {
        parameters.push_back(at::zeros(shape, tensor_options()).requires_grad_());
    }
    return parameters;
}

// Sets every parameter's gradient to its rank-dependent value, averages, and checks the mean.
void expect_mean_of_known_gradients(const std::vector<std::vector<int64_t>>& shapes, size_t bucket_bytes,
                                    int expected_buckets) {
    std::vector<at::Tensor> parameters = make_parameters(shapes);
    GradientAverager averager(comm(), parameters, bucket_bytes);
    EXPECT_EQ(averager.bucket_count(), expected_buckets);
    for (size_t k = 0; k < parameters.size(); ++k) {
        parameters[k].mutable_grad() = base_gradient(parameters[k], static_cast<int>(k)).mul(comm().rank() + 1);
    }
    averager.average_gradients();
    const int size = comm().size();
    for (size_t k = 0; k < parameters.size(); ++k) {
        // mean over ranks of (r + 1) = (size + 1) / 2
        at::Tensor expected = base_gradient(parameters[k], static_cast<int>(k)).mul(size + 1).div(2);
        EXPECT_TRUE(at::equal(parameters[k].grad().cpu(), expected.cpu())) << "parameter " << k;
    }
}

TEST(GradientAveragerRanks, AveragesKnownGradientsWithSmallBuckets) {
    // 64-byte buckets: [16 B, 16 B, 32 B] | [80 B, larger than a bucket] | [12 B, 24 B]
    expect_mean_of_known_gradients({{2, 2}, {4}, {8}, {20}, {3}, {2, 3}}, 64, 3);
}

TEST(GradientAveragerRanks, AveragesATotalThatIsNotAMultipleOfTheBucketSize) {
    // 6537 floats in 4096-byte (1024-float) buckets: [1000] [1000] [37] [2500, larger] [1000]
    expect_mean_of_known_gradients({{1000}, {10, 100}, {37}, {2500}, {1000}}, 4096, 5);
}

TEST(GradientAveragerRanks, AveragesWithTheDefaultBucketSize) {
    expect_mean_of_known_gradients({{32, 3, 3, 3}, {32}, {64, 32, 1, 1}, {64}, {3, 64, 1, 1}, {3}},
                                   kDefaultGradientBucketBytes, 1);
}

TEST(GradientAveragerRanks, AMissingGradientCountsAsZeros) {
    std::vector<at::Tensor> parameters = make_parameters({{4}, {6}});
    GradientAverager averager(comm(), parameters, 16);
    parameters[0].mutable_grad() = base_gradient(parameters[0], 0);
    if (comm().rank() == 0) parameters[1].mutable_grad() = base_gradient(parameters[1], 1);
    averager.average_gradients();
    EXPECT_TRUE(at::equal(parameters[0].grad().cpu(), base_gradient(parameters[0], 0).cpu()));
    ASSERT_TRUE(parameters[1].grad().defined()) << "rank " << comm().rank();
    EXPECT_TRUE(at::equal(parameters[1].grad().cpu(), base_gradient(parameters[1], 1).div(comm().size()).cpu()));
}

TEST(GradientAveragerRanks, RepeatedAveragingReusesBucketsAndStaysExact) {
    std::vector<at::Tensor> parameters = make_parameters({{10}, {7}});
    GradientAverager averager(comm(), parameters, 32);
    for (int step = 0; step < 3; ++step) {
        for (size_t k = 0; k < parameters.size(); ++k) {
            parameters[k].mutable_grad() = base_gradient(parameters[k], step).mul(comm().rank() + 1);
        }
        averager.average_gradients();
        for (size_t k = 0; k < parameters.size(); ++k) {
            at::Tensor expected = base_gradient(parameters[k], step).mul(comm().size() + 1).div(2);
            EXPECT_TRUE(at::equal(parameters[k].grad().cpu(), expected.cpu())) << "step " << step << " parameter " << k;
        }
    }
}

TEST(GradientAveragerRanks, BroadcastFromRootGivesEveryRankRankZerosValues) {
    std::vector<at::Tensor> parameters = make_parameters({{3, 4}, {5}});
    GradientAverager averager(comm(), parameters);
    {
        at::NoGradGuard no_grad;
        for (size_t k = 0; k < parameters.size(); ++k) {
            parameters[k].copy_(base_gradient(parameters[k], static_cast<int>(k)).mul(comm().rank() + 1));
        }
    }
    // A strided view (as a transposed buffer would be) goes through a contiguous copy.
    at::Tensor matrix = base_gradient(at::zeros({4, 3}, tensor_options()), 7).mul(comm().rank() + 1);
    std::vector<at::Tensor> tensors = {parameters[0], parameters[1], matrix.t()};
    averager.broadcast_from_root(tensors);
    for (size_t k = 0; k < parameters.size(); ++k) {
        EXPECT_TRUE(at::equal(parameters[k].detach().cpu(), base_gradient(parameters[k], static_cast<int>(k)).cpu()));
    }
    EXPECT_TRUE(at::equal(matrix.cpu(), base_gradient(matrix, 7).cpu()));
    EXPECT_TRUE(parameters[0].requires_grad());
}

TEST(GradientAveragerRanks, AverageTensorsGivesTheMeanOfFloatAndIntegerBuffers) {
    GradientAverager averager(comm(), {});
    at::Tensor running_mean = at::arange(1, 4, tensor_options()).mul(comm().rank() + 1);
    at::Tensor batches_tracked = at::full({}, 10 * (comm().rank() + 1), tensor_options(at::kLong));
    std::vector<at::Tensor> buffers = {running_mean, batches_tracked};
    averager.average_tensors(buffers);
    const int size = comm().size();
    EXPECT_TRUE(at::equal(running_mean.cpu(), at::arange(1, 4).to(at::kFloat).mul(size + 1).div(2)));
    EXPECT_EQ(batches_tracked.item<int64_t>(), 10 * (size + 1) / 2);  // integer mean, rounded down
}

}  // namespace
}  // namespace segsweep
