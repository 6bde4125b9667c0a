// The STATUS reply built from a results store instead of a live coordinator: the same JSON shape as
// Scheduler::status_json (sweeps with their counts; the trials the store has as running, with their
// epoch of planned and last worker), so status_text renders both. The coordinator answers with it
// for a sweep that finished before it started; `segsweep status --db` reads it when the
// coordinator is down (e.g. after a node failure overnight). No "workers": the store knows none.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

#include "results/results_store.h"

namespace segsweep::coordinator {

// One sweep (throws segsweep::Error when the store has no such sweep), or every sweep still
// running in the store.
nlohmann::json stored_status_json(ResultsStore& store, std::optional<int64_t> sweep_id);

}  // namespace segsweep::coordinator
