// `segsweep bench sweep record|replay`: the sweep-efficiency benchmark (issue 8). record trains a
// grid to the end and keeps every curve and the score of the best-so-far weights at each epoch
// (bench/sweep_efficiency_recorder.h); replay runs none/median/hyperband x grid/random/bayes on a
// recording with the coordinator's own decision logic (bench/sweep_efficiency_replay.h).
#include <cstdio>
#include <memory>
#include <string>

#include "bench/sweep_efficiency_recorder.h"
#include "bench/sweep_efficiency_replay.h"
#include "cli/commands.h"
#include "sweeps/sweep_metric.h"

namespace segsweep::cli {
namespace {

void add_record(CLI::App& sweep) {
    auto options = std::make_shared<SweepRecordOptions>();
    CLI::App* record = sweep.add_subcommand(
        "record",
        "Train every trial of a grid sweep to its last epoch (patience 0) and record each per-epoch curve and "
        "the score of the best-so-far weights at every epoch (slow: run it once, with nice)");
    record->add_option("--data", options->data_root,
                       "Dataset root, e.g. from `segsweep data synth --size 48 --train 320 --validation 96 --eval 360`")
        ->required();
    record->add_option("--out", options->out, "Recording file to write (JSON)")->required();
    record->add_option("--sweep", options->sweep_file,
                       "Grid sweep file (JSON); default: 3 learning rates x 3 batch sizes x 3 encoder widths, 27 "
                       "epochs at 48 px");
    record->add_option("--work-dir", options->work_dir, "Run folders while training (default: <out>.runs)");
    record->add_option("--threads", options->threads, "Torch threads")->capture_default_str()->check(CLI::PositiveNumber);
    record->callback([options] {
        const SweepRecording recording = record_sweep(*options, [](const std::string& line) {
            std::fprintf(stderr, "bench sweep record: %s\n", line.c_str());
        });
        std::printf("recorded %zu trials into %s\n", recording.trials.size(), options->out.c_str());
    });
}

void add_replay(CLI::App& sweep) {
    auto options = std::make_shared<ReplayOptions>();
    auto recording_file = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    CLI::App* replay = sweep.add_subcommand(
        "replay",
        "Replay early_terminate none/median/hyperband x method grid/random/bayes on a recording, with simulated "
        "workers and the coordinator's decision logic: epochs spent and best final_score found per cell");
    replay->add_option("--recording", *recording_file, "Recording from `bench sweep record`")->required();
    replay->add_option("--workers", options->workers, "Simulated concurrent workers")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    replay->add_option("--run-cap", options->run_cap, "Trials of the random and bayes sweeps")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    replay->add_option("--seeds", options->seeds, "Random and bayes replay seeds 1..N")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    replay->add_option("--metric", options->metric, "Sweep metric: val_loss, val_iou, final_score or final_iou")
        ->capture_default_str()
        ->check(CLI::IsMember(sweep_metric_names()));
    auto min_iter = std::make_shared<int>(options->hyperband.at("min_iter").get<int>());
    auto eta = std::make_shared<double>(options->hyperband.at("eta").get<double>());
    auto grace = std::make_shared<int>(options->median.at("grace_period").get<int>());
    auto min_trials = std::make_shared<int>(options->median.at("min_trials").get<int>());
    replay->add_option("--min-iter", *min_iter, "hyperband min_iter (bands min_iter * eta^k)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    replay->add_option("--eta", *eta, "hyperband eta")->capture_default_str();
    auto strict = std::make_shared<bool>(options->hyperband.value("strict", true));
    replay->add_option("--strict", *strict, "hyperband strict (judge the value at the band, not the best so far)")
        ->capture_default_str();
    replay->add_option("--grace-period", *grace, "median rule grace_period")->capture_default_str();
    replay->add_option("--min-trials", *min_trials, "median rule min_trials")->capture_default_str();
    replay->add_flag("--json", *json, "Print one JSON object instead of the table");
    replay->callback([options, recording_file, json, min_iter, eta, strict, grace, min_trials] {
        options->hyperband = {{"type", "hyperband"}, {"min_iter", *min_iter}, {"eta", *eta}, {"strict", *strict}};
        options->median = {{"type", "median"}, {"grace_period", *grace}, {"min_trials", *min_trials}};
        const ReplayReport report = replay_all(read_sweep_recording(*recording_file), *options);
        if (*json)
            std::printf("%s\n", replay_report_json(report).dump().c_str());
        else
            std::printf("%s", format_replay_report(report).c_str());
    });
}

}  // namespace

void add_bench_sweep_commands(CLI::App& app) {
    CLI::App* sweep = bench_command(app).add_subcommand(
        "sweep", "Sweep efficiency: record a grid trained to the end once, then replay early stopping and search on it");
    sweep->require_subcommand(1);
    add_record(*sweep);
    add_replay(*sweep);
}

}  // namespace segsweep::cli
