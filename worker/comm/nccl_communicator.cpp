// The nccl backend: CUDA tensors, one GPU per rank (device = local rank), NCCL collectives on
// raw device pointers (tensor.data_ptr()) issued on the training stream, so they run in order
// with the forward/backward kernels and the host never waits. Rank 0's ncclUniqueId reaches the
// other ranks through the bootstrap communicator (MPI_Bcast), as in llm.c. Strings, barriers and
// the job's abort go through the bootstrap too; abort() first calls ncclCommAbort.
//
// The training stream is c10's current CUDA stream when LibTorch has CUDA (SEGSWEEP_TORCH_CUDA,
// set by CMake when the c10_cuda target exists), and the default stream otherwise, so this file
// compiles against a CPU-only LibTorch as well (there it can never be given a CUDA tensor).
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <ATen/Context.h>
#ifdef SEGSWEEP_TORCH_CUDA
#include <c10/cuda/CUDAStream.h>
#endif

#include "common/error.h"
#include "common/log.h"
#include "worker/comm/backends.h"
#include "worker/comm/collective_tensor_check.h"
#include "worker/comm/nccl_check.h"

namespace segsweep {
namespace {

ncclDataType_t nccl_datatype(const at::Tensor& tensor, const char* where) {
    switch (tensor.scalar_type()) {
        case at::kFloat: return ncclFloat32;
        case at::kDouble: return ncclFloat64;
        case at::kInt: return ncclInt32;
        case at::kLong: return ncclInt64;
        case at::kHalf: return ncclFloat16;
        case at::kBFloat16: return ncclBfloat16;
        default:
            throw Error(std::string(where) + ": the nccl backend reduces Float, Double, Int, Long, Half and BFloat16 "
                        "tensors, got a " + describe_tensor(tensor));
    }
}

// One GPU per rank: the local rank's device when the host shows enough of them; a rank that
// sees exactly one GPU uses it (CUDA_VISIBLE_DEVICES or srun --gpus-per-task=1 gave each rank its
// own; a shared one is caught by the UUID check). -1 when no GPU fits.
int cuda_device_for_local_rank(int local_rank, int local_size, int visible) {
    if (visible >= local_size) return local_rank;
    if (visible == 1) return 0;
    return -1;
}

// The device's UUID in hex, identical in every process that sees the same GPU.
std::string cuda_device_uuid(int device) {
    cudaDeviceProp properties;
    if (cudaGetDeviceProperties(&properties, device) != cudaSuccess) return "";
    static const char kHex[] = "0123456789abcdef";
    std::string uuid;
    for (unsigned char byte : properties.uuid.bytes) {
        uuid += kHex[byte >> 4];
        uuid += kHex[byte & 15];
    }
    return uuid;
}

class NcclCommunicator final : public Communicator {
public:
    explicit NcclCommunicator(std::unique_ptr<Communicator> bootstrap)
        : bootstrap_(std::move(bootstrap)), rank_(bootstrap_->rank()) {
        int visible = 0;
        CUDA_CHECK(cudaGetDeviceCount(&visible));
        const int local_ranks = bootstrap_->local_size();
        device_ = cuda_device_for_local_rank(bootstrap_->local_rank(), local_ranks, visible);
        if (device_ < 0) {
            throw Error("nccl backend: " + std::to_string(local_ranks) + " ranks on this host but " +
                        std::to_string(visible) + " GPUs visible: it needs one GPU per rank");
        }
        CUDA_CHECK(cudaSetDevice(device_));
        check_no_shared_gpu();

        ncclUniqueId id;
        std::memset(&id, 0, sizeof id);
        if (rank_ == 0) NCCL_CHECK(ncclGetUniqueId(&id));
        std::string id_bytes(reinterpret_cast<const char*>(&id), sizeof id);
        bootstrap_->broadcast_string(id_bytes, 0);
        if (id_bytes.size() != sizeof id) throw Error("nccl backend: the broadcast ncclUniqueId has the wrong size");
        std::memcpy(&id, id_bytes.data(), sizeof id);
        NCCL_CHECK(ncclCommInitRank(&comm_, bootstrap_->size(), id, rank_));

        if (rank_ == 0) {
            int version = 0;
            NCCL_CHECK(ncclGetVersion(&version));
            LOG_I("comm: nccl %d, %d rank(s), rank 0 on cuda:%d", version, bootstrap_->size(), device_);
        }
    }

    ~NcclCommunicator() override {
        if (std::uncaught_exceptions() > 0 && size() > 1) {
            abort(1, "an exception is unwinding past the communicator");
        }
        cudaStreamSynchronize(training_stream());
        ncclCommDestroy(comm_);
    }

    int rank() const override { return rank_; }
    int size() const override { return bootstrap_->size(); }
    int local_rank() const override { return bootstrap_->local_rank(); }
    int local_size() const override { return bootstrap_->local_size(); }
    int cuda_device() const override { return device_; }
    const char* backend_name() const override { return "nccl"; }

    void allreduce_sum(at::Tensor& tensor) override {
        check_collective_tensor(tensor, "nccl allreduce_sum", device_);
        ncclDataType_t type = nccl_datatype(tensor, "nccl allreduce_sum");
        void* data = tensor.data_ptr();
        NCCL_CHECK(ncclAllReduce(data, data, tensor.numel(), type, ncclSum, comm_, training_stream()));
    }

    void broadcast(at::Tensor& tensor, int root) override {
        check_collective_tensor(tensor, "nccl broadcast", device_);
        ncclDataType_t type = nccl_datatype(tensor, "nccl broadcast");
        if (root < 0 || root >= size()) {
            throw Error("nccl broadcast: root " + std::to_string(root) + " is not a rank of this " +
                        std::to_string(size()) + "-rank job");
        }
        void* data = tensor.data_ptr();
        NCCL_CHECK(ncclBroadcast(data, data, tensor.numel(), type, root, comm_, training_stream()));
    }

    void broadcast_string(std::string& text, int root) override { bootstrap_->broadcast_string(text, root); }
    std::vector<std::string> allgather_string(const std::string& text) override {
        return bootstrap_->allgather_string(text);
    }

    void barrier() override {
        synchronize();
        bootstrap_->barrier();
    }

    void synchronize() override { CUDA_CHECK(cudaStreamSynchronize(training_stream())); }

    [[noreturn]] void abort(int exit_code, const std::string& why) override {
        if (comm_ != nullptr) ncclCommAbort(comm_);
        comm_ = nullptr;
        bootstrap_->abort(exit_code, why);
        std::_Exit(exit_code);  // bootstrap_->abort does not return; the compiler cannot see that
    }

private:
    // Two ranks on one GPU would fail inside NCCL with a less helpful message.
    void check_no_shared_gpu() {
        const std::vector<std::string> uuids = bootstrap_->allgather_string(cuda_device_uuid(device_));
        for (size_t a = 0; a < uuids.size(); ++a) {
            for (size_t b = a + 1; b < uuids.size(); ++b) {
                if (uuids[a] == uuids[b]) {
                    throw Error("nccl backend: ranks " + std::to_string(a) + " and " + std::to_string(b) +
                                " would share GPU " + uuids[a] + ": it needs one GPU per rank (use --comm mpi)");
                }
            }
        }
    }

    cudaStream_t training_stream() const {
#ifdef SEGSWEEP_TORCH_CUDA
        return c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_)).stream();
#else
        return nullptr;  // the default stream: ordered after all prior work on the device
#endif
    }

    std::unique_ptr<Communicator> bootstrap_;  // MPI (or single for one rank)
    int rank_ = 0;
    int device_ = -1;
    ncclComm_t comm_ = nullptr;
};

}  // namespace

bool nccl_backend_compiled() { return true; }

std::string nccl_device_for_rank(int local_rank, int local_size) {
    if (!at::hasCUDA()) return "";  // CPU-only LibTorch, or no GPU it can use
    int visible = 0;
    if (cudaGetDeviceCount(&visible) != cudaSuccess) return "";
    const int device = cuda_device_for_local_rank(local_rank, local_size, visible);
    return device < 0 ? "" : cuda_device_uuid(device);
}

std::unique_ptr<Communicator> make_nccl_communicator(std::unique_ptr<Communicator> bootstrap) {
    if (!at::hasCUDA()) {
        throw Error("nccl backend: this LibTorch cannot make CUDA tensors (a CPU-only build, or no GPU visible); "
                    "use --comm mpi");
    }
    return std::make_unique<NcclCommunicator>(std::move(bootstrap));
}

}  // namespace segsweep
