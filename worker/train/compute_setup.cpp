// Thread count and device choice for a training rank (see compute_setup.h).
#include "worker/train/compute_setup.h"

#include <sched.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <ATen/Parallel.h>
#include <torch/cuda.h>

#include "common/error.h"

namespace segsweep {

DeviceChoice device_choice_from_name(const std::string& name) {
    if (name == "auto") return DeviceChoice::automatic;
    if (name == "cpu") return DeviceChoice::cpu;
    if (name == "cuda") return DeviceChoice::cuda;
    throw Error("device: unknown value '" + name + "' (expected auto, cpu or cuda)");
}

int available_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

int default_thread_count(const Communicator* comm) {
    const int cores = available_cores();
    const int host_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int local_ranks = comm ? comm->local_size() : 1;
    // Ranks left unbound all see every core of the host: divide them.
    if (local_ranks > 1 && cores >= host_cores) return std::max(1, cores / local_ranks);
    return cores;
}

int set_torch_threads(int threads) {
    if (threads < 1) throw Error("threads: must be >= 1, got " + std::to_string(threads));
    at::set_num_threads(threads);
    return threads;
}

torch::Device choose_device(DeviceChoice choice, const Communicator* comm) {
    if (choice == DeviceChoice::cpu) return torch::Device(torch::kCPU);
    const bool have_gpu = torch::cuda::is_available();
    if (choice == DeviceChoice::cuda && !have_gpu)
        throw Error("device cuda: LibTorch sees no GPU (a CPU-only LibTorch, or no visible device)");
    const bool single = comm == nullptr || comm->size() == 1;
    const bool nccl = comm != nullptr && std::strcmp(comm->backend_name(), "nccl") == 0;
    if (have_gpu && (single || nccl || choice == DeviceChoice::cuda)) {
        const int index = comm ? comm->local_rank() : 0;
        const int devices = static_cast<int>(torch::cuda::device_count());
        if (index >= devices)
            throw Error("device: local rank " + std::to_string(index) + " needs GPU " + std::to_string(index) +
                        " but only " + std::to_string(devices) + " are visible");
        return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
    }
    return torch::Device(torch::kCPU);
}

}  // namespace segsweep
