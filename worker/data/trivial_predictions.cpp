// Writing background / truth / shifted-truth prediction PNGs for the evaluation sets.
#include "worker/data/trivial_predictions.h"

#include "common/error.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/mask_io.h"
#include "worker/data/pil_resize.h"
#include "worker/data/scorer.h"

namespace segsweep {

namespace fs = std::filesystem;

TrivialPrediction trivial_prediction_from_name(const std::string& name) {
    if (name == "background") return TrivialPrediction::background;
    if (name == "truth") return TrivialPrediction::truth;
    if (name == "shifted") return TrivialPrediction::shifted;
    throw Error("unknown trivial prediction '" + name + "' (valid: background, truth, shifted)");
}

int write_trivial_predictions(const fs::path& truth_root, const fs::path& pred_root, TrivialPrediction kind, int size,
                              int shift) {
    if (size < 1) throw Error("prediction size must be >= 1, got " + std::to_string(size));
    const fs::path eval_root = evaluation_root(truth_root);
    int written = 0;
    for (const char* name : kEvaluationSetNames) {
        const SetFiles files = list_set_files(eval_root / name);
        const fs::path out_dir = pred_root / name;
        std::error_code error;
        fs::create_directories(out_dir, error);
        if (error) throw Error(out_dir.string() + ": cannot create the folder: " + error.message());
        for (size_t i = 0; i < files.images.size(); ++i) {
            RgbImage prediction(size, size);
            if (kind == TrivialPrediction::background) {
                for (size_t p = 0; p < prediction.pixels.size(); p += 3) prediction.pixels[p + kBackgroundChannel] = 255;
            } else {
                const RgbImage truth = read_one_hot_mask(files.masks[i]);
                const auto resized = pil_resize_bilinear(truth.pixels.data(), truth.width, truth.height, 3, size, size);
                for (int y = 0; y < size; ++y)
                    for (int x = 0; x < size; ++x) {
                        const int from_x = kind == TrivialPrediction::shifted ? x - shift : x;
                        uint8_t* out = prediction.at(x, y);
                        if (from_x < 0 || from_x >= size) {
                            out[kBackgroundChannel] = 255;
                            continue;
                        }
                        for (int c = 0; c < 3; ++c)
                            out[c] = resized[(static_cast<size_t>(y) * size + from_x) * 3 + c] ? 255 : 0;
                    }
            }
            write_png(out_dir / prediction_file_name(files.images[i].filename().string()), prediction);
            ++written;
        }
    }
    return written;
}

}  // namespace segsweep
