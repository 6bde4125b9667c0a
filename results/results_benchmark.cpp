// `segsweep bench results`: building stores at scale, timing leaderboard queries against the O(N)
// peer, and epoch-report insert throughput batched against one transaction per report.
#include "results/results_benchmark.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "common/error.h"
#include "results/results_store.h"
#include "results/sqlite_handle.h"
#include "sweeps/random_source.h"
#include "sweeps/text_table.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kBenchSeed = 20240601;         // seeds the synthetic trials
constexpr int kTrialsPerBuildTransaction = 1000;  // trials (with all their epochs) per commit while building

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

double file_megabytes(const fs::path& path) {
    double bytes = 0;
    for (const char* suffix : {"", "-wal"}) {
        std::error_code error;
        const auto size = fs::file_size(path.string() + suffix, error);
        if (!error) bytes += static_cast<double>(size);
    }
    return bytes / (1024.0 * 1024.0);
}

TrialConfig synthetic_config(int64_t index, int epochs, RandomSource& random) {
    static const int kBatchSizes[] = {16, 32, 64, 128};
    TrialConfig config;
    config.learning_rate = std::pow(10.0, random.uniform(-5, -1));
    config.batch_size = kBatchSizes[random.uniform_int(0, 3)];
    config.num_epochs = epochs;
    config.seed = index;  // makes every config distinct
    return config;
}

EpochMetrics synthetic_epoch(int epoch, double quality, RandomSource& random) {
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = 1.0 / (1 + quality * epoch) + 0.01 * random.uniform01();
    m.val_loss = m.train_loss + 0.05 * random.uniform01();
    m.val_iou = quality * (1 - std::exp(-0.1 * epoch));
    m.images_per_sec = 100 + 10 * random.uniform01();
    m.seconds = 30;
    return m;
}

// Fills a store with `trials` finished trials of `epochs` epochs each, through the store's API.
void build_store(ResultsStore& store, const ResultsBenchmarkOptions& options, int trials) {
    RandomSource random(kBenchSeed);
    int64_t made = 0;
    while (made < trials) {
        const int in_sweep = std::min<int64_t>(options.trials_per_sweep, trials - made);
        std::vector<TrialConfig> configs;
        for (int i = 0; i < in_sweep; ++i) configs.push_back(synthetic_config(made + i, options.epochs, random));
        SweepSubmission submission;
        submission.name = "bench-" + std::to_string(made / options.trials_per_sweep);
        submission.source = "bench";
        submission.file_format = "json";
        submission.file_text = "{}";
        submission.spec = nlohmann::json::object();
        CreatedSweep created;
        {
            StoreTransaction transaction(store);
            created = store.create_sweep(submission, configs);
            transaction.commit();
        }
        for (size_t first = 0; first < created.trial_ids.size(); first += kTrialsPerBuildTransaction) {
            StoreTransaction transaction(store);
            const size_t last = std::min(created.trial_ids.size(), first + kTrialsPerBuildTransaction);
            for (size_t i = first; i < last; ++i) {
                const int64_t trial = created.trial_ids[i];
                const double quality = random.uniform01();
                store.start_attempt(trial, 1, "bench-worker");
                for (int e = 1; e <= options.epochs; ++e)
                    store.record_epoch(trial, 1, synthetic_epoch(e, quality, random));
                TrialResult result;
                result.state = random.uniform01() < 0.3 ? TrialState::stopped_early : TrialState::completed;
                result.config = configs[i];
                result.epochs_run = options.epochs;
                result.best_epoch = options.epochs;
                FollowMeScore score;
                score.weight = 0.5 + 0.5 * quality;
                score.final_iou = 0.6 * quality;
                score.final_score = score.weight * score.final_iou;
                result.score = score;
                result.wall_seconds = 30.0 * options.epochs;
                result.images_per_sec = 100;
                store.record_result(trial, 1, result);
            }
            transaction.commit();
        }
        made += in_sweep;
    }
}

double time_query_ms(ResultsStore& store, const LeaderboardQuery& query, int repeats) {
    std::vector<double> times;
    for (int r = 0; r < repeats; ++r) {
        const auto start = Clock::now();
        const auto rows = store.leaderboard(query);
        times.push_back(seconds_since(start) * 1000);
        if (rows.empty()) throw Error("bench results: the leaderboard query returned no rows");
    }
    return median(times);
}

// The peer: what an O(N) client does (read every result with its config, sort in memory, take 10).
double time_naive_ms(const std::string& path, int repeats) {
    SqliteDatabase db(path, SQLITE_OPEN_READONLY);
    std::vector<double> times;
    for (int r = 0; r < std::max(3, repeats / 5); ++r) {
        const auto start = Clock::now();
        SqliteStatement select(db,
                               "SELECT r.trial_id, r.final_score, t.config_json FROM results r "
                               "JOIN trials t ON t.id = r.trial_id");
        struct Row {
            int64_t trial;
            double score;
            TrialConfig config;
        };
        std::vector<Row> rows;
        while (select.step())
            rows.push_back({select.column_int64(0), select.column_double(1),
                            trial_config_from_json(nlohmann::json::parse(select.column_text(2)))});
        const size_t top = std::min<size_t>(10, rows.size());
        std::partial_sort(
            rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(top), rows.end(),
            [](const Row& a, const Row& b) { return a.score != b.score ? a.score > b.score : a.trial < b.trial; });
        times.push_back(seconds_since(start) * 1000);
    }
    return median(times);
}

InsertFigures time_inserts(const fs::path& folder, const ResultsBenchmarkOptions& options, StoreDurability durability) {
    InsertFigures figures;
    figures.durability = durability == StoreDurability::full ? "full" : "normal";
    const fs::path path = folder / (std::string("inserts-") + figures.durability + ".db");
    StoreOptions store_options;
    store_options.durability = durability;
    ResultsStore store(path.string(), store_options);
    RandomSource random(kBenchSeed + 1);
    const int reports = options.batched_reports + options.single_reports;
    const int trials = reports / options.epochs + 2;
    std::vector<TrialConfig> configs;
    for (int i = 0; i < trials; ++i) configs.push_back(synthetic_config(i, options.epochs, random));
    SweepSubmission submission;
    submission.name = "inserts";
    submission.file_text = "{}";
    submission.spec = nlohmann::json::object();
    const CreatedSweep created = store.create_sweep(submission, configs);

    // Reports in trial order: epoch 1..epochs of each trial.
    int64_t next = 0;
    auto report_next = [&] {
        const int64_t trial = created.trial_ids[static_cast<size_t>(next / options.epochs)];
        store.record_epoch(trial, 1, synthetic_epoch(static_cast<int>(next % options.epochs) + 1, 0.5, random));
        ++next;
    };
    auto start = Clock::now();
    for (int done = 0; done < options.batched_reports;) {
        StoreTransaction transaction(store);
        for (int i = 0; i < options.reports_per_transaction && done < options.batched_reports; ++i, ++done)
            report_next();
        transaction.commit();
    }
    figures.batched_reports_per_second = options.batched_reports / seconds_since(start);
    start = Clock::now();
    for (int i = 0; i < options.single_reports; ++i) report_next();  // each its own transaction
    figures.single_reports_per_second = options.single_reports / seconds_since(start);
    return figures;
}

std::string rate(double per_second) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f", per_second);
    return text;
}

std::string ms(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", value);
    return text;
}

}  // namespace

ResultsBenchmarkReport run_results_benchmark(const ResultsBenchmarkOptions& options,
                                             const std::function<void(const std::string&)>& progress) {
    auto say = [&](const std::string& line) {
        if (progress) progress(line);
    };
    if (options.epochs < 1 || options.trials_per_sweep < 1 || options.query_repeats < 1 ||
        options.reports_per_transaction < 1 || options.batched_reports < 1 || options.single_reports < 1)
        throw Error("bench results: every count must be >= 1");
    const fs::path folder = options.directory.empty()
                                ? fs::temp_directory_path() / ("segsweep-bench-results-" + std::to_string(getpid()))
                                : fs::path(options.directory);
    fs::create_directories(folder);
    ResultsBenchmarkReport report;
    report.options = options;
    for (int trials : options.trial_counts) {
        if (trials < 1) throw Error("bench results: trial counts must be >= 1");
        StoreScaleFigures figures;
        figures.trials = trials;
        figures.epoch_rows = static_cast<int64_t>(trials) * options.epochs;
        const fs::path path = folder / ("store-" + std::to_string(trials) + ".db");
        fs::remove(path);
        fs::remove(path.string() + "-wal");
        fs::remove(path.string() + "-shm");
        say("building a store of " + std::to_string(trials) + " trials x " + std::to_string(options.epochs) +
            " epochs");
        {
            ResultsStore store(path.string());
            auto start = Clock::now();
            build_store(store, options, trials);
            figures.build_seconds = seconds_since(start);
            say("timing leaderboard queries");
            LeaderboardQuery one_sweep;
            one_sweep.sweep_id = std::max<int64_t>(1, (trials / options.trials_per_sweep + 1) / 2);
            figures.top10_sweep_ms = time_query_ms(store, one_sweep, options.query_repeats);
            LeaderboardQuery all;
            figures.top10_all_ms = time_query_ms(store, all, options.query_repeats);
            figures.query_plan = store.leaderboard_plan(all);
            LeaderboardQuery by_loss;
            by_loss.sort = LeaderboardSort::val_loss;
            figures.top10_val_loss_ms = time_query_ms(store, by_loss, options.query_repeats);
        }
        figures.store_megabytes = file_megabytes(path);  // closed: the WAL is checkpointed into the file
        say("timing the O(N) peer");
        figures.naive_all_ms = time_naive_ms(path.string(), options.query_repeats);
        report.scales.push_back(figures);
    }
    for (StoreDurability durability : {StoreDurability::full, StoreDurability::normal}) {
        say(std::string("timing epoch-report inserts (durability ") +
            (durability == StoreDurability::full ? "full" : "normal") + ")");
        report.inserts.push_back(time_inserts(folder, options, durability));
    }
    if (!options.keep) {
        std::error_code error;
        if (options.directory.empty())
            fs::remove_all(folder, error);
        else
            for (const auto& entry : fs::directory_iterator(folder))
                if (entry.path().filename().string().rfind("store-", 0) == 0 ||
                    entry.path().filename().string().rfind("inserts-", 0) == 0)
                    fs::remove(entry.path(), error);
    }
    return report;
}

std::string results_benchmark_text(const ResultsBenchmarkReport& report) {
    std::string out = "leaderboard: top-10 queries, median of " + std::to_string(report.options.query_repeats) +
                      " runs (ms); peer: read every result and sort in memory\n";
    TextTable scales({"trials", "epoch rows", "store MB", "build s", "top10 sweep", "top10 all", "top10 val_loss",
                      "peer (O(N))", "peer / indexed"});
    for (size_t c = 0; c < 9; ++c) scales.align_right(c);
    for (const auto& s : report.scales)
        scales.add_row({std::to_string(s.trials), std::to_string(s.epoch_rows),
                        format_table_number(s.store_megabytes, 3), format_table_number(s.build_seconds, 3),
                        ms(s.top10_sweep_ms), ms(s.top10_all_ms), ms(s.top10_val_loss_ms), ms(s.naive_all_ms),
                        format_table_number(s.naive_all_ms / std::max(s.top10_all_ms, 1e-6), 3) + "x"});
    out += scales.render();
    if (!report.scales.empty()) out += "query plan (all sweeps, final_score):\n" + report.scales.back().query_plan;
    out += "epoch-report inserts (reports/s): " + std::to_string(report.options.reports_per_transaction) +
           " per transaction vs one transaction per report\n";
    TextTable inserts({"durability", "batched", "per report", "batched / per report"});
    for (size_t c = 1; c < 4; ++c) inserts.align_right(c);
    for (const auto& i : report.inserts)
        inserts.add_row(
            {i.durability, rate(i.batched_reports_per_second), rate(i.single_reports_per_second),
             format_table_number(i.batched_reports_per_second / std::max(i.single_reports_per_second, 1e-9), 3) + "x"});
    out += inserts.render();
    return out;
}

nlohmann::json to_json(const ResultsBenchmarkReport& report) {
    nlohmann::json scales = nlohmann::json::array();
    for (const auto& s : report.scales)
        scales.push_back({{"trials", s.trials},
                          {"epoch_rows", s.epoch_rows},
                          {"store_megabytes", s.store_megabytes},
                          {"build_seconds", s.build_seconds},
                          {"top10_sweep_ms", s.top10_sweep_ms},
                          {"top10_all_ms", s.top10_all_ms},
                          {"top10_val_loss_ms", s.top10_val_loss_ms},
                          {"naive_all_ms", s.naive_all_ms},
                          {"query_plan", s.query_plan}});
    nlohmann::json inserts = nlohmann::json::array();
    for (const auto& i : report.inserts)
        inserts.push_back({{"durability", i.durability},
                           {"batched_reports_per_second", i.batched_reports_per_second},
                           {"single_reports_per_second", i.single_reports_per_second}});
    return {{"epochs", report.options.epochs},
            {"query_repeats", report.options.query_repeats},
            {"reports_per_transaction", report.options.reports_per_transaction},
            {"scales", scales},
            {"inserts", inserts}};
}

}  // namespace segsweep
