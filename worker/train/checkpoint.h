// Checkpoints and weight files of a training run, as LibTorch archives held in memory (so rank 0
// can write them atomically with write_file_atomically and broadcast them to the other ranks).
//
// checkpoint.pt holds everything a resume needs to continue bit for bit:
//   "meta"       JSON text: format version, config and its hash, epochs done, history, early
//                stopping state, both batch loaders' states (data order and augmentation draws
//                are functions of seed and batch number), counters and timings so far
//   "model"      every parameter and buffer (BN running statistics) by name
//   "best"       the best epoch's parameters and buffers (restore_best_weights), when there is one
//   "optimizer"  Adam's state (step counts, first and second moments)
//   "torch_rng"  the default CPU generator's state
// model.pt holds only the "model" part (the weights predict uses).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

namespace segsweep {

inline constexpr int kCheckpointFormatVersion = 1;

// A module's parameters and buffers by name, cloned (e.g. the best epoch's weights).
struct ModelSnapshot {
    std::vector<std::pair<std::string, torch::Tensor>> entries;
    bool empty() const { return entries.empty(); }
};
ModelSnapshot snapshot_model(torch::nn::Module& model);
// Copies the snapshot into the module's own tensors (their device and memory format are kept).
// Throws segsweep::Error when the names or shapes differ.
void restore_model(torch::nn::Module& model, const ModelSnapshot& snapshot);

struct CheckpointContents {
    nlohmann::json meta;
    std::optional<ModelSnapshot> best;
};

std::string serialize_checkpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                 const std::optional<ModelSnapshot>& best, const nlohmann::json& meta);
// Loads the model and optimizer state in place; tensors land on `device`. `what` names the source
// in errors (a file path). Throws segsweep::Error on a corrupt or foreign archive.
CheckpointContents deserialize_checkpoint(const std::string& bytes, torch::nn::Module& model,
                                          torch::optim::Optimizer& optimizer, const torch::Device& device,
                                          const std::string& what);

// model.pt: the weights alone.
std::string serialize_weights(torch::nn::Module& model);
void load_weights(const std::string& bytes, torch::nn::Module& model, const std::string& what);
// The best weights stored in a checkpoint (or its current weights when it has no best yet),
// without touching an optimizer: predict's fallback when a run has no model.pt.
void load_checkpoint_best_weights(const std::string& bytes, torch::nn::Module& model, const std::string& what);

}  // namespace segsweep
