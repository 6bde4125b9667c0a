// TrialConfig: the hyperparameters and architecture of one trial, as one JSON object.
// Names follow the seed notebook (learning_rate, batch_size, num_epochs, steps_per_epoch,
// validation_steps, workers) plus early stopping, image size, seed, augmentation and the FCN's
// architecture. The canonical JSON (sorted keys, every key present) is what a trial's identity
// hash is computed from, so two configs that train the same model hash the same.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace segsweep {

struct TrialConfig {
    // Optimisation (the seed write-up's values are the defaults; see kSeedRecipe below).
    double learning_rate = 0.001;   // Adam step size
    int batch_size = 64;            // global batch: split across the ranks of a data-parallel worker
    int num_epochs = 50;            // planned epochs (early stopping may end sooner)
    int steps_per_epoch = 0;        // batches per epoch; 0 = ceil(train images / batch_size), as Keras counts
    int validation_steps = 0;       // validation batches per epoch; 0 = ceil(validation images / batch_size)
    int workers = 2;                // data loader threads
    int patience = 5;               // epochs without val_loss improvement before stopping; 0 = never stop early
    double min_delta = 0.0;         // an improvement must beat the best val_loss by more than this
    int image_size = 160;           // images and masks are resized to image_size x image_size (divisible by 4)
    int64_t seed = 0;               // parameter init, data order and augmentation
    bool flip = false;              // random horizontal flip (not in the original; students added it)
    bool shift_aug = false;         // the original's shift-and-pad augmentation (dead code in the project)

    // Architecture (defaults: the seed write-up's FCN, 121,721 parameters).
    std::vector<int> encoder_filters = {64, 128};   // separable conv blocks, stride 2 each
    int conv1x1_filters = 256;                      // the middle conv2d_batchnorm
    int conv1x1_kernel = 1;                         // 1 (the write-up) or 3 (the seed code's own variant)
    std::vector<int> decoder_filters = {128, 64};   // one decoder per encoder, deepest first
    int decoder_convs = 2;                          // separable blocks per decoder: 1 or 2
    int output_kernel = 1;                          // output conv kernel: 1 or 3

    // Whole-config checks (ranges, decoder count = encoder count, image size divisible by
    // 2^encoders). Throws segsweep::Error naming the key.
    void validate() const;
};

// The seed write-up's training recipe: learning_rate 0.001, batch_size 64, num_epochs 50,
// steps_per_epoch 65, validation_steps 50 (`segsweep train --seed-recipe`).
TrialConfig seed_recipe_config();

// Every key of the trial config, in canonical (sorted) order.
const std::vector<std::string>& trial_config_keys();

// JSON with every key. Numbers keep their types (ints stay ints).
nlohmann::json to_json(const TrialConfig& config);

// Reads a JSON object. Missing keys take the defaults; an unknown key or a wrong type throws
// segsweep::Error naming the key (prefixed with `path`, e.g. "config.batch_size"). Validates.
TrialConfig trial_config_from_json(const nlohmann::json& object, const std::string& path = "");

// Sets one key from a JSON value (used by sweep expansion and CLI overrides). Throws on an unknown
// key or a wrong type; does not run validate().
void set_trial_config_key(TrialConfig& config, const std::string& key, const nlohmann::json& value,
                          const std::string& path = "");

// Canonical text: compact JSON of to_json (keys sorted). Stable across runs and platforms.
std::string canonical_json(const TrialConfig& config);

// Identity of a config: 16 hex digits of the 64-bit FNV-1a hash of canonical_json.
std::string config_hash(const TrialConfig& config);

}  // namespace segsweep
