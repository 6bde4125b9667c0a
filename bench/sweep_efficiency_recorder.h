// `segsweep bench sweep record`: trains every trial of a grid sweep to its last epoch (patience 0,
// so every curve is whole) with the real trainer (run_trial), and keeps, after every epoch, the
// Follow-Me score of the best-so-far weights: the weights a trial stopped at that epoch would be
// scored on. The on_epoch callback reads the epoch's checkpoint (its "best" weights), loads them
// into a second model and scores the three evaluation sets, whenever the best epoch changed.
//
// The default grid (kDefaultRecordingSweep): 3 learning rates x 3 batch sizes x 3 encoder widths =
// 27 trials of 27 epochs at 48 px, sized so the whole recording runs in about 3 minutes on two
// quiet CPU cores (--threads 2) with a dataset of `segsweep data synth --size 48 --train 320
// --validation 96 --eval 360 --seed 11` (bench/recordings/ holds seeds 11 and 12). The recording
// is written again after every trial, so an interrupted run keeps the finished trials (a replay
// needs every grid point).
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/sweep_efficiency_recording.h"

namespace segsweep {

// The default grid sweep of the recording (JSON sweep file).
nlohmann::json default_recording_sweep();

struct SweepRecordOptions {
    std::string data_root;   // the dataset (train/, validation/, sample_evaluation_data/)
    std::string out;         // the recording file to write
    std::string sweep_file;  // a grid sweep file; empty = default_recording_sweep()
    std::string work_dir;    // run folders while training; empty = <out>.runs (removed at the end)
    int threads = 1;         // torch intra-op threads per trial
};

// Trains and scores; returns the recording (also written to options.out). `progress` gets one line
// per trial. Throws segsweep::Error on a bad sweep file (not grid), data root or output path.
SweepRecording record_sweep(const SweepRecordOptions& options, const std::function<void(const std::string&)>& progress);

}  // namespace segsweep
