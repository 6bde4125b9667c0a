// The verbs of `segsweep`, one registration function per area. Each adds its subcommands (with
// their options, --help text and callbacks) to the top-level CLI11 app. main.cpp calls them all.
#pragma once

#include <CLI/CLI.hpp>

namespace segsweep::cli {

// `segsweep bench`: the parent of every benchmark verb (bench data, bench train, ...). Each area
// adds its benchmark under it; the first caller creates it.
CLI::App& bench_command(CLI::App& app);
// `segsweep data`, `segsweep model`, `segsweep sweep`, `segsweep slurm`: parents shared the same way.
CLI::App& parent_command(CLI::App& app, const std::string& name, const std::string& description);

// Each area's file (cli/<area>_commands.cpp) defines one of these.
// (Areas add their declaration here and one call in main.cpp.)
void add_comm_commands(CLI::App& app);  // bench allreduce
void add_data_commands(CLI::App& app);  // data synth|check|trivial-predictions, score, bench data
void add_slurm_commands(CLI::App& app);  // slurm launch|status|stop|env
void add_sweep_commands(CLI::App& app);  // sweep preview
void add_results_commands(CLI::App& app);  // leaderboard, sweeps, trials, show, bench results
void add_train_commands(CLI::App& app);  // train, predict, model summary
void add_coordinator_commands(CLI::App& app);  // coordinator, worker, submit, status, cancel, workers, wait, keygen, bench coordinator
void add_bench_train_commands(CLI::App& app);  // bench train
void add_bench_sweep_commands(CLI::App& app);  // bench sweep record|replay

}  // namespace segsweep::cli
