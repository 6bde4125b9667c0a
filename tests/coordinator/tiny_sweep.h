// The tiny sweep the coordinator and worker tests run: a grid over learning rates of an FCN with a
// few filters at 32 px, 2 training steps and 1 validation step per epoch, so that a trial takes a
// fraction of a second on one thread.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace segsweep::testing {

inline nlohmann::json tiny_sweep_json(const std::string& name, const std::string& data,
                                      const std::vector<double>& learning_rates, int epochs) {
    return {{"name", name},
            {"method", "grid"},
            {"data", data},
            {"parameters",
             {{"learning_rate", {{"values", learning_rates}}},
              {"num_epochs", {{"value", epochs}}},
              {"image_size", {{"value", 32}}},
              {"encoder_filters", {{"value", {4, 8}}}},
              {"decoder_filters", {{"value", {8, 4}}}},
              {"conv1x1_filters", {{"value", 8}}},
              {"batch_size", {{"value", 4}}},
              {"steps_per_epoch", {{"value", 2}}},
              {"validation_steps", {{"value", 1}}},
              {"patience", {{"value", 0}}},
              {"workers", {{"value", 1}}}}}};
}

// Learning rates step, 2*step, ..., trials*step: one grid point each.
inline std::vector<double> learning_rate_steps(int trials, double step) {
    std::vector<double> rates;
    for (int i = 0; i < trials; ++i) rates.push_back(step * (i + 1));
    return rates;
}

}  // namespace segsweep::testing
