// A non-finite loss ends the trial as "diverged" with a clear message and a result file, not a
// crash. The NaN is injected through the real resume path: the checkpoint of a finished epoch
// gets one NaN weight, and the resumed run's first training step sees a NaN loss.
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "trainer_fixture.h"
#include "worker/model/fcn.h"
#include "worker/train/checkpoint.h"
#include "worker/train/run_files.h"

using namespace segsweep;
using segsweep::test::TinyTrainingTest;

class Divergence : public TinyTrainingTest {};

TEST_F(Divergence, NanWeightGivesDivergedResultNotACrash) {
    TrialConfig config = tiny_config();
    config.num_epochs = 3;
    TrainOptions options = options_for("diverged");
    int polls = 0;
    TrainCallbacks preempt_in_epoch_two;
    preempt_in_epoch_two.interrupt_requested = [&]() { return ++polls == 31; };  // epoch 2, first batch
    ASSERT_TRUE(was_preempted(run_trial(config, options, preempt_in_epoch_two)));

    // Poison one weight of the epoch-1 checkpoint.
    const auto file = options.run_dir / kRunCheckpointFile;
    Fcn model(fcn_architecture(config), 0);
    torch::optim::Adam adam(model->parameters(), torch::optim::AdamOptions(config.learning_rate));
    CheckpointContents contents = deserialize_checkpoint(read_text_file(file), *model, adam, torch::kCPU, "ckpt");
    {
        torch::NoGradGuard no_grad;
        // The first encoder weight: the NaN has to pass every ReLU on its way to the loss.
        model->named_parameters()[0].value().view(-1)[0] = std::nanf("");
    }
    write_file_atomically(file, serialize_checkpoint(*model, adam, contents.best, contents.meta));

    options.resume = true;
    const TrialResult result = run_trial(config, options);
    EXPECT_EQ(result.state, TrialState::diverged);
    EXPECT_NE(result.message.find("training loss became nan at epoch 2, step 1"), std::string::npos)
        << result.message;
    EXPECT_FALSE(result.score.has_value());
    EXPECT_EQ(result.epochs_run, 1);
    ASSERT_EQ(result.history.size(), 1u);
    const auto stored = read_run_result(options.run_dir);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->state, TrialState::diverged);
    EXPECT_EQ(stored->message, result.message);
}
