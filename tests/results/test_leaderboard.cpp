// The leaderboard: order, ties, limits, sweep filter, missing values, the index it runs on, and the
// JSON, CSV and table renderings.
#include <algorithm>
#include <sstream>

#include <gtest/gtest.h>

#include "common/error.h"
#include "results/leaderboard.h"
#include "results/results_store.h"
#include "tests/results/store_test_support.h"

namespace segsweep {
namespace {

using testing::config_with;
using testing::scored_result;

// Sweep A: 5 scored trials (two tied at 0.5), one diverged without a score; sweep B: 1 trial.
struct Board {
    std::string path;
    int64_t sweep_a = 0;
    int64_t sweep_b = 0;
    std::vector<int64_t> a;  // trial ids of sweep A in creation order
};

Board make_board() {
    Board board;
    board.path = testing::fresh_store_path();
    ResultsStore store(board.path);
    StoreTransaction transaction(store);
    std::vector<TrialConfig> configs;
    for (int i = 0; i < 6; ++i) configs.push_back(config_with(0.001 * (i + 1), 16 << (i % 3), 10));
    const auto a = store.create_sweep(testing::submission("A"), configs);
    board.sweep_a = a.sweep_id;
    board.a = a.trial_ids;
    const double scores[] = {0.30, 0.50, 0.10, 0.50, 0.45};
    const double losses[] = {0.40, 0.20, 0.50, 0.30, 0.10};
    for (int i = 0; i < 5; ++i) {
        store.start_attempt(a.trial_ids[i], 1, "w");
        store.record_epoch(a.trial_ids[i], 1, testing::epoch(1, losses[i] + 0.2, 0.1));
        store.record_epoch(a.trial_ids[i], 1, testing::epoch(2, losses[i], 0.2 + scores[i]));
        store.record_result(a.trial_ids[i], 1,
                            scored_result(configs[i], scores[i], scores[i] + 0.1, 0.8,
                                          i == 4 ? TrialState::stopped_early : TrialState::completed, 2));
    }
    TrialResult diverged;
    diverged.state = TrialState::diverged;
    diverged.message = "loss is NaN at epoch 1";
    diverged.config = configs[5];
    diverged.epochs_run = 1;
    store.start_attempt(a.trial_ids[5], 1, "w");
    store.record_result(a.trial_ids[5], 1, diverged);
    const auto b = store.create_sweep(testing::submission("B"), {config_with(0.01, 8)});
    board.sweep_b = b.sweep_id;
    store.start_attempt(b.trial_ids[0], 1, "w");
    store.record_result(b.trial_ids[0], 1, scored_result(config_with(0.01, 8), 0.9, 0.95, 0.95));
    transaction.commit();
    return board;
}

std::vector<int64_t> trial_ids(const std::vector<LeaderboardRow>& rows) {
    std::vector<int64_t> ids;
    for (const auto& row : rows) ids.push_back(row.trial_id);
    return ids;
}

TEST(Leaderboard, OrderTiesAndMissingValues) {
    const Board board = make_board();
    ResultsStore store(board.path);
    const auto rows = store.leaderboard({board.sweep_a, LeaderboardSort::final_score, 0});
    // 0.50 (trial 2), 0.50 (trial 4: tie, later id), 0.45, 0.30, 0.10, then the diverged one.
    EXPECT_EQ(trial_ids(rows),
              (std::vector<int64_t>{board.a[1], board.a[3], board.a[4], board.a[0], board.a[2], board.a[5]}));
    const std::vector<int> ranks = {1, 1, 3, 4, 5, 0};
    for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].rank, ranks[i]) << i;
    EXPECT_EQ(rows[2].state, "stopped_early");
    EXPECT_EQ(rows[5].state, "diverged");
    EXPECT_FALSE(rows[5].final_score);
    EXPECT_EQ(rows[0].sweep_name, "A");
    EXPECT_EQ(rows[0].epochs_run, 2);
    EXPECT_EQ(rows[0].config.num_epochs, 10);
    EXPECT_DOUBLE_EQ(rows[0].duration_seconds, 125);
}

TEST(Leaderboard, LimitsAndSweeps) {
    const Board board = make_board();
    ResultsStore store(board.path);
    EXPECT_EQ(trial_ids(store.leaderboard({board.sweep_a, LeaderboardSort::final_score, 2})),
              (std::vector<int64_t>{board.a[1], board.a[3]}));
    EXPECT_EQ(store.leaderboard({board.sweep_a, LeaderboardSort::final_score, 100}).size(), 6u);
    const auto all = store.leaderboard({std::nullopt, LeaderboardSort::final_score, 3});
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].sweep_id, board.sweep_b);  // 0.9 across every sweep
    EXPECT_EQ(all[0].sweep_name, "B");
    EXPECT_TRUE(store.leaderboard({board.sweep_b + 1, LeaderboardSort::final_score, 10}).empty());
}

TEST(Leaderboard, OtherSortKeys) {
    const Board board = make_board();
    ResultsStore store(board.path);
    // val_loss ascending: best losses 0.10 (trial 5), 0.20, 0.30, 0.40, 0.50; the diverged one has none.
    EXPECT_EQ(trial_ids(store.leaderboard({board.sweep_a, LeaderboardSort::val_loss, 0})),
              (std::vector<int64_t>{board.a[4], board.a[1], board.a[3], board.a[0], board.a[2], board.a[5]}));
    const auto by_iou = store.leaderboard({board.sweep_a, LeaderboardSort::final_iou, 1});
    EXPECT_DOUBLE_EQ(*by_iou[0].final_iou, 0.6);
    const auto by_val_iou = store.leaderboard({board.sweep_a, LeaderboardSort::val_iou, 1});
    EXPECT_DOUBLE_EQ(*by_val_iou[0].val_iou, 0.7);
    // Equal weights everywhere: one rank for all scored trials, listed by trial id.
    const auto by_weight = store.leaderboard({board.sweep_a, LeaderboardSort::weight, 0});
    EXPECT_EQ(by_weight[0].trial_id, board.a[0]);
    EXPECT_EQ(by_weight[4].rank, 1);
}

TEST(Leaderboard, RunsOnTheIndexes) {
    const Board board = make_board();
    ResultsStore store(board.path);
    const std::string one_sweep = store.leaderboard_plan({board.sweep_a, LeaderboardSort::final_score, 10});
    EXPECT_NE(one_sweep.find("USING INDEX results_sweep_final_score"), std::string::npos) << one_sweep;
    const std::string all = store.leaderboard_plan({std::nullopt, LeaderboardSort::val_loss, 10});
    EXPECT_NE(all.find("USING INDEX results_val_loss"), std::string::npos) << all;
    EXPECT_EQ(all.find("SCAN r\n"), std::string::npos) << all;
}

TEST(Leaderboard, JsonParsesAndRoundTrips) {
    const Board board = make_board();
    ResultsStore store(board.path);
    const auto rows = store.leaderboard({board.sweep_a, LeaderboardSort::final_score, 0});
    const auto parsed = nlohmann::json::parse(leaderboard_json(rows).dump());
    ASSERT_EQ(parsed.size(), 6u);
    EXPECT_EQ(parsed[0]["rank"], 1);
    EXPECT_EQ(parsed[0]["trial"], board.a[1]);
    EXPECT_EQ(parsed[0]["batch_size"], 32);
    EXPECT_DOUBLE_EQ(parsed[0]["final_score"].get<double>(), 0.5);
    EXPECT_TRUE(parsed[5]["final_score"].is_null());
    EXPECT_TRUE(parsed[5]["rank"].is_null());
    EXPECT_EQ(parsed[5]["state"], "diverged");
    EXPECT_EQ(parsed[0]["config"]["learning_rate"], 0.002);
    const auto back = leaderboard_rows_from_json(parsed);
    ASSERT_EQ(back.size(), rows.size());
    EXPECT_EQ(back[1].rank, 1);
    EXPECT_EQ(back[1].trial_id, rows[1].trial_id);
    EXPECT_EQ(config_hash(back[1].config), config_hash(rows[1].config));

    LeaderboardQuery query{board.sweep_a, LeaderboardSort::val_loss, 5};
    const auto query_back = leaderboard_query_from_json(to_json(query));
    EXPECT_EQ(query_back.sweep_id, board.sweep_a);
    EXPECT_EQ(query_back.sort, LeaderboardSort::val_loss);
    EXPECT_EQ(query_back.limit, 5);
}

TEST(Leaderboard, CsvHasAHeaderAndOneRowPerTrial) {
    const Board board = make_board();
    ResultsStore store(board.path);
    const auto rows = store.leaderboard({board.sweep_a, LeaderboardSort::final_score, 0});
    std::istringstream csv(leaderboard_csv(rows));
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(csv, line)) lines.push_back(line);
    ASSERT_EQ(lines.size(), rows.size() + 1);
    EXPECT_EQ(lines[0],
              "rank,trial,sweep,learning_rate,batch_size,epochs_run,num_epochs,final_score,final_iou,weight,val_loss,"
              "val_iou,state,duration_s");
    for (const auto& l : lines) EXPECT_EQ(std::count(l.begin(), l.end(), ','), 13) << l;
    EXPECT_EQ(lines[1].rfind("1," + std::to_string(board.a[1]) + ",", 0), 0u) << lines[1];
    EXPECT_NE(lines[6].find(",,"), std::string::npos);  // the diverged trial's empty cells
}

TEST(Leaderboard, TableFitsATerminal) {
    const Board board = make_board();
    ResultsStore store(board.path);
    const std::string table = leaderboard_table(store.leaderboard({board.sweep_a, LeaderboardSort::final_score, 0}),
                                                LeaderboardSort::final_score);
    std::istringstream lines(table);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line.substr(0, 4), "rank");
    EXPECT_NE(line.find("score"), std::string::npos);
    EXPECT_NE(line.find("IoU"), std::string::npos);
    EXPECT_NE(line.find("weight"), std::string::npos);
    EXPECT_NE(line.find("state"), std::string::npos);
    int count = 0;
    do {
        EXPECT_LE(line.size(), 80u) << line;
        ++count;
    } while (std::getline(lines, line));
    EXPECT_EQ(count, 7);
    EXPECT_NE(table.find("2/10"), std::string::npos);  // epochs run / planned
    EXPECT_NE(table.find("2m05s"), std::string::npos);
    EXPECT_EQ(format_duration(7260), "2h01m");
}

TEST(Leaderboard, TableShowsTheConfigFieldsTheRowsDifferIn) {
    // Rows that differ in encoder width and patience (besides lr and batch): a column each, with the
    // row's own value; fields equal in every row (image size, decoder, ...) get none.
    std::vector<LeaderboardRow> rows(3);
    const std::vector<std::vector<int>> encoders = {{8, 16}, {16, 32}, {8, 16}};
    for (size_t i = 0; i < rows.size(); ++i) {
        rows[i].rank = static_cast<int>(i + 1);
        rows[i].trial_id = static_cast<int64_t>(i + 1);
        rows[i].config.learning_rate = 0.01;
        rows[i].config.batch_size = 8;
        rows[i].config.num_epochs = 10;
        rows[i].config.encoder_filters = encoders[i];
        rows[i].config.patience = i == 2 ? 3 : 5;
        rows[i].epochs_run = 10;
        rows[i].final_score = 0.5 - 0.1 * static_cast<double>(i);
        rows[i].state = "completed";
    }
    std::istringstream lines(leaderboard_table(rows, LeaderboardSort::final_score));
    std::string header, first, second, third;
    std::getline(lines, header);
    std::getline(lines, first);
    std::getline(lines, second);
    std::getline(lines, third);
    EXPECT_NE(header.find("batch  encoder  patience  epochs"), std::string::npos) << header;
    EXPECT_EQ(header.find("size"), std::string::npos) << header;
    EXPECT_EQ(header.find("decoder"), std::string::npos) << header;
    EXPECT_NE(first.find("[8,16]         5   10/10"), std::string::npos) << first;
    EXPECT_NE(second.find("[16,32]         5   10/10"), std::string::npos) << second;
    EXPECT_NE(third.find("[8,16]         3   10/10"), std::string::npos) << third;

    // One row alone varies nothing: the plain columns.
    std::istringstream single(leaderboard_table({rows[0]}, LeaderboardSort::final_score));
    std::getline(single, header);
    EXPECT_NE(header.find("batch  epochs"), std::string::npos) << header;
}

TEST(Leaderboard, SortNames) {
    EXPECT_EQ(leaderboard_sort_from_name("val_loss"), LeaderboardSort::val_loss);
    EXPECT_STREQ(leaderboard_sort_name(LeaderboardSort::final_iou), "final_iou");
    EXPECT_THROW(leaderboard_sort_from_name("accuracy"), Error);
}

}  // namespace
}  // namespace segsweep
