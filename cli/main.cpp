// segsweep: one executable, git-style verbs. Parses the command line with CLI11, runs the chosen
// verb, and turns any segsweep::Error (bad input, a failed call) into "error: ..." and exit code 1.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/error.h"

int main(int argc, char** argv) {
    CLI::App app{"segsweep: hyperparameter sweeps for the Follow-Me FCN (segmenting people in drone images)"};
    app.require_subcommand(1);
    app.set_help_all_flag("--help-all", "Show help for every verb");

    // One line per area, in the order `segsweep --help` lists them.
    segsweep::cli::add_comm_commands(app);
    segsweep::cli::add_data_commands(app);
    segsweep::cli::add_slurm_commands(app);
    segsweep::cli::add_sweep_commands(app);
    segsweep::cli::add_results_commands(app);
    segsweep::cli::add_train_commands(app);
    segsweep::cli::add_coordinator_commands(app);
    segsweep::cli::add_bench_train_commands(app);
    segsweep::cli::add_bench_sweep_commands(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const segsweep::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
