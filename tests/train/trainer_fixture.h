// Shared fixture of the trainer tests: one tiny synthetic Follow-Me dataset (64 px files, 192
// training, 48 validation and 48 evaluation images), made once per test process with the data
// layer's generator in a folder of that process's own (ctest -j2 runs tests side by side), and a
// tiny FCN config that trains on it in well under a second per epoch.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "common/trial_config.h"
#include "worker/train/trainer.h"

namespace segsweep::test {

class TinyTrainingTest : public ::testing::Test {
protected:
    static void SetUpTestSuite();
    static std::filesystem::path data_root();

    // Architecture {8,16} / 16 / {16,8}, one conv per decoder, 32 px, batch 8, lr 0.01, seed 1,
    // 3 epochs, no early stopping, one loader thread.
    static TrialConfig tiny_config();
    // Options for a fresh run folder named `name` (removed first): 1 torch thread, CPU, no bar,
    // decoded cache inside the test folder.
    static TrainOptions options_for(const std::string& name);
};

}  // namespace segsweep::test
