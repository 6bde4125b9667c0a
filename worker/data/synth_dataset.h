// The synthetic Follow-Me dataset: writes the original layout and formats (image_set.h) from a
// seed. Images are JPEG (kSynthJpegQuality, fixed libjpeg settings), masks are 8-bit RGB PNGs
// holding only (255,0,0), (0,255,0), (0,0,255). Every image has its own seed derived from
// (seed, split, index), so the same seed gives the same bytes, whatever the thread count.
// File names follow the original's pattern, pairing by sorted order:
//   images/0_run<split>cam1_<index:05>.jpeg  <->  masks/0_run<split>_mask_<index:05>.png
// Scenes (synth_scene.h): train and validation mix following, patrol-with-hero and patrol-without
// scenes; the evaluation sets keep the original's character (see SceneKind).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segsweep {

inline constexpr int kSynthDefaultTrain = 1000;       // images
inline constexpr int kSynthDefaultValidation = 300;   // images
inline constexpr int kSynthDefaultEvaluation = 500;   // images over the three evaluation sets
inline constexpr int kSynthDefaultSize = 256;         // px, the original's camera size
inline constexpr int kSynthMaxImagesPerSet = 99999;   // frame numbers have 5 digits
// The original evaluation sets hold 542 / 270 / 322 images; --eval N is split in that proportion.
inline constexpr int kOriginalEvaluationCounts[3] = {542, 270, 322};

struct SynthOptions {
    std::filesystem::path out;         // dataset root to create. It may hold an earlier synth run:
                                       // its files are overwritten and those past the new counts
                                       // removed; any other file in images/ or masks/ is an error.
    uint64_t seed = 0;
    int train = kSynthDefaultTrain;
    int validation = kSynthDefaultValidation;
    int evaluation = kSynthDefaultEvaluation;   // total over following/non_targ/with_targ
    int size = kSynthDefaultSize;               // image side, px (>= 32)
    int threads = 0;                            // 0 = all cores
};

struct SynthSetSummary {
    std::string name;              // "train", "validation", "following_images", ...
    std::filesystem::path dir;
    int images = 0;
    int images_with_hero = 0;      // masks with more than 3 hero pixels
    double hero_pixels_mean = 0;   // over images with the hero
};

struct SynthSummary {
    std::vector<SynthSetSummary> sets;
    double seconds = 0;            // wall time of the whole generation
};

// The evaluation split of `total` images: {following, non_targ, with_targ}, each >= 1 when total >= 3.
std::vector<int> evaluation_counts(int total);

// Writes the whole dataset under options.out. Throws segsweep::Error on bad options or a write failure.
SynthSummary synthesize_dataset(const SynthOptions& options);

}  // namespace segsweep
