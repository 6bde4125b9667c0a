// Run-folder files: atomic replacement leaves no temporary behind and never a partial file,
// history.jsonl appends and reads back, and the curves SVG draws both series and the best epoch.
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "worker/train/curves_svg.h"
#include "worker/train/run_files.h"

using namespace segsweep;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    fs::path dir = fs::path(SEGSWEEP_TEST_TMP) / "train_run_files" / name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

size_t count_occurrences(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

EpochMetrics metrics(int epoch, double train, double val) {
    EpochMetrics m;
    m.epoch = epoch;
    m.train_loss = train;
    m.val_loss = val;
    m.val_iou = 0.1 * epoch;
    return m;
}

}  // namespace

TEST(RunFiles, AtomicWriteReplacesWholeFileAndLeavesNoTemporary) {
    const fs::path dir = fresh_dir("atomic");
    write_file_atomically(dir / "a.txt", std::string(100000, 'x'));
    write_file_atomically(dir / "a.txt", "short");
    EXPECT_EQ(read_text_file(dir / "a.txt"), "short");
    int files = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        (void)entry;
        ++files;
    }
    EXPECT_EQ(files, 1);
}

TEST(RunFiles, AtomicWriteIntoMissingFolderThrowsNamingTheFile) {
    const fs::path dir = fresh_dir("missing");
    try {
        write_file_atomically(dir / "nope" / "a.txt", "x");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("a.txt"), std::string::npos) << e.what();
    }
}

TEST(RunFiles, HistoryAppendsRewritesAndReadsBack) {
    const fs::path dir = fresh_dir("history");
    append_history_line(dir, metrics(1, 0.9, 1.0));
    append_history_line(dir, metrics(2, 0.8, 0.7));
    auto history = read_history(dir);
    ASSERT_EQ(history.size(), 2u);
    EXPECT_EQ(history[1].epoch, 2);
    EXPECT_DOUBLE_EQ(history[1].val_loss, 0.7);
    rewrite_history(dir, {metrics(1, 0.5, 0.6)});
    history = read_history(dir);
    ASSERT_EQ(history.size(), 1u);
    EXPECT_DOUBLE_EQ(history[0].train_loss, 0.5);
}

TEST(RunFiles, MalformedHistoryLineNamesFileAndLine) {
    const fs::path dir = fresh_dir("bad_history");
    append_history_line(dir, metrics(1, 0.9, 1.0));
    std::ofstream(dir / kRunHistoryFile, std::ios::app) << "{not json\n";
    try {
        read_history(dir);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("history.jsonl:2"), std::string::npos) << e.what();
    }
}

TEST(RunFiles, ConfigAndResultReadBack) {
    const fs::path dir = fresh_dir("config");
    EXPECT_FALSE(read_run_result(dir).has_value());
    TrialConfig config;
    config.learning_rate = 0.005;
    write_file_atomically(dir / kRunConfigFile, to_json(config).dump());
    EXPECT_EQ(config_hash(read_run_config(dir)), config_hash(config));
    TrialResult result;
    result.config = config;
    result.state = TrialState::diverged;
    result.message = "loss became nan";
    write_file_atomically(dir / kRunResultFile, to_json(result).dump());
    auto back = read_run_result(dir);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->state, TrialState::diverged);
    write_file_atomically(dir / kRunResultFile, "{oops");
    EXPECT_THROW(read_run_result(dir), Error);
}

TEST(CurvesSvg, DrawsBothSeriesAndTheBestEpoch) {
    std::vector<EpochMetrics> history = {metrics(1, 1.0, 1.1), metrics(2, 0.6, 0.8), metrics(3, 0.4, 0.9)};
    const std::string svg = render_loss_curves_svg(history, 2, "run<1>");
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_EQ(count_occurrences(svg, "<polyline fill=\"none\" stroke=\"#"), 2u);  // train and val
    EXPECT_EQ(count_occurrences(svg, "<circle"), 6u);
    EXPECT_NE(svg.find("best epoch 2"), std::string::npos);
    EXPECT_NE(svg.find("train_loss"), std::string::npos);
    EXPECT_NE(svg.find("val_loss"), std::string::npos);
    EXPECT_NE(svg.find("run&lt;1&gt;"), std::string::npos);  // title escaped
}

TEST(CurvesSvg, LeavesOutNonFiniteLossesAndHandlesOneEpoch) {
    std::vector<EpochMetrics> history = {metrics(1, 1.0, 1.1), metrics(2, std::nan(""), 0.8)};
    const std::string svg = render_loss_curves_svg(history, 0, "");
    EXPECT_EQ(count_occurrences(svg, "<circle"), 3u);
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_EQ(svg.find("best epoch"), std::string::npos);
    const std::string one = render_loss_curves_svg({metrics(1, 0.5, 0.5)}, 1, "x");
    EXPECT_EQ(count_occurrences(one, "<circle"), 2u);
}
