// record_sweep: the grid trained to the end with the real trainer, scoring the best-so-far
// weights after each epoch whose val_loss improved (see sweep_efficiency_recorder.h).
#include "bench/sweep_efficiency_recorder.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>

#include <torch/torch.h>

#include "common/error.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/trial_planner.h"
#include "worker/comm/communicator.h"
#include "worker/data/image_set.h"
#include "worker/model/fcn.h"
#include "worker/train/checkpoint.h"
#include "worker/train/evaluation.h"
#include "worker/train/run_files.h"
#include "worker/train/trainer.h"

namespace segsweep {
namespace {

constexpr int kScoringBatch = 32;  // images per forward when scoring the evaluation sets

// 3 x 3 x 3 grid: learning rate, batch size and encoder width all change the outcome within 27
// epochs on the small synthetic set; num_epochs 27 gives hyperband (eta 3) the rungs 1, 3, 9, 27.
constexpr const char* kDefaultRecordingSweep = R"json({
  "name": "bench_sweep_grid",
  "description": "bench sweep record: 27 small FCNs at 48 px, each trained 27 epochs with patience 0",
  "method": "grid",
  "metric": {"name": "final_score", "goal": "maximize"},
  "parameters": {
    "learning_rate": {"values": [0.002, 0.006, 0.02]},
    "batch_size": {"values": [8, 16, 32]},
    "encoder_filters": {"values": [[8, 16], [16, 32], [32, 64]]},
    "decoder_filters": {"value": [16, 16]},
    "conv1x1_filters": {"value": 32},
    "image_size": {"value": 48},
    "num_epochs": {"value": 27},
    "patience": {"value": 0},
    "workers": {"value": 1},
    "seed": {"value": 1}
  }
})json";

std::string utc_now() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot read");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Scores the "best" weights of a run folder's newest checkpoint on the evaluation sets.
FollowMeScore score_best_weights(const TrialConfig& config, const std::filesystem::path& checkpoint,
                                 const std::vector<ImageSet>& evaluation, Communicator& comm) {
    Fcn model(fcn_architecture(config), static_cast<uint64_t>(config.seed));
    load_checkpoint_best_weights(read_text(checkpoint.string()), *model, checkpoint.string());
    return score_evaluation_sets(*model, evaluation, comm, torch::Device(torch::kCPU), kScoringBatch, config.workers,
                                 /*channels_last=*/false)
        .score;
}

FollowMeScore without_sets(FollowMeScore score) {
    score.sets.clear();
    return score;
}

RecordedTrial record_trial(const TrialConfig& config, const SweepRecordOptions& options,
                           const std::filesystem::path& run_dir, const std::vector<ImageSet>& evaluation,
                           Communicator& comm) {
    std::filesystem::remove_all(run_dir);
    RecordedTrial trial;
    trial.config = config;
    double best_loss = std::numeric_limits<double>::infinity();
    int best_epoch = 0;
    std::optional<FollowMeScore> best_score;

    TrainOptions train;
    train.data_root = options.data_root;
    train.run_dir = run_dir;
    train.threads = options.threads;
    train.progress_bar = false;
    TrainCallbacks callbacks;
    callbacks.on_epoch = [&](const EpochMetrics& metrics) {
        // The trainer's rule (early_stopping.h with min_delta 0): a new best when val_loss < best.
        if (std::isfinite(metrics.val_loss) && metrics.val_loss < best_loss) {
            best_loss = metrics.val_loss;
            best_epoch = metrics.epoch;
            best_score = without_sets(score_best_weights(config, run_dir / kRunCheckpointFile, evaluation, comm));
        }
        RecordedEpoch epoch;
        epoch.metrics = metrics;
        epoch.best_epoch = best_epoch;
        epoch.best_score = best_score;
        trial.epochs.push_back(epoch);
        return EpochDecision::proceed;
    };
    const TrialResult result = run_trial(config, train, callbacks);
    trial.state = result.state;
    if (result.score) trial.final_score = without_sets(*result.score);
    if (result.state != TrialState::completed && result.state != TrialState::diverged)
        throw Error(run_dir.string() + ": the trial ended " + trial_state_name(result.state) + " (" + result.message +
                    "); a recording needs every epoch (patience 0)");
    std::filesystem::remove_all(run_dir);
    return trial;
}

}  // namespace

nlohmann::json default_recording_sweep() { return nlohmann::json::parse(kDefaultRecordingSweep); }

SweepRecording record_sweep(const SweepRecordOptions& options, const std::function<void(const std::string&)>& progress) {
    nlohmann::json sweep_json =
        options.sweep_file.empty() ? default_recording_sweep() : nlohmann::json::parse(read_text(options.sweep_file), nullptr, false);
    if (sweep_json.is_discarded())
        throw Error(options.sweep_file + ": bench sweep record takes a JSON sweep file");
    const std::string source = options.sweep_file.empty() ? "the default recording sweep" : options.sweep_file;
    const SweepSpec spec = parse_sweep_json(sweep_json, source);
    if (spec.method != SearchMethod::grid) throw Error(source + ": a recording needs method grid");
    const TrialPlan plan = plan_trials(spec);

    const std::filesystem::path work = options.work_dir.empty() ? options.out + ".runs" : options.work_dir;
    std::filesystem::create_directories(work);
    std::unique_ptr<Communicator> comm = make_single_communicator();
    torch::set_num_threads(std::max(1, options.threads));

    SweepRecording recording;
    recording.created = utc_now();
    recording.dataset = {{"root", options.data_root}};
    recording.sweep = sweep_json;
    std::vector<ImageSet> evaluation;
    for (const PlannedTrial& planned : plan.trials) {
        const TrialConfig& config = planned.config;
        if (evaluation.empty() || evaluation.front().size != config.image_size) {
            SplitSelection only_evaluation;
            only_evaluation.train = false;
            only_evaluation.validation = false;
            evaluation = load_follow_me_data(options.data_root, config.image_size, only_evaluation).evaluation;
            for (const ImageSet& set : evaluation) {
                recording.dataset["evaluation_images"][set.name] = set.count;
                recording.dataset["file_size"] = set.file_width;
            }
        }
        const auto start = std::chrono::steady_clock::now();
        const std::filesystem::path run_dir = work / ("trial-" + std::to_string(planned.index));
        recording.trials.push_back(record_trial(config, options, run_dir, evaluation, *comm));
        write_sweep_recording(recording, options.out);
        const RecordedTrial& trial = recording.trials.back();
        char line[256];
        std::snprintf(line, sizeof line, "trial %d/%zu %s: %s, final_score %.4f, %.0f s", planned.index + 1,
                      plan.trials.size(), planned.parameters.dump().c_str(), trial_state_name(trial.state),
                      trial.final_score ? trial.final_score->final_score : 0.0,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        progress(line);
    }
    std::filesystem::remove_all(work);
    return recording;
}

}  // namespace segsweep
