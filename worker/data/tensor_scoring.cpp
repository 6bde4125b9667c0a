// Scoring and writing torch probability tensors through the plain-array scorer.
#include "worker/data/tensor_scoring.h"

#include <string>

#include "common/error.h"

namespace segsweep {
namespace {

// [n,3,h,w] float32 on the CPU in NCHW order, checked against the set.
at::Tensor checked_cpu_nchw(const ImageSet& set, int first_index, const at::Tensor& probabilities) {
    if (probabilities.dim() != 4 || probabilities.size(1) != 3 || probabilities.size(2) != set.size ||
        probabilities.size(3) != set.size)
        throw Error("probabilities for set '" + set.name + "': expected [n,3," + std::to_string(set.size) + "," +
                    std::to_string(set.size) + "], got " + std::to_string(probabilities.dim()) + "-d tensor of sizes " +
                    [&] {
                        std::string text;
                        for (int64_t d = 0; d < probabilities.dim(); ++d)
                        {
                            if (d > 0) text.push_back('x');
                            text.append(std::to_string(probabilities.size(d)));
                        }
                        return text;
                    }());
    const int64_t n = probabilities.size(0);
    if (first_index < 0 || first_index + n > set.count)
        throw Error("probabilities for set '" + set.name + "': images " + std::to_string(first_index) + ".." +
                    std::to_string(first_index + n - 1) + " are outside the set's " + std::to_string(set.count));
    return probabilities.detach().to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace

void add_probability_batch(EvalSetScorer& scorer, const ImageSet& truth, int first_index,
                           const at::Tensor& probabilities) {
    const at::Tensor cpu = checked_cpu_nchw(truth, first_index, probabilities);
    const float* data = cpu.data_ptr<float>();
    const size_t per_image = truth.values_per_item();
    for (int64_t i = 0; i < cpu.size(0); ++i)
        scorer.add_probabilities(truth.mask(first_index + static_cast<int>(i)), data + per_image * i,
                                 ProbabilityLayout::chw, truth.size, truth.size);
}

void write_prediction_batch(const std::filesystem::path& out_dir, const ImageSet& set, int first_index,
                            const at::Tensor& probabilities) {
    const at::Tensor cpu = checked_cpu_nchw(set, first_index, probabilities);
    const float* data = cpu.data_ptr<float>();
    const size_t per_image = set.values_per_item();
    std::error_code error;
    std::filesystem::create_directories(out_dir, error);
    if (error) throw Error(out_dir.string() + ": cannot create the folder: " + error.message());
    for (int64_t i = 0; i < cpu.size(0); ++i) {
        const int index = first_index + static_cast<int>(i);
        write_prediction_png(out_dir / prediction_file_name(set.image_files.at(index)), data + per_image * i,
                             ProbabilityLayout::chw, set.size, set.size);
    }
}

}  // namespace segsweep
