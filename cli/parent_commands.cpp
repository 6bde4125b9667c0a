// Parent verbs shared by several areas (`segsweep bench ...`): found if present, else created.
#include "cli/commands.h"

namespace segsweep::cli {

CLI::App& parent_command(CLI::App& app, const std::string& name, const std::string& description) {
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
        if (sub->get_name() == name) return *sub;
    CLI::App* sub = app.add_subcommand(name, description);
    sub->require_subcommand(1);
    return *sub;
}

CLI::App& bench_command(CLI::App& app) {
    return parent_command(app, "bench",
                          "Benchmarks: each reports ratios against a peer measured in the same run");
}

}  // namespace segsweep::cli
