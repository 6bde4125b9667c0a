// run_trial: trains one trial of the Follow-Me FCN and scores it, in-process. `segsweep train`
// and the coordinator's worker loop both call it; under mpirun every rank calls it with its
// Communicator and they train the trial together (data parallel).
//
// One epoch = steps_per_epoch batches of the training stream (Keras' count), then validation
// (validation_steps batches of the validation stream): train loss, val loss and val hero IoU go
// to the terminal (a progress bar on a TTY, plain lines otherwise) and RUN/history.jsonl;
// RUN/curves.svg is redrawn; a checkpoint is written atomically (checkpoint.h, run_files.h).
// Early stopping on val_loss (Keras semantics, early_stopping.h) keeps the best weights; at the
// end the best weights are scored on the three evaluation sets and RUN/result.json and
// RUN/model.pt are written.
//
// Outcomes (TrialResult.state):
//   completed      all num_epochs ran
//   stopped_early  own patience ran out, or on_epoch returned stop_early (the coordinator)
//   diverged       a non-finite loss; message says where; no score; result.json says so
//   cancelled      on_epoch returned cancel; no score
//   running        PREEMPTED: interrupt_requested() returned true. Training stopped at once; the
//                  newest epoch checkpoint stays in RUN/ and a later run_trial(resume=true)
//                  continues from it. Nothing else (no result.json) is written. was_preempted().
// Errors (bad data root, unreadable checkpoint, a config that does not fit) throw segsweep::Error.
//
// Data parallel (comm with size > 1): batch_size is the global batch (refused unless divisible by
// the rank count); each rank trains on its slice; parameters and buffers are broadcast from rank
// 0 at start; gradients are averaged after backward (GradientAverager); every rank takes the same
// Adam step; BN statistics are per rank in training and averaged before each evaluation;
// validation and the final scoring are sharded and reduced; on_epoch runs on rank 0 and its
// decision is broadcast; interrupt_requested is polled on every rank and any rank's request stops
// all of them at the same batch; rank 0 alone writes files and the checkpoint is read by rank 0
// and broadcast, so RUN/ need not be shared. With one rank none of this costs anything.
//
// Resume (options.resume): with RUN/checkpoint.pt it continues after the checkpoint's epoch and
// gives the same losses as an uninterrupted run (bit-identical on one thread, same device);
// with a final RUN/result.json it returns that result without training; with neither it starts
// afresh. Without resume, a RUN/ that already holds a checkpoint or result is refused.
#pragma once

#include <filesystem>
#include <functional>

#include "common/trial_config.h"
#include "common/trial_result.h"
#include "worker/comm/communicator.h"
#include "worker/data/image_set.h"
#include "worker/train/compute_setup.h"

namespace segsweep {

enum class EpochDecision { proceed, stop_early, cancel };

struct TrainCallbacks {
    // Called on rank 0 after each epoch's files are written (history, curves, checkpoint).
    std::function<EpochDecision(const EpochMetrics&)> on_epoch;
    // Polled on every rank before each training and validation batch (SIGUSR2/SIGTERM
    // preemption). When it returns true the trial stops at once: see "running" above.
    std::function<bool()> interrupt_requested;
};

struct TrainOptions {
    std::filesystem::path data_root;      // the dataset root (train/, validation/, sample_evaluation_data/)
    std::filesystem::path run_dir;        // RUN/: created when missing
    bool resume = false;
    int threads = 0;                      // torch intra-op threads; 0 = default_thread_count(comm)
    Communicator* comm = nullptr;         // nullptr = a single rank
    DeviceChoice device = DeviceChoice::automatic;
    bool progress_bar = true;             // a bar when stderr is a TTY (rank 0); plain lines otherwise
    bool channels_last = true;            // NHWC activations (about 2x faster on CPU with oneDNN)
    bool evaluate = true;                 // score the best weights on the evaluation sets at the end
    LoadOptions load;                     // decoded-cache settings for the data root
};

TrialResult run_trial(const TrialConfig& config, const TrainOptions& options, const TrainCallbacks& callbacks = {});

// True when run_trial returned because interrupt_requested() asked it to (state running).
inline bool was_preempted(const TrialResult& result) { return result.state == TrialState::running; }

}  // namespace segsweep
