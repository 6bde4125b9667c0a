// The communicator's collectives across ranks (run by mpirun with 2 and 3 ranks; on a GPU
// machine also with SEGSWEEP_TEST_COMM=nccl): allreduce of known vectors of several sizes and
// types, broadcast from every root, strings, ranks and hosts, and the errors bad tensors raise.
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "tests/comm/mpi_test_main.h"

namespace segsweep {
namespace {

using test::comm;
using test::tensor_options;

// Element i of rank r's vector: (r + 1) * (i % 97 + 1). Small integers, exact in every type.
at::Tensor rank_vector(int64_t elements, int rank, at::ScalarType type) {
    at::Tensor pattern = at::arange(elements, at::TensorOptions().dtype(at::kLong)).remainder(97).add(1);
    return pattern.mul(rank + 1).to(tensor_options(type));
}

TEST(CommCollectives, AllreduceSumsKnownVectorsOfSeveralSizesAndTypes) {
    const int size = comm().size();
    const std::vector<int64_t> sizes = {1, 3, 1000, 1 << 16, (1 << 20) + 7};
    const std::vector<at::ScalarType> types = {at::kFloat, at::kDouble, at::kInt, at::kLong};
    for (at::ScalarType type : types) {
        for (int64_t elements : sizes) {
            at::Tensor tensor = rank_vector(elements, comm().rank(), type);
            comm().allreduce_sum(tensor);
            // sum over ranks of (r + 1) = size (size + 1) / 2
            at::Tensor expected = rank_vector(elements, 0, type).mul(size * (size + 1) / 2);
            EXPECT_TRUE(at::equal(tensor.cpu(), expected.cpu()))
                << c10::toString(type) << " x " << elements << " elements";
        }
    }
}

TEST(CommCollectives, AllreduceOfATwoDimensionalTensorKeepsItsShape) {
    at::Tensor tensor = at::full({3, 5}, comm().rank() + 1.0, tensor_options());
    comm().allreduce_sum(tensor);
    const double expected = comm().size() * (comm().size() + 1) / 2.0;
    EXPECT_EQ(tensor.sizes(), (at::IntArrayRef{3, 5}));
    EXPECT_TRUE(at::equal(tensor.cpu(), at::full({3, 5}, expected)));
}

TEST(CommCollectives, BroadcastGivesEveryRankTheRootsTensor) {
    for (int root = 0; root < comm().size(); ++root) {
        at::Tensor tensor = rank_vector(1001, comm().rank(), at::kFloat);
        comm().broadcast(tensor, root);
        EXPECT_TRUE(at::equal(tensor.cpu(), rank_vector(1001, root, at::kFloat).cpu())) << "root " << root;
    }
}

TEST(CommCollectives, BroadcastStringGivesEveryRankTheRootsText) {
    for (int root = 0; root < comm().size(); ++root) {
        std::string text = "text of rank " + std::to_string(comm().rank());
        comm().broadcast_string(text, root);
        EXPECT_EQ(text, "text of rank " + std::to_string(root));
    }
    // Binary bytes, a long text, and an empty text replacing a longer one.
    std::string binary = comm().rank() == 0 ? std::string("a\0b\0c", 5) : std::string("zz");
    comm().broadcast_string(binary, 0);
    EXPECT_EQ(binary, std::string("a\0b\0c", 5));
    std::string long_text = comm().rank() == 0 ? std::string(3 << 20, 'x') : std::string();
    comm().broadcast_string(long_text, 0);
    EXPECT_EQ(long_text, std::string(3 << 20, 'x'));
    std::string empty = comm().rank() == 0 ? std::string() : std::string("not empty");
    comm().broadcast_string(empty, 0);
    EXPECT_EQ(empty, "");
}

TEST(CommCollectives, AllgatherStringCollectsEveryRanksTextInRankOrder) {
    // Rank r sends r copies of 'a' + r (rank 0 sends an empty text).
    std::vector<std::string> texts = comm().allgather_string(std::string(comm().rank(), char('a' + comm().rank())));
    ASSERT_EQ(static_cast<int>(texts.size()), comm().size());
    for (int r = 0; r < comm().size(); ++r) EXPECT_EQ(texts[r], std::string(r, char('a' + r))) << "rank " << r;
}

TEST(CommCollectives, RanksAreDistinctAndLocalRanksNumberEachHost) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::string mine = std::string(host) + " " + std::to_string(comm().rank()) + " " +
                             std::to_string(comm().local_rank()) + " " + std::to_string(comm().local_size());
    std::vector<std::string> all = comm().allgather_string(mine);
    std::map<std::string, std::vector<int>> local_ranks_by_host;
    std::map<std::string, int> local_size_by_host;
    for (int r = 0; r < comm().size(); ++r) {
        char name[256] = {};
        int rank = -1, local_rank = -1, local_size = -1;
        ASSERT_EQ(std::sscanf(all[r].c_str(), "%255s %d %d %d", name, &rank, &local_rank, &local_size), 4);
        EXPECT_EQ(rank, r);
        local_ranks_by_host[name].push_back(local_rank);
        local_size_by_host[name] = local_size;
    }
    for (const auto& [name, local_ranks] : local_ranks_by_host) {
        EXPECT_EQ(static_cast<int>(local_ranks.size()), local_size_by_host[name]) << name;
        for (size_t i = 0; i < local_ranks.size(); ++i) EXPECT_EQ(local_ranks[i], static_cast<int>(i)) << name;
    }
    comm().barrier();
}

// The checks run before any communication and fail the same way on every rank, so nobody hangs.
TEST(CommCollectives, BadTensorsAreRefusedWithAMessage) {
    if (std::string(comm().backend_name()) == "single") GTEST_SKIP() << "the single backend checks nothing";
    at::Tensor strided = at::zeros({4, 6}, tensor_options()).t();
    try {
        comm().allreduce_sum(strided);
        ADD_FAILURE() << "a strided tensor was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("contiguous"), std::string::npos) << e.what();
    }
    at::Tensor bytes = at::zeros({4}, tensor_options(at::kByte));
    EXPECT_THROW(comm().allreduce_sum(bytes), Error);
    at::Tensor undefined;
    EXPECT_THROW(comm().allreduce_sum(undefined), Error);
    at::Tensor fine = at::zeros({4}, tensor_options());
    EXPECT_THROW(comm().broadcast(fine, comm().size()), Error);
    EXPECT_THROW(comm().broadcast(fine, -1), Error);
    if (comm().cuda_device() >= 0) {
        at::Tensor on_cpu = at::zeros({4});
        EXPECT_THROW(comm().allreduce_sum(on_cpu), Error);
    }
    // After the refusals the communicator still works.
    at::Tensor ones = at::ones({5}, tensor_options());
    comm().allreduce_sum(ones);
    EXPECT_TRUE(at::equal(ones.cpu(), at::full({5}, static_cast<double>(comm().size()))));
}

}  // namespace
}  // namespace segsweep
