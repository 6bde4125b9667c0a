// `segsweep bench train` measurements (see train_benchmark.h): the matmul peaks, then each
// contender's training steps and eval passes on one synthetic batch.
#include "bench/train_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <thread>

#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/fast/fast_fcn.h"
#include "worker/model/fcn.h"
#include "worker/model/loss.h"
#include "worker/model/model_summary.h"

#if SEGSWEEP_HAVE_DNNL
#include "worker/model/fast/fast_gemm.h"
#include "worker/model/fast/fast_kernels.h"
#endif

namespace segsweep {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best GFLOP/s of `multiply` (one n x n x n product) over kTrainBenchPeakRepeats, after a warm-up.
template <class Multiply>
double peak_gflops(const Multiply& multiply) {
    const double flops = 2.0 * kTrainBenchPeakSize * kTrainBenchPeakSize * kTrainBenchPeakSize;
    multiply();
    double best = 0;
    for (int i = 0; i < kTrainBenchPeakRepeats; ++i) {
        const Clock::time_point start = Clock::now();
        multiply();
        best = std::max(best, flops / seconds_since(start) / 1e9);
    }
    return best;
}

double mm_peak_gflops() {
    const torch::Tensor a = torch::rand({kTrainBenchPeakSize, kTrainBenchPeakSize});
    const torch::Tensor b = torch::rand({kTrainBenchPeakSize, kTrainBenchPeakSize});
    torch::Tensor c = torch::empty({kTrainBenchPeakSize, kTrainBenchPeakSize});
    return peak_gflops([&] { torch::mm_out(c, a, b); });
}

double sgemm_peak_gflops() {
#if SEGSWEEP_HAVE_DNNL
    const torch::Tensor a = torch::rand({kTrainBenchPeakSize, kTrainBenchPeakSize});
    const torch::Tensor b = torch::rand({kTrainBenchPeakSize, kTrainBenchPeakSize});
    torch::Tensor c = torch::empty({kTrainBenchPeakSize, kTrainBenchPeakSize});
    const int64_t n = kTrainBenchPeakSize;
    return peak_gflops([&] { fast::gemm_a_b(n, n, n, a.data_ptr<float>(), n, b.data_ptr<float>(), n, 0.0f, c.data_ptr<float>(), n); });
#else
    return 0;
#endif
}

// The contender's model: the reference modules (optionally with channels_last weights) or the
// same modules dispatching to the fast path.
struct Contender {
    bool channels_last = false;
    bool fast = false;
    bool portable_kernels = false;
};

Contender contender_by_name(const std::string& name) {
    if (name == "reference-nchw") return {false, false, false};
    if (name == "reference-channels_last") return {true, false, false};
    if (name == "fast") return {false, true, false};
    if (name == "fast-portable") return {false, true, true};
    throw Error("bench train: unknown contender '" + name +
                "' (known: reference-nchw, reference-channels_last, fast, fast-portable)");
}

// Forces the fast path's portable kernels while in scope (no-op without oneDNN).
class ScopedPortableKernels {
public:
    explicit ScopedPortableKernels(bool portable) {
#if SEGSWEEP_HAVE_DNNL
        previous_ = fast::fast_kernel_variant();
        if (portable) fast::set_fast_kernel_variant(fast::KernelVariant::kPortable);
#else
        (void)portable;
#endif
    }
    ~ScopedPortableKernels() {
#if SEGSWEEP_HAVE_DNNL
        fast::set_fast_kernel_variant(previous_);
#endif
    }
    ScopedPortableKernels(const ScopedPortableKernels&) = delete;
    ScopedPortableKernels& operator=(const ScopedPortableKernels&) = delete;

private:
#if SEGSWEEP_HAVE_DNNL
    fast::KernelVariant previous_ = fast::KernelVariant::kPortable;
#endif
};

std::string kernels_in_use() {
#if SEGSWEEP_HAVE_DNNL
    return fast::kernel_variant_name(fast::fast_kernel_variant());
#else
    return "-";
#endif
}

TrainContenderResult measure_contender(const std::string& name, const TrainBenchmarkOptions& o, int64_t macs) {
    const Contender contender = contender_by_name(name);
    const torch::MemoryFormat format =
        contender.channels_last ? torch::MemoryFormat::ChannelsLast : torch::MemoryFormat::Contiguous;
    std::optional<ScopedFastFcnDisabled> reference_only;
    if (!contender.fast) reference_only.emplace();
    const ScopedPortableKernels kernels(contender.portable_kernels);

    Fcn model(o.architecture, o.seed);
    if (contender.channels_last) {
        torch::NoGradGuard no_grad;
        for (auto& p : model->parameters())
            if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.999}).eps(1e-8));
    torch::manual_seed(o.seed);
    const torch::Tensor x = (torch::rand({o.batch, kFcnInputChannels, o.image_size, o.image_size}) * 2 - 1).contiguous(format);
    const torch::Tensor labels = torch::randint(0, kFcnClasses, {o.batch, o.image_size, o.image_size});
    const torch::Tensor y = torch::one_hot(labels, kFcnClasses).permute({0, 3, 1, 2}).to(torch::kFloat32).contiguous(format);

    TrainContenderResult result;
    result.name = name;
    model->train();
    result.path = fast_fcn_unsupported_reason(*model, x).empty() ? "fast" : "reference";
    result.kernels = result.path == "fast" ? kernels_in_use() : "-";
    auto step = [&] {
        optimizer.zero_grad();
        torch::Tensor loss = categorical_crossentropy(model->forward(x), y);
        loss.backward();
        optimizer.step();
    };
    for (int i = 0; i < o.warmup; ++i) step();
    const Clock::time_point train_start = Clock::now();
    for (int i = 0; i < o.steps; ++i) step();
    result.train_seconds = seconds_since(train_start);
    result.train_images_per_second = o.batch * o.steps / result.train_seconds;
    result.train_gflops = result.train_images_per_second * kTrainStepFlopsPerMac * static_cast<double>(macs) / 1e9;

    model->eval();
    {
        c10::InferenceMode inference;
        model->forward(x);
        const Clock::time_point eval_start = Clock::now();
        for (int i = 0; i < o.eval_batches; ++i) model->forward(x);
        result.eval_images_per_second = o.batch * o.eval_batches / seconds_since(eval_start);

        // Prediction: batches of kTrainBenchPredictBatch, probabilities to 8-bit HWC images.
        const int64_t predict_batch = std::min<int64_t>(kTrainBenchPredictBatch, o.batch);
        const torch::Tensor xp = x.slice(0, 0, predict_batch);
        const int64_t passes = std::max<int64_t>(1, o.batch * o.eval_batches / predict_batch);
        auto predict = [&] {
            torch::Tensor bytes = (model->forward(xp).permute({0, 2, 3, 1}) * 255.0f).to(torch::kUInt8).contiguous();
            return bytes.numel();
        };
        predict();
        const Clock::time_point predict_start = Clock::now();
        for (int64_t i = 0; i < passes; ++i) predict();
        result.predict_images_per_second = static_cast<double>(predict_batch * passes) / seconds_since(predict_start);
    }
    result.eval_gflops = result.eval_images_per_second * kEvalFlopsPerMac * static_cast<double>(macs) / 1e9;
    release_fast_fcn_workspaces();
    return result;
}

std::string architecture_text(const FcnArchitecture& a) {
    std::ostringstream text;
    text << "enc";
    for (int f : a.encoder_filters) text << " " << f;
    text << ", 1x1 " << a.conv1x1_filters << " k" << a.conv1x1_kernel << ", dec";
    for (int f : a.decoder_filters) text << " " << f;
    text << " x" << a.decoder_convs << ", out k" << a.output_kernel;
    return text.str();
}

}  // namespace

TrainBenchmarkReport run_train_benchmark(const TrainBenchmarkOptions& options,
                                         const std::function<void(const std::string&)>& progress) {
    if (options.batch < 1 || options.steps < 1 || options.warmup < 0 || options.eval_batches < 1)
        throw Error("bench train: --batch, --steps and --eval-batches must be at least 1, --warmup at least 0");
    TrainBenchmarkReport report;
    report.options = options;
    report.threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
    at::set_num_threads(report.threads);
    report.forward_macs_per_image = summarize_fcn(options.architecture, options.image_size).multiply_adds;
    for (const std::string& name : options.contenders) contender_by_name(name);  // reject typos before running

    report.mm_peak_gflops = mm_peak_gflops();
    report.sgemm_peak_gflops = sgemm_peak_gflops();
    char line[160];
    std::snprintf(line, sizeof line, "matmul peak %dx%d: at::mm %.1f GFLOP/s, oneDNN sgemm %.1f GFLOP/s",
                  kTrainBenchPeakSize, kTrainBenchPeakSize, report.mm_peak_gflops, report.sgemm_peak_gflops);
    progress(line);
    for (const std::string& name : options.contenders) {
        report.contenders.push_back(measure_contender(name, options, report.forward_macs_per_image));
        const TrainContenderResult& r = report.contenders.back();
        std::snprintf(line, sizeof line, "%s (%s path): train %.2f images/s, eval %.2f images/s, predict %.2f images/s",
                      name.c_str(), r.path.c_str(), r.train_images_per_second, r.eval_images_per_second,
                      r.predict_images_per_second);
        progress(line);
    }
    return report;
}

std::string format_train_benchmark(const TrainBenchmarkReport& r) {
    const TrainBenchmarkOptions& o = r.options;
    const double macs = static_cast<double>(r.forward_macs_per_image);
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "# segsweep bench train: FCN (%s) at %dx%d, batch %d, %d steps after %d warm-up, %d threads\n",
                  architecture_text(o.architecture).c_str(), o.image_size, o.image_size, o.batch, o.steps, o.warmup,
                  r.threads);
    out += line;
    std::snprintf(line, sizeof line,
                  "# %.1f M multiply-adds/image forward (model summary); training step = 6 FLOP/MAC (%.2f GFLOP/image), "
                  "eval = 2 FLOP/MAC\n",
                  macs / 1e6, macs * kTrainStepFlopsPerMac / 1e9);
    out += line;
    std::snprintf(line, sizeof line, "# matmul peak (%d^2, same run): at::mm %.1f GFLOP/s, oneDNN sgemm %.1f GFLOP/s\n",
                  kTrainBenchPeakSize, r.mm_peak_gflops, r.sgemm_peak_gflops);
    out += line;
    std::snprintf(line, sizeof line, "%-24s %-9s %-8s %11s %13s %8s %11s %10s %12s %13s\n", "contender", "path",
                  "kernels", "train img/s", "train GFLOP/s", "%mm", "%sgemm", "eval img/s", "eval GFLOP/s",
                  "predict img/s");
    out += line;
    for (const TrainContenderResult& c : r.contenders) {
        std::snprintf(line, sizeof line, "%-24s %-9s %-8s %11.2f %13.1f %7.1f%% %10.1f%% %10.1f %12.1f %13.1f\n",
                      c.name.c_str(), c.path.c_str(), c.kernels.c_str(), c.train_images_per_second, c.train_gflops,
                      r.mm_peak_gflops > 0 ? 100 * c.train_gflops / r.mm_peak_gflops : 0.0,
                      r.sgemm_peak_gflops > 0 ? 100 * c.train_gflops / r.sgemm_peak_gflops : 0.0,
                      c.eval_images_per_second, c.eval_gflops, c.predict_images_per_second);
        out += line;
    }
    return out;
}

nlohmann::json train_benchmark_json(const TrainBenchmarkReport& r) {
    nlohmann::json contenders = nlohmann::json::array();
    for (const TrainContenderResult& c : r.contenders)
        contenders.push_back({{"contender", c.name},
                              {"path", c.path},
                              {"kernels", c.kernels},
                              {"train_images_per_s", c.train_images_per_second},
                              {"train_gflops", c.train_gflops},
                              {"train_seconds", c.train_seconds},
                              {"eval_images_per_s", c.eval_images_per_second},
                              {"eval_gflops", c.eval_gflops},
                              {"predict_images_per_s", c.predict_images_per_second}});
    return {{"image_size", r.options.image_size},
            {"batch", r.options.batch},
            {"steps", r.options.steps},
            {"threads", r.threads},
            {"forward_macs_per_image", r.forward_macs_per_image},
            {"train_flops_per_mac", kTrainStepFlopsPerMac},
            {"mm_peak_gflops", r.mm_peak_gflops},
            {"sgemm_peak_gflops", r.sgemm_peak_gflops},
            {"contenders", contenders}};
}

}  // namespace segsweep
