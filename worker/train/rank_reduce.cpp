// Cross-rank sums of a few doubles (see rank_reduce.h).
#include "worker/train/rank_reduce.h"

#include <torch/torch.h>

namespace segsweep {

void allreduce_sums(Communicator& comm, std::vector<double>& values, const torch::Device& device) {
    if (comm.size() == 1 || values.empty()) return;
    torch::Tensor tensor =
        torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64)).to(device).contiguous();
    comm.allreduce_sum(tensor);
    torch::Tensor host = tensor.to(torch::kCPU);
    const double* data = host.data_ptr<double>();
    for (size_t i = 0; i < values.size(); ++i) values[i] = data[i];
}

bool any_rank(Communicator& comm, bool flag, const torch::Device& device) {
    if (comm.size() == 1) return flag;
    std::vector<double> value = {flag ? 1.0 : 0.0};
    allreduce_sums(comm, value, device);
    return value[0] > 0;
}

}  // namespace segsweep
