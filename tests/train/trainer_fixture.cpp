// The tiny synthetic dataset and config of the trainer tests (see trainer_fixture.h).
#include "trainer_fixture.h"

#include <unistd.h>

#include <system_error>

#include "worker/data/synth_dataset.h"

namespace segsweep::test {
namespace {

namespace fs = std::filesystem;

constexpr int kTrainImages = 192;
constexpr int kValidationImages = 48;
constexpr int kEvaluationImages = 48;
constexpr int kFileSize = 64;  // px

// ctest runs every test in its own process, two at a time (-j2): each process writes its dataset,
// cache and run folders under its own folder, so no process removes or rewrites another's files.
// The folder is removed when the process exits.
class ProcessFolder {
public:
    ProcessFolder() : path_(fs::path(SEGSWEEP_TEST_TMP) / "train" / ("process-" + std::to_string(::getpid()))) {
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ProcessFolder() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    ProcessFolder(const ProcessFolder&) = delete;
    ProcessFolder& operator=(const ProcessFolder&) = delete;
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

const fs::path& test_folder() {
    static const ProcessFolder folder;
    return folder.path();
}

}  // namespace

fs::path TinyTrainingTest::data_root() { return test_folder() / "synth"; }

void TinyTrainingTest::SetUpTestSuite() {
    static bool made = false;
    if (made) return;
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
