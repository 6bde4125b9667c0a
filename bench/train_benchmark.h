// `segsweep bench train`: images/s and achieved GFLOP/s of full training steps (forward, backward,
// Adam) of the FCN on synthetic data, for the reference modules in NCHW and channels_last and for
// the fast CPU path (worker/model/fast/fast_fcn.h), plus eval (inference-mode forward) images/s,
// and the matmul peak measured in the same run: a 2048^2 at::mm (what LibTorch's BLAS gives) and a
// 2048^2 oneDNN sgemm (the GEMM the fast path calls). "fast-portable" is the fast path with its
// portable kernels forced (what a CPU without AVX-512 runs). Prediction images/s: what `segsweep
// predict` spends per image besides file I/O: an inference-mode forward at its batch of 32 and the
// probabilities' conversion to the 8-bit prediction image.
//
// FLOP convention, the same for every contender: multiply-adds per image as `segsweep model
// summary` counts them (convolutions only), times 2 FLOP per multiply-add, times 3 for a training
// step (forward + two backward products); eval counts 1x.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "worker/model/fcn_architecture.h"

namespace segsweep {

inline constexpr int kTrainBenchPeakSize = 2048;      // square matmul for the peak
inline constexpr int kTrainBenchPeakRepeats = 3;      // best of, after one warm-up
inline constexpr double kTrainStepFlopsPerMac = 6.0;  // 2 FLOP x (forward + 2 backward products)
inline constexpr double kEvalFlopsPerMac = 2.0;
inline constexpr int kTrainBenchPredictBatch = 32;  // images per forward, as kPredictBatchSize (worker/train/predict.h)

// Contender names, in the order they run.
inline const std::vector<std::string> kTrainBenchContenders = {"reference-nchw", "reference-channels_last", "fast",
                                                              "fast-portable"};

struct TrainBenchmarkOptions {
    FcnArchitecture architecture;
    int image_size = 160;
    int batch = 64;
    int steps = 3;         // timed training steps per contender
    int warmup = 1;        // untimed steps first
    int eval_batches = 2;  // timed eval forward passes per contender
    int threads = 0;       // 0: every core
    uint64_t seed = 0;
    std::vector<std::string> contenders = kTrainBenchContenders;
};

struct TrainContenderResult {
    std::string name;
    std::string path;  // "fast" or "reference": what actually ran
    std::string kernels;  // fast path: "avx512" or "portable"; reference: "-"
    double train_images_per_second = 0;
    double train_gflops = 0;
    double eval_images_per_second = 0;
    double eval_gflops = 0;
    double predict_images_per_second = 0;
    double train_seconds = 0;
};

struct TrainBenchmarkReport {
    TrainBenchmarkOptions options;
    int threads = 0;
    int64_t forward_macs_per_image = 0;
    double mm_peak_gflops = 0;     // at::mm 2048^2
    double sgemm_peak_gflops = 0;  // oneDNN sgemm 2048^2 (0 without oneDNN)
    std::vector<TrainContenderResult> contenders;
};

// Runs the contenders one after another; progress(line) reports each as it finishes.
TrainBenchmarkReport run_train_benchmark(const TrainBenchmarkOptions& options,
                                         const std::function<void(const std::string&)>& progress);

std::string format_train_benchmark(const TrainBenchmarkReport& report);
nlohmann::json train_benchmark_json(const TrainBenchmarkReport& report);

}  // namespace segsweep
