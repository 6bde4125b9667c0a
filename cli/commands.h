// The verbs of `segsweep`, one registration function per area. Each adds its subcommands (with
// their options, --help text and callbacks) to the top-level CLI11 app. main.cpp calls them all.
#pragma once

#include <CLI/CLI.hpp>

namespace segsweep::cli {

// Each area's file (cli/<area>_commands.cpp) defines one of these.
// (Areas add their declaration here and one call in main.cpp.)

}  // namespace segsweep::cli
