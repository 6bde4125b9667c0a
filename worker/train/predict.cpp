// Predictions and overlays of a trained run on evaluation images (see predict.h).
#include "worker/train/predict.h"

#include <algorithm>
#include <chrono>

#include <torch/torch.h>

#include "common/error.h"
#include "common/log.h"
#include "worker/data/batch_loader.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/pil_resize.h"
#include "worker/data/scorer.h"
#include "worker/data/tensor_scoring.h"
#include "worker/model/fcn.h"
#include "worker/train/checkpoint.h"
#include "worker/train/overlay.h"
#include "worker/train/run_files.h"

namespace segsweep {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr const char* kOverlayFolder = "overlays";
constexpr const char* kOverlaySuffix = "_overlay.jpeg";

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

bool is_camera_image(const fs::path& file) {
    const std::string ext = file.extension().string();
    return ext == ".jpeg" || ext == ".jpg";
}

// The set folders to predict (each holds images/), in sorted order.
std::vector<fs::path> find_set_folders(const fs::path& data_root) {
    if (!fs::is_directory(data_root)) throw Error(data_root.string() + ": no such folder");
    if (fs::is_directory(data_root / kImagesFolder)) return {data_root};
    const fs::path root = fs::is_directory(data_root / kEvaluationFolder) ? data_root / kEvaluationFolder : data_root;
    std::vector<fs::path> sets;
    for (const auto& entry : fs::directory_iterator(root))
        if (entry.is_directory() && fs::is_directory(entry.path() / kImagesFolder)) sets.push_back(entry.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty())
        throw Error(data_root.string() + ": no evaluation sets found (folders holding " + kImagesFolder +
                    "/, directly or under " + kEvaluationFolder + "/)");
    return sets;
}

// The set's camera images, decoded and resized as training does; masks left at zero (unused).
ImageSet load_camera_images(const fs::path& set_dir, int image_size) {
    ImageSet set;
    set.name = set_dir.filename().string();
    set.dir = set_dir;
    set.size = image_size;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(set_dir / kImagesFolder))
        if (entry.is_regular_file() && is_camera_image(entry.path())) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error((set_dir / kImagesFolder).string() + ": no .jpeg images");
    set.count = static_cast<int>(files.size());
    set.images.reserve(set.values_per_item() * files.size());
    for (const auto& file : files) {
        const RgbImage image = read_jpeg(file);
        if (set.file_width == 0) {
            set.file_width = image.width;
            set.file_height = image.height;
        }
        const std::vector<uint8_t> resized =
            pil_resize_bilinear(image.pixels.data(), image.width, image.height, 3, image_size, image_size);
        set.images.insert(set.images.end(), resized.begin(), resized.end());
        set.image_files.push_back(file.filename().string());
    }
    set.masks.assign(set.images.size(), 0);
    set.mask_files = set.image_files;
    return set;
}

// Loads RUN's weights into `model`: model.pt, else the checkpoint's best weights.
void load_run_weights(const fs::path& run_dir, FcnImpl& model) {
    const fs::path weights = run_dir / kRunModelFile;
    const fs::path checkpoint = run_dir / kRunCheckpointFile;
    if (fs::exists(weights)) {
        load_weights(read_text_file(weights), model, weights.string());
    } else if (fs::exists(checkpoint)) {
        LOG_W("%s has no %s yet: using the best weights of %s", run_dir.c_str(), kRunModelFile, kRunCheckpointFile);
        load_checkpoint_best_weights(read_text_file(checkpoint), model, checkpoint.string());
    } else {
        throw Error(run_dir.string() + ": neither " + kRunModelFile + " nor " + kRunCheckpointFile +
                    " (is this a segsweep run folder?)");
    }
}

void write_overlays(const fs::path& folder, const ImageSet& set, int first_index, const torch::Tensor& probabilities) {
    torch::Tensor hwc = probabilities.to(torch::kCPU).permute({0, 2, 3, 1}).contiguous();
    const float* data = hwc.data_ptr<float>();
    const size_t per_image = set.values_per_item();
    std::vector<uint8_t> bytes(per_image);
    for (int64_t i = 0; i < hwc.size(0); ++i) {
        const int index = first_index + static_cast<int>(i);
        for (size_t v = 0; v < per_image; ++v) bytes[v] = prediction_byte(data[per_image * i + v]);
        const std::string stem = fs::path(set.image_files[index]).stem().string();
        write_jpeg(folder / (stem + kOverlaySuffix), overlay_prediction(set.image(index), bytes.data(), set.size));
    }
}

}  // namespace

PredictReport predict_run(const PredictOptions& options) {
    const auto start = Clock::now();
    if (options.batch_size < 1) throw Error("predict: batch size must be >= 1");
    set_torch_threads(options.threads > 0 ? options.threads : available_cores());
    const torch::Device device = choose_device(options.device, nullptr);
    const TrialConfig config = read_run_config(options.run_dir);
    Fcn model(fcn_architecture(config), static_cast<uint64_t>(config.seed));
    load_run_weights(options.run_dir, *model);
    model->to(device);
    model->eval();

    PredictReport report;
    for (const fs::path& set_dir : find_set_folders(options.data_root)) {
        const ImageSet set = load_camera_images(set_dir, config.image_size);
        const fs::path prediction_folder = options.out_dir / set.name;
        const fs::path overlay_folder = options.out_dir / kOverlayFolder / set.name;
        fs::create_directories(prediction_folder);
        if (options.overlays) fs::create_directories(overlay_folder);
        BatchLoaderOptions loader_options;
        loader_options.batch_size = options.batch_size;
        loader_options.shuffle = false;
        loader_options.workers = 1;
        loader_options.channels_last = options.channels_last;
        BatchLoader loader(set, loader_options);
        for (int64_t step = 0; step < loader.batches_per_pass(); ++step) {
            Batch batch = loader.next();
            const auto forward_start = Clock::now();
            torch::Tensor probabilities;
            {
                torch::InferenceMode inference;
                probabilities = model->forward(batch.x.to(device)).to(torch::kCPU);
            }
            report.forward_seconds += seconds_since(forward_start);
            const int first = batch.indices.front();
            write_prediction_batch(prediction_folder, set, first, probabilities);
            if (options.overlays) write_overlays(overlay_folder, set, first, probabilities);
        }
        report.sets.push_back(set.name);
        report.images_per_set.push_back(set.count);
        report.images += set.count;
    }
    report.seconds = seconds_since(start);
    report.images_per_sec = report.images / report.seconds;
    report.forward_images_per_sec = report.forward_seconds > 0 ? report.images / report.forward_seconds : 0.0;
    return report;
}

}  // namespace segsweep
