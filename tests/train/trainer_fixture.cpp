// The tiny synthetic dataset and config of the trainer tests (see trainer_fixture.h).
#include "trainer_fixture.h"

#include "worker/data/synth_dataset.h"

namespace segsweep::test {
namespace {

namespace fs = std::filesystem;

constexpr int kTrainImages = 192;
constexpr int kValidationImages = 48;
constexpr int kEvaluationImages = 48;
constexpr int kFileSize = 64;  // px

fs::path test_folder() { return fs::path(SEGSWEEP_TEST_TMP) / "train"; }

}  // namespace

fs::path TinyTrainingTest::data_root() { return test_folder() / "synth"; }

void TinyTrainingTest::SetUpTestSuite() {
    static bool made = false;
    if (made) return;
    fs::remove_all(data_root());
    SynthOptions options;
    options.out = data_root();
    options.seed = 7;
    options.train = kTrainImages;
    options.validation = kValidationImages;
    options.evaluation = kEvaluationImages;
    options.size = kFileSize;
    options.threads = 2;
    synthesize_dataset(options);
    made = true;
}

TrialConfig TinyTrainingTest::tiny_config() {
    TrialConfig c;
    c.encoder_filters = {8, 16};
    c.conv1x1_filters = 16;
    c.decoder_filters = {16, 8};
    c.decoder_convs = 1;
    c.image_size = 32;
    c.batch_size = 8;
    c.learning_rate = 0.01;
    c.num_epochs = 3;
    c.patience = 0;
    c.workers = 1;
    c.seed = 1;
    return c;
}

TrainOptions TinyTrainingTest::options_for(const std::string& name) {
    TrainOptions options;
    options.data_root = data_root();
    options.run_dir = test_folder() / "runs" / name;
    fs::remove_all(options.run_dir);
    options.threads = 1;
    options.device = DeviceChoice::cpu;
    options.progress_bar = false;
    options.load.cache_dir = test_folder() / "cache";
    return options;
}

}  // namespace segsweep::test
