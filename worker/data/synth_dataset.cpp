// Writing a synthetic dataset: the five sets of the original layout, one scene per image, rendered
// and encoded in parallel with per-image seeds.
#include "worker/data/synth_dataset.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "common/error.h"
#include "worker/data/image_io.h"
#include "worker/data/image_set.h"
#include "worker/data/parallel_for.h"
#include "worker/data/random.h"
#include "worker/data/scorer.h"
#include "worker/data/synth_scene.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

struct SetPlan {
    std::string name;
    fs::path dir;
    SceneKind kind;
    int count;
    int run;   // the "run" number in the file names, one per set
};

std::string numbered(const char* pattern, int run, int index) {
    char name[96];
    std::snprintf(name, sizeof(name), pattern, run, index);
    return name;
}

// A rerun into the same root may ask for fewer images: files a previous run wrote past the new
// count are removed, so pairing stays right. Files synth did not write are never touched: their
// presence is an error (they would pair with the generated ones).
void clear_stale_files(const fs::path& dir, const std::string& prefix, const std::string& extension, int count) {
    std::error_code error;
    std::vector<fs::path> stale;
    for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (it->path().extension() != extension) continue;
        const bool ours = name.size() == prefix.size() + 5 + extension.size() && name.compare(0, prefix.size(), prefix) == 0 &&
                          std::all_of(name.begin() + static_cast<long>(prefix.size()),
                                      name.begin() + static_cast<long>(prefix.size()) + 5,
                                      [](char c) { return c >= '0' && c <= '9'; });
        if (!ours)
            throw Error(it->path().string() + ": not written by `segsweep data synth`; choose an empty --out folder");
        if (std::stoi(name.substr(prefix.size(), 5)) >= count) stale.push_back(it->path());
    }
    if (error) throw Error(dir.string() + ": cannot list the folder: " + error.message());
    for (const auto& file : stale) {
        fs::remove(file, error);
        if (error) throw Error(file.string() + ": cannot remove a stale file: " + error.message());
    }
}

SynthSetSummary write_set(const SetPlan& plan, const SynthOptions& options) {
    std::error_code error;
    fs::create_directories(plan.dir / kImagesFolder, error);
    if (!error) fs::create_directories(plan.dir / kMasksFolder, error);
    if (error) throw Error(plan.dir.string() + ": cannot create the folders: " + error.message());
    clear_stale_files(plan.dir / kImagesFolder, "0_run" + std::to_string(plan.run) + "cam1_", ".jpeg", plan.count);
    clear_stale_files(plan.dir / kMasksFolder, "0_run" + std::to_string(plan.run) + "_mask_", ".png", plan.count);
    std::vector<int> hero_pixels(static_cast<size_t>(plan.count), 0);
    parallel_for(plan.count, options.threads, [&](int index) {
        const uint64_t seed = mix_seed(options.seed, static_cast<uint64_t>(plan.run), static_cast<uint64_t>(index));
        const SceneImage scene = render_scene(plan.kind, seed, options.size);
        write_jpeg(plan.dir / kImagesFolder / numbered("0_run%dcam1_%05d.jpeg", plan.run, index), scene.image,
                   kSynthJpegQuality);
        write_png(plan.dir / kMasksFolder / numbered("0_run%d_mask_%05d.png", plan.run, index), scene.mask);
        hero_pixels[index] = scene.hero_pixels;
    });
    SynthSetSummary summary;
    summary.name = plan.name;
    summary.dir = plan.dir;
    summary.images = plan.count;
    double total = 0;
    for (int pixels : hero_pixels)
        if (pixels > kHeroPresentPixels) {
            ++summary.images_with_hero;
            total += pixels;
        }
    summary.hero_pixels_mean = summary.images_with_hero ? total / summary.images_with_hero : 0.0;
    return summary;
}

}  // namespace

std::vector<int> evaluation_counts(int total) {
    if (total < 3) throw Error("--eval must be >= 3 (one image per evaluation set at least), got " + std::to_string(total));
    const int original_total = kOriginalEvaluationCounts[0] + kOriginalEvaluationCounts[1] + kOriginalEvaluationCounts[2];
    std::vector<int> counts(3);
    counts[1] = std::max(1, static_cast<int>(std::lround(static_cast<double>(total) * kOriginalEvaluationCounts[1] / original_total)));
    counts[2] = std::max(1, static_cast<int>(std::lround(static_cast<double>(total) * kOriginalEvaluationCounts[2] / original_total)));
    counts[0] = total - counts[1] - counts[2];
    return counts;
}

SynthSummary synthesize_dataset(const SynthOptions& options) {
    if (options.out.empty()) throw Error("synthetic dataset: --out is required");
    if (options.train < 1 || options.validation < 1)
        throw Error("synthetic dataset: --train and --validation must be >= 1");
    if (options.train > kSynthMaxImagesPerSet || options.validation > kSynthMaxImagesPerSet ||
        options.evaluation > kSynthMaxImagesPerSet)
        throw Error("synthetic dataset: at most " + std::to_string(kSynthMaxImagesPerSet) +
                    " images per set (5-digit frame numbers)");
    if (options.size < 32 || options.size > 4096)
        throw Error("synthetic dataset: --size must be within 32..4096 px, got " + std::to_string(options.size));
    const std::vector<int> eval = evaluation_counts(options.evaluation);
    const fs::path eval_root = options.out / kEvaluationFolder;
    const std::vector<SetPlan> plans = {
        {kTrainSplit, options.out / kTrainSplit, SceneKind::training, options.train, 1},
        {kValidationSplit, options.out / kValidationSplit, SceneKind::training, options.validation, 2},
        {kFollowingImages, eval_root / kFollowingImages, SceneKind::following, eval[0], 3},
        {kPatrolNonTarg, eval_root / kPatrolNonTarg, SceneKind::patrol_non_targ, eval[1], 4},
        {kPatrolWithTarg, eval_root / kPatrolWithTarg, SceneKind::patrol_with_targ, eval[2], 5},
    };
    const auto start = std::chrono::steady_clock::now();
    SynthSummary summary;
    for (const auto& plan : plans) summary.sets.push_back(write_set(plan, options));
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return summary;
}

}  // namespace segsweep
