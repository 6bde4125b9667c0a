// The data layer's verbs: `segsweep data synth|check|trivial-predictions`, `segsweep score` and
// `segsweep bench data`. Thin wrappers: parse options, call worker/data, print the result.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "worker/data/data_bench.h"
#include "worker/data/dataset_check.h"
#include "worker/data/image_set.h"
#include "worker/data/scorer.h"
#include "worker/data/synth_dataset.h"
#include "worker/data/trivial_predictions.h"

namespace segsweep::cli {
namespace {

void add_synth(CLI::App& data) {
    auto options = std::make_shared<SynthOptions>();
    CLI::App* synth = data.add_subcommand(
        "synth", "Write a synthetic Follow-Me dataset in the original layout (JPEG images, RGB PNG masks)");
    synth->add_option("--out", options->out, "Dataset root to write")->required();
    synth->add_option("--seed", options->seed, "Seed: the same seed gives the same bytes")->capture_default_str();
    synth->add_option("--train", options->train, "Training images")->capture_default_str();
    synth->add_option("--validation", options->validation, "Validation images")->capture_default_str();
    synth->add_option("--eval", options->evaluation,
                      "Evaluation images in all, split 542:270:322 like the original "
                      "(following_images, patrol_non_targ, patrol_with_targ)")
        ->capture_default_str();
    synth->add_option("--size", options->size, "Image side in px (the original camera: 256)")->capture_default_str();
    synth->add_option("--threads", options->threads, "Threads (0 = all cores)")->capture_default_str();
    synth->callback([options] {
        const SynthSummary summary = synthesize_dataset(*options);
        std::printf("wrote %s in %.1f s\n", options->out.c_str(), summary.seconds);
        std::printf("%-18s %7s %10s %16s\n", "set", "images", "with_hero", "hero_px_mean");
        for (const auto& set : summary.sets)
            std::printf("%-18s %7d %10d %16.1f\n", set.name.c_str(), set.images, set.images_with_hero,
                        set.hero_pixels_mean);
    });
}

void add_check(CLI::App& data) {
    auto root = std::make_shared<std::string>();
    auto threads = std::make_shared<int>(0);
    CLI::App* check = data.add_subcommand(
        "check", "Validate a dataset root (every file decodes, masks hold only the three colours, sizes and "
                 "counts agree); print counts per split and the pixel share of each class");
    check->add_option("root", *root, "Dataset root (train/, validation/, sample_evaluation_data/)")->required();
    check->add_option("--threads", *threads, "Threads (0 = all cores)")->capture_default_str();
    check->callback([root, threads] {
        const DatasetReport report = check_dataset(*root, *threads);
        std::printf("%s", format_dataset_report(report).c_str());
        std::printf("ok: %s\n", root->c_str());
    });
}

void add_trivial_predictions(CLI::App& data) {
    struct Options {
        std::string truth, out, kind = "shifted";
        int size = kDefaultImageSize;
        int shift = 6;
    };
    auto options = std::make_shared<Options>();
    CLI::App* trivial = data.add_subcommand(
        "trivial-predictions",
        "Write reference prediction PNGs without a model (background: all background; truth: the masks; "
        "shifted: the masks moved right) to try `segsweep score`");
    trivial->add_option("--truth", options->truth, "Dataset root or its sample_evaluation_data folder")->required();
    trivial->add_option("--out", options->out, "Prediction root to write (one folder per evaluation set)")->required();
    trivial->add_option("--kind", options->kind, "background | truth | shifted")->capture_default_str();
    trivial->add_option("--size", options->size, "Prediction side in px")->capture_default_str();
    trivial->add_option("--shift", options->shift, "px to the right, for --kind shifted")->capture_default_str();
    trivial->callback([options] {
        const int written = write_trivial_predictions(options->truth, options->out,
                                                      trivial_prediction_from_name(options->kind), options->size,
                                                      options->shift);
        std::printf("wrote %d %s predictions under %s\n", written, options->kind.c_str(), options->out.c_str());
    });
}

void add_score(CLI::App& app) {
    struct Options {
        std::string truth, pred, format = "table";
    };
    auto options = std::make_shared<Options>();
    CLI::App* score = app.add_subcommand(
        "score", "The exact Udacity Follow-Me score of a prediction folder (PRED/<set>/<stem>_prediction.png)");
    score->add_option("--truth", options->truth, "Dataset root or its sample_evaluation_data folder")->required();
    score->add_option("--pred", options->pred, "Prediction root: following_images/, patrol_non_targ/, patrol_with_targ/")
        ->required();
    score->add_option("--format", options->format, "table | json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    score->callback([options] {
        const FollowMeScore result = score_prediction_folders(options->truth, options->pred);
        if (options->format == "json")
            std::printf("%s\n", to_json(result).dump(2).c_str());
        else
            std::printf("%s", format_score_table(result).c_str());
    });
}

void add_bench_data(CLI::App& app) {
    auto options = std::make_shared<DataBenchOptions>();
    auto root = std::make_shared<std::string>();
    CLI::App* bench = bench_command(app).add_subcommand(
        "data", "Images/s decoding files vs reading the decoded cache (same run, same threads), and the "
                "synthetic generator's time per image");
    bench->add_option("--root", *root, "Dataset root to measure (default: a synthetic train set in a temp folder)");
    bench->add_option("--images", options->images, "Synthetic images when no --root")->capture_default_str();
    bench->add_option("--size", options->image_size, "Loader image size, px")->capture_default_str();
    bench->add_option("--threads", options->threads, "Decode threads for both paths")->capture_default_str();
    bench->add_option("--repeats", options->repeats, "Timed repetitions (best kept)")->capture_default_str();
    bench->callback([options, root] {
        options->root = *root;
        std::printf("%s", format_data_bench(run_data_bench(*options)).c_str());
    });
}

}  // namespace

void add_data_commands(CLI::App& app) {
    CLI::App& data = parent_command(app, "data", "Datasets: synthesize, check, reference predictions");
    add_synth(data);
    add_check(data);
    add_trivial_predictions(data);
    add_score(app);
    add_bench_data(app);
}

}  // namespace segsweep::cli
