// The mpi backend: CPU tensors, MPI_Allreduce / MPI_Bcast in place on a duplicate of
// MPI_COMM_WORLD. The local rank comes from MPI_Comm_split_type(MPI_COMM_TYPE_SHARED).
// Collectives of one rank return at once. Errors are returned (MPI_ERRORS_RETURN) and thrown by
// MPI_CHECK; abort() and an exception unwinding past the communicator end the job by MPI_Abort.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "worker/comm/backends.h"
#include "worker/comm/collective_tensor_check.h"
#include "worker/comm/mpi_check.h"
#include "worker/comm/mpi_runtime.h"

namespace segsweep {
namespace {

// MPI counts are int: larger buffers go in pieces of at most this many elements.
constexpr int64_t kMaxElementsPerMpiCall = INT_MAX;

MPI_Datatype mpi_datatype(const at::Tensor& tensor, const char* where) {
    switch (tensor.scalar_type()) {
        case at::kFloat: return MPI_FLOAT;
        case at::kDouble: return MPI_DOUBLE;
        case at::kInt: return MPI_INT32_T;
        case at::kLong: return MPI_INT64_T;
        default:
            throw Error(std::string(where) + ": the mpi backend reduces Float, Double, Int and Long tensors, got a " +
                        describe_tensor(tensor));
    }
}

class MpiCommunicator final : public Communicator {
public:
    MpiCommunicator() : runtime_(MpiRuntime::acquire()) {
        MPI_CHECK(MPI_Comm_dup(MPI_COMM_WORLD, &comm_));
        MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
        MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
        MPI_CHECK(MPI_Comm_size(comm_, &size_));
        MPI_Comm host = MPI_COMM_NULL;
        MPI_CHECK(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host));
        MPI_CHECK(MPI_Comm_rank(host, &local_rank_));
        MPI_CHECK(MPI_Comm_size(host, &local_size_));
        MPI_CHECK(MPI_Comm_free(&host));
    }

    ~MpiCommunicator() override {
        // An exception leaving the scope that owns the communicator means this rank is quitting
        // mid-job: finalising now would leave the other ranks blocked in their next collective.
        if (std::uncaught_exceptions() > 0 && size_ > 1) {
            abort(1, "an exception is unwinding past the communicator");
        }
        MPI_Comm_free(&comm_);
    }

    int rank() const override { return rank_; }
    int size() const override { return size_; }
    int local_rank() const override { return local_rank_; }
    int local_size() const override { return local_size_; }
    const char* backend_name() const override { return "mpi"; }

    void allreduce_sum(at::Tensor& tensor) override {
        check_collective_tensor(tensor, "mpi allreduce_sum", /*cuda_device=*/-1);
        MPI_Datatype type = mpi_datatype(tensor, "mpi allreduce_sum");
        if (size_ == 1) return;
        char* data = static_cast<char*>(tensor.data_ptr());
        const int64_t element_bytes = tensor.element_size();
        for (int64_t first = 0; first < tensor.numel(); first += kMaxElementsPerMpiCall) {
            const int count = static_cast<int>(std::min(kMaxElementsPerMpiCall, tensor.numel() - first));
            MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data + first * element_bytes, count, type, MPI_SUM, comm_));
        }
    }

    void broadcast(at::Tensor& tensor, int root) override {
        check_collective_tensor(tensor, "mpi broadcast", /*cuda_device=*/-1);
        check_root(root, "mpi broadcast");
        if (size_ == 1) return;
        char* data = static_cast<char*>(tensor.data_ptr());
        const int64_t bytes = tensor.numel() * tensor.element_size();
        for (int64_t first = 0; first < bytes; first += kMaxElementsPerMpiCall) {
            const int count = static_cast<int>(std::min(kMaxElementsPerMpiCall, bytes - first));
            MPI_CHECK(MPI_Bcast(data + first, count, MPI_BYTE, root, comm_));
        }
    }

    void broadcast_string(std::string& text, int root) override {
        check_root(root, "mpi broadcast_string");
        if (size_ == 1) return;
        uint64_t length = text.size();
        MPI_CHECK(MPI_Bcast(&length, 1, MPI_UINT64_T, root, comm_));
        text.resize(length);
        for (uint64_t first = 0; first < length; first += kMaxElementsPerMpiCall) {
            const int count = static_cast<int>(std::min<uint64_t>(kMaxElementsPerMpiCall, length - first));
            MPI_CHECK(MPI_Bcast(text.data() + first, count, MPI_CHAR, root, comm_));
        }
    }

    std::vector<std::string> allgather_string(const std::string& text) override {
        if (size_ == 1) return {text};
        if (text.size() > static_cast<size_t>(INT_MAX)) throw Error("mpi allgather_string: text over 2 GiB");
        int length = static_cast<int>(text.size());
        std::vector<int> lengths(size_);
        MPI_CHECK(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm_));
        std::vector<int> offsets(size_);
        int64_t total = 0;
        for (int r = 0; r < size_; ++r) {
            offsets[r] = static_cast<int>(total);
            total += lengths[r];
            if (total > INT_MAX) throw Error("mpi allgather_string: texts total over 2 GiB");
        }
        std::string all(static_cast<size_t>(total), '\0');
        MPI_CHECK(MPI_Allgatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR,
                                 comm_));
        std::vector<std::string> texts;
        for (int r = 0; r < size_; ++r) texts.push_back(all.substr(offsets[r], lengths[r]));
        return texts;
    }

    void barrier() override {
        if (size_ > 1) MPI_CHECK(MPI_Barrier(comm_));
    }

    [[noreturn]] void abort(int exit_code, const std::string& why) override {
        LOG_E("rank %d of %d: aborting the job: %s", rank_, size_, why.c_str());
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, exit_code);
        std::_Exit(exit_code);  // MPI_Abort does not return; this is in case it ever did
    }

private:
    void check_root(int root, const char* where) const {
        if (root < 0 || root >= size_) {
            throw Error(std::string(where) + ": root " + std::to_string(root) + " is not a rank of this " +
                        std::to_string(size_) + "-rank job");
        }
    }

    std::shared_ptr<MpiRuntime> runtime_;  // first member: finalises MPI after comm_ is freed
    MPI_Comm comm_ = MPI_COMM_NULL;
    int rank_ = 0;
    int size_ = 1;
    int local_rank_ = 0;
    int local_size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator() { return std::make_unique<MpiCommunicator>(); }

}  // namespace segsweep
