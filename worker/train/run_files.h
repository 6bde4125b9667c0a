// The files of a training run folder (RUN/), written by rank 0 only:
//   config.json     the TrialConfig (written at start; predict reads it)
//   history.jsonl   one EpochMetrics JSON object per line, appended each epoch
//   curves.svg      train and validation loss per epoch (curves_svg.h), rewritten each epoch
//   checkpoint.pt   the newest epoch's full training state (checkpoint.h)
//   model.pt        the best weights, at the end (predict reads it)
//   result.json     to_json(TrialResult) plus extras, at the end
// Every whole-file write goes to a temporary file in the same folder, is flushed to disk and
// renamed over the target, so a kill mid-write leaves the previous version intact.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/trial_result.h"

namespace segsweep {

inline constexpr const char* kRunConfigFile = "config.json";
inline constexpr const char* kRunHistoryFile = "history.jsonl";
inline constexpr const char* kRunCurvesFile = "curves.svg";
inline constexpr const char* kRunCheckpointFile = "checkpoint.pt";
inline constexpr const char* kRunModelFile = "model.pt";
inline constexpr const char* kRunResultFile = "result.json";

// Writes `bytes` to `file` atomically (temporary + fsync + rename). Throws segsweep::Error naming
// the file on failure.
void write_file_atomically(const std::filesystem::path& file, const std::string& bytes);

// Whole-file read; throws segsweep::Error naming the file.
std::string read_text_file(const std::filesystem::path& file);

// Appends one line (to_json(metrics)) to RUN/history.jsonl and flushes it.
void append_history_line(const std::filesystem::path& run_dir, const EpochMetrics& metrics);
// Replaces RUN/history.jsonl with these epochs (after a resume, so the file matches the checkpoint).
void rewrite_history(const std::filesystem::path& run_dir, const std::vector<EpochMetrics>& history);
// Reads RUN/history.jsonl. Throws naming the file and line on a malformed line.
std::vector<EpochMetrics> read_history(const std::filesystem::path& run_dir);

// The config a run was started with (RUN/config.json). Throws when missing or invalid.
TrialConfig read_run_config(const std::filesystem::path& run_dir);

// RUN/result.json when present, else nullopt. Throws when present but malformed.
std::optional<TrialResult> read_run_result(const std::filesystem::path& run_dir);

}  // namespace segsweep
