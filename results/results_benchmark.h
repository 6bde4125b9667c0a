// `segsweep bench results`: the results store at scale. Builds stores of 1k, 10k and 100k trials
// (50 epochs each, through the store's own API in batched transactions), then times top-10
// leaderboard queries (median of repeats) against a peer measured in the same run: the O(N) way
// (read every result row, parse, sort in memory), as ORM-style clients do. Also times epoch-report
// inserts batched in transactions against one transaction per report, with fsync at every commit
// (durability full) and without (normal).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace segsweep {

struct ResultsBenchmarkOptions {
    std::vector<int> trial_counts = {1000, 10000, 100000};
    int epochs = 50;               // epoch rows per trial
    int trials_per_sweep = 1000;   // the stores hold trial_count / trials_per_sweep sweeps
    int query_repeats = 31;        // timed runs of each query (median reported)
    int batched_reports = 100000;  // epoch reports in the batched insert test
    int reports_per_transaction = 1000;
    int single_reports = 2000;  // epoch reports in the one-transaction-per-report test
    std::string directory;      // where the stores go; "" = a new folder in the temp directory
    bool keep = false;          // keep the stores afterwards
};

struct StoreScaleFigures {
    int trials = 0;
    int64_t epoch_rows = 0;
    double build_seconds = 0;
    double store_megabytes = 0;
    double top10_sweep_ms = 0;     // one sweep, by final_score
    double top10_all_ms = 0;       // every sweep, by final_score
    double top10_val_loss_ms = 0;  // every sweep, by val_loss (ascending index)
    double naive_all_ms = 0;       // peer: every row read and sorted in memory
    std::string query_plan;        // EXPLAIN QUERY PLAN of the all-sweeps final_score query
};

struct InsertFigures {
    const char* durability = "";
    double batched_reports_per_second = 0;
    double single_reports_per_second = 0;
};

struct ResultsBenchmarkReport {
    ResultsBenchmarkOptions options;
    std::vector<StoreScaleFigures> scales;
    std::vector<InsertFigures> inserts;
};

// `progress` gets one line per step (may be empty).
ResultsBenchmarkReport run_results_benchmark(const ResultsBenchmarkOptions& options,
                                             const std::function<void(const std::string&)>& progress);
std::string results_benchmark_text(const ResultsBenchmarkReport& report);
nlohmann::json to_json(const ResultsBenchmarkReport& report);

}  // namespace segsweep
