// The results verbs: `segsweep leaderboard [SWEEP]` (answered by the coordinator when one is
// configured, else read from the store), and, read straight from the SQLite store (--db, $SEGSWEEP_DB
// or results/segsweep.db): `segsweep sweeps`, `segsweep trials SWEEP`, `segsweep show TRIAL`, and
// `segsweep bench results`.
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "cli/client_flags.h"
#include "cli/commands.h"
#include "common/error.h"
#include "coordinator/client.h"
#include "results/leaderboard.h"
#include "results/results_benchmark.h"
#include "results/results_store.h"
#include "results/store_path.h"
#include "results/store_views.h"

namespace segsweep::cli {
namespace {

constexpr int kDefaultLeaderboardRows = 10;

const char* kDbHelp = "Results store (default: $SEGSWEEP_DB, else results/segsweep.db)";

ResultsStore open_for_reading(const std::string& db_flag) {
    return ResultsStore(resolve_store_path(db_flag), {StoreOpenMode::existing, StoreDurability::full});
}

std::string counts_line(const SweepRecord& sweep) {
    int total = 0;
    std::string parts;
    for (const auto& [state, count] : sweep.trial_counts) {
        total += count;
        if (count > 0) parts += (parts.empty() ? "" : ", ") + std::to_string(count) + " " + state;
    }
    return std::to_string(total) + " trials" + (parts.empty() ? "" : ": " + parts);
}

// What the leaderboard shows, read from the store or answered by the coordinator.
struct LeaderboardAnswer {
    std::optional<SweepRecord> sweep;  // when one sweep was asked for: its name, state and trial counts
    std::vector<LeaderboardRow> rows;
};

struct LeaderboardOptions {
    std::string sweep, db, sort = "final_score", format = "table";
    int top = kDefaultLeaderboardRows;
    ClientFlags client;
};

LeaderboardAnswer leaderboard_from_store(const LeaderboardOptions& options) {
    ResultsStore store = open_for_reading(options.db);
    LeaderboardQuery query;
    query.sort = leaderboard_sort_from_name(options.sort);
    query.limit = options.top;
    LeaderboardAnswer answer;
    if (!options.sweep.empty()) {
        answer.sweep = store.resolve_sweep(options.sweep);
        query.sweep_id = answer.sweep->id;
    }
    answer.rows = store.leaderboard(query);
    return answer;
}

// The coordinator runs the same query on its store (coordinator/coordinator_requests.cpp).
LeaderboardAnswer leaderboard_from_coordinator(const LeaderboardOptions& options) {
    coordinator::CoordinatorClient client(options.client.options());
    const nlohmann::json data = client.leaderboard(options.sweep, options.top, options.sort);
    LeaderboardAnswer answer;
    answer.rows = leaderboard_rows_from_json(data.value("rows", nlohmann::json::array()));
    const nlohmann::json sweep = data.value("sweep", nlohmann::json());
    if (sweep.is_object()) {
        SweepRecord record;
        record.id = sweep.value("id", int64_t{0});
        record.name = sweep.value("name", std::string());
        record.state = sweep_state_from_name(sweep.value("state", std::string("running")));
        record.trial_counts = sweep.value("trials", std::map<std::string, int>());
        answer.sweep = std::move(record);
    }
    return answer;
}

void print_leaderboard(const LeaderboardAnswer& answer, const LeaderboardOptions& options) {
    if (options.format == "json") {
        std::printf("%s\n", leaderboard_json(answer.rows).dump(2).c_str());
        return;
    }
    if (options.format == "csv") {
        std::printf("%s", leaderboard_csv(answer.rows).c_str());
        return;
    }
    const std::string top = options.top > 0 ? std::to_string(options.top) : "all";
    if (answer.sweep)
        std::printf("sweep %lld '%s' (%s, %s): top %s by %s\n", static_cast<long long>(answer.sweep->id),
                    answer.sweep->name.c_str(), sweep_state_name(answer.sweep->state), counts_line(*answer.sweep).c_str(),
                    top.c_str(), options.sort.c_str());
    else
        std::printf("every sweep: top %s by %s\n", top.c_str(), options.sort.c_str());
    if (answer.rows.empty())
        std::printf("no finished trials yet\n");
    else
        std::printf("%s", leaderboard_table(answer.rows, leaderboard_sort_from_name(options.sort)).c_str());
}

void add_leaderboard(CLI::App& app) {
    auto options = std::make_shared<LeaderboardOptions>();
    CLI::App* verb = app.add_subcommand(
        "leaderboard",
        "The best trials of a sweep (or of every sweep): rank, trial, learning rate, batch size, epochs run/planned, "
        "final score, final IoU, weight, state and duration. Answered by the coordinator when one is configured "
        "(--coordinator, $SEGSWEEP_COORDINATOR or $SEGSWEEP_HOME/coordinator.endpoint); --db reads a store directly");
    verb->add_option("sweep", options->sweep, "Sweep id or name (default: every sweep)");
    verb->add_option("--top", options->top, "Rows to show (0 = all)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    verb->add_option("--sort", options->sort, "final_score, final_iou, weight, val_loss or val_iou")
        ->check(CLI::IsMember(leaderboard_sort_names()))
        ->capture_default_str();
    verb->add_option("--format", options->format, "table, json or csv")
        ->check(CLI::IsMember({"table", "json", "csv"}))
        ->capture_default_str();
    verb->add_option("--db", options->db,
                     "Read this results store directly instead of asking a coordinator (without a coordinator: "
                     "$SEGSWEEP_DB, else results/segsweep.db)");
    options->client.add(verb);
    verb->callback([options] {
        const CoordinatorSource source = options->db.empty() ? configured_coordinator(options->client)
                                                             : CoordinatorSource::none;
        if (source == CoordinatorSource::none) {
            print_leaderboard(leaderboard_from_store(*options), *options);
            return;
        }
        LeaderboardAnswer answer;
        try {
            answer = leaderboard_from_coordinator(*options);
        } catch (const coordinator::NoReplyError& e) {
            // Only a left-over endpoint file (a coordinator that was killed) falls back to the store.
            if (source != CoordinatorSource::endpoint_file) throw;
            std::fprintf(stderr, "warning: %s (address from %s); reading the results store instead\n", e.what(),
                         default_endpoint_file().c_str());
            answer = leaderboard_from_store(*options);
        }
        print_leaderboard(answer, *options);
    });
}

void add_sweeps(CLI::App& app) {
    struct Options {
        std::string db, format = "table";
    };
    auto options = std::make_shared<Options>();
    CLI::App* verb = app.add_subcommand("sweeps", "List the sweeps in the results store, newest first");
    verb->add_option("--format", options->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    verb->add_option("--db", options->db, kDbHelp);
    verb->callback([options] {
        ResultsStore store = open_for_reading(options->db);
        const auto sweeps = store.list_sweeps();
        if (options->format == "json") {
            nlohmann::json array = nlohmann::json::array();
            for (const auto& s : sweeps) array.push_back(to_json(s));
            std::printf("%s\n", array.dump(2).c_str());
        } else if (sweeps.empty()) {
            std::printf("no sweeps in %s\n", store.path().c_str());
        } else {
            std::printf("%s", sweeps_table(sweeps).c_str());
        }
    });
}

void add_trials(CLI::App& app) {
    struct Options {
        std::string sweep, db, format = "table";
    };
    auto options = std::make_shared<Options>();
    CLI::App* verb = app.add_subcommand("trials", "List a sweep's trials in every state");
    verb->add_option("sweep", options->sweep, "Sweep id or name")->required();
    verb->add_option("--format", options->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    verb->add_option("--db", options->db, kDbHelp);
    verb->callback([options] {
        ResultsStore store = open_for_reading(options->db);
        const SweepRecord sweep = store.resolve_sweep(options->sweep);
        const auto trials = store.list_trials(sweep.id);
        if (options->format == "json") {
            nlohmann::json array = nlohmann::json::array();
            for (const auto& t : trials) array.push_back(to_json(t));
            std::printf("%s\n", array.dump(2).c_str());
            return;
        }
        std::printf("sweep %lld '%s' (%s, %s)\n", static_cast<long long>(sweep.id), sweep.name.c_str(),
                    sweep_state_name(sweep.state), counts_line(sweep).c_str());
        std::printf("%s", trials_table(trials).c_str());
    });
}

void add_show(CLI::App& app) {
    struct Options {
        int64_t trial = 0;
        std::string db, format = "text";
    };
    auto options = std::make_shared<Options>();
    CLI::App* verb = app.add_subcommand("show", "One trial: its config, attempts, per-epoch curve and final metrics");
    verb->add_option("trial", options->trial, "Trial id (as in the leaderboard)")->required();
    verb->add_option("--format", options->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    verb->add_option("--db", options->db, kDbHelp);
    verb->callback([options] {
        ResultsStore store = open_for_reading(options->db);
        const auto trial = store.find_trial(options->trial);
        if (!trial) throw Error(store.path() + ": no trial " + std::to_string(options->trial));
        TrialDetails details;
        details.trial = *trial;
        if (const auto sweep = store.find_sweep(trial->sweep_id)) details.sweep_name = sweep->name;
        details.attempts = store.attempts(trial->id);
        details.curve = store.trial_curve(trial->id);
        details.result = store.find_result(trial->id);
        if (options->format == "json")
            std::printf("%s\n", to_json(details).dump(2).c_str());
        else
            std::printf("%s", trial_details_text(details).c_str());
    });
}

std::vector<int> parse_sizes(const std::string& text) {
    std::vector<int> sizes;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            size_t used = 0;
            const int value = std::stoi(item, &used);
            if (used != item.size() || value < 1) throw Error("");
            sizes.push_back(value);
        } catch (const std::exception&) {
            throw Error("--sizes: expected trial counts like 1000,10000,100000, got '" + text + "'");
        }
    }
    if (sizes.empty()) throw Error("--sizes: give at least one trial count");
    return sizes;
}

void add_bench_results(CLI::App& app) {
    struct Options {
        ResultsBenchmarkOptions bench;
        std::string sizes = "1000,10000,100000";
        std::string format = "table";
    };
    auto options = std::make_shared<Options>();
    CLI::App* verb = bench_command(app).add_subcommand(
        "results",
        "Results store at scale: builds stores of 1k/10k/100k trials (50 epochs each), times top-10 "
        "leaderboard queries against reading and sorting everything, and epoch-report inserts batched "
        "against one transaction per report");
    verb->add_option("--sizes", options->sizes, "Trial counts, comma-separated")->capture_default_str();
    verb->add_option("--epochs", options->bench.epochs, "Epochs per trial")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    verb->add_option("--repeats", options->bench.query_repeats, "Timed runs per query (median)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    verb->add_option("--batched-reports", options->bench.batched_reports, "Epoch reports in the batched test")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    verb->add_option("--single-reports", options->bench.single_reports, "Epoch reports in the per-report test")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    verb->add_option("--dir", options->bench.directory, "Folder for the stores (default: a temporary folder)");
    verb->add_flag("--keep", options->bench.keep, "Keep the stores afterwards");
    verb->add_option("--format", options->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    verb->callback([options] {
        options->bench.trial_counts = parse_sizes(options->sizes);
        const auto report = run_results_benchmark(
            options->bench, [](const std::string& line) { std::fprintf(stderr, "bench results: %s\n", line.c_str()); });
        if (options->format == "json")
            std::printf("%s\n", to_json(report).dump(2).c_str());
        else
            std::printf("%s", results_benchmark_text(report).c_str());
    });
}

}  // namespace

void add_results_commands(CLI::App& app) {
    add_leaderboard(app);
    add_sweeps(app);
    add_trials(app);
    add_show(app);
    add_bench_results(app);
}

}  // namespace segsweep::cli
