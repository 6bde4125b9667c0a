// The sweep verbs: `segsweep sweep preview FILE [--format table|json]` prints what a sweep file
// would create (trials, bayes plan, hyperband rungs) without running anything.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_preview.h"

namespace segsweep::cli {
namespace {

void add_preview(CLI::App& sweep) {
    struct Options {
        std::string file;
        std::string format = "table";
    };
    auto options = std::make_shared<Options>();
    CLI::App* preview = sweep.add_subcommand(
        "preview",
        "Check a sweep file (JSON or YAML) and print the trials it would create, without running "
        "anything; for hyperband, the trials reaching each band and the epochs the sweep can spend");
    preview->add_option("file", options->file, "The sweep file")->required();
    preview->add_option("--format", options->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}))
        ->capture_default_str();
    preview->callback([options] {
        const SweepSpec spec = parse_sweep_file(options->file);
        const SweepPreview result = make_sweep_preview(spec);
        if (options->format == "json")
            std::printf("%s\n", sweep_preview_json(result).dump(2).c_str());
        else
            std::printf("%s", sweep_preview_text(result).c_str());
    });
}

}  // namespace

void add_sweep_commands(CLI::App& app) {
    CLI::App& sweep = parent_command(app, "sweep", "Sweep files: check and preview them");
    add_preview(sweep);
}

}  // namespace segsweep::cli
