// `segsweep predict`: runs a trained run's best weights over evaluation images and writes what the
// original write_predictions_grade_set wrote, plus overlays:
//   OUT/<set>/<stem>_prediction.png          8-bit RGB, channel c = uint8(p_c * 255) (scorer.h)
//   OUT/overlays/<set>/<stem>_overlay.jpeg   the camera image with hero and people tinted
// so `segsweep score --truth EVAL_ROOT --pred OUT` scores them. Sets: every folder holding images/
// under EVAL_ROOT/sample_evaluation_data (or EVAL_ROOT itself when that holds them), or EVAL_ROOT
// alone when it has images/. Only the images are read (masks are not needed); they are decoded
// and resized with PIL's bilinear filter as in training. Weights: RUN/model.pt, else the best
// weights in RUN/checkpoint.pt; the architecture and image size come from RUN/config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "worker/train/compute_setup.h"

namespace segsweep {

inline constexpr int kPredictBatchSize = 32;  // images per forward pass

struct PredictOptions {
    std::filesystem::path run_dir;
    std::filesystem::path data_root;
    std::filesystem::path out_dir;
    int threads = 0;                     // 0 = available_cores()
    DeviceChoice device = DeviceChoice::automatic;
    int batch_size = kPredictBatchSize;
    bool overlays = true;
    bool channels_last = true;
};

struct PredictReport {
    std::vector<std::string> sets;       // set names, in the order written
    std::vector<int> images_per_set;
    int64_t images = 0;
    double seconds = 0;                  // whole run: decode, forward, PNG/JPEG writing
    double forward_seconds = 0;          // the model alone
    double images_per_sec = 0;           // images / seconds
    double forward_images_per_sec = 0;   // images / forward_seconds
};

// Throws segsweep::Error naming the folder or file at fault.
PredictReport predict_run(const PredictOptions& options);

}  // namespace segsweep
