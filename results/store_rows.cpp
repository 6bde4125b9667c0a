// Row readers for trial and epoch SELECTs.
#include "results/store_rows.h"

#include <nlohmann/json.hpp>

namespace segsweep {

const char* const kTrialColumns =
    "t.id, t.sweep_id, t.trial_index, t.config_json, t.config_hash, t.state, t.attempt, t.restarts, "
    "t.preemptions, t.worker_id, t.message, t.created_at, t.started_at, t.ended_at, "
    "(SELECT MAX(e.epoch) FROM epochs e WHERE e.trial_id = t.id AND e.attempt = t.attempt), "
    "(SELECT AVG(e.seconds) FROM epochs e WHERE e.trial_id = t.id AND e.attempt = t.attempt), "
    "r.final_score, r.final_iou";

TrialRecord read_trial_row(const SqliteStatement& s) {
    TrialRecord t;
    t.id = s.column_int64(0);
    t.sweep_id = s.column_int64(1);
    t.trial_index = s.column_int(2);
    t.config = trial_config_from_json(nlohmann::json::parse(s.column_text(3)), "trials.config_json");
    t.config_hash = s.column_text(4);
    t.state = trial_state_from_name(s.column_text(5));
    t.attempt = s.column_int(6);
    t.restarts = s.column_int(7);
    t.preemptions = s.column_int(8);
    t.worker_id = s.column_text(9);
    t.message = s.column_text(10);
    t.created_at = s.column_double(11);
    t.started_at = s.column_optional_double(12);
    t.ended_at = s.column_optional_double(13);
    t.last_epoch = s.is_null(14) ? 0 : s.column_int(14);
    t.mean_epoch_seconds = s.is_null(15) ? 0 : s.column_double(15);
    t.final_score = s.column_optional_double(16);
    t.final_iou = s.column_optional_double(17);
    return t;
}

EpochRecord read_epoch_row(const SqliteStatement& s) {
    EpochRecord r;
    r.trial_id = s.column_int64(0);
    r.attempt = s.column_int(1);
    r.metrics.epoch = s.column_int(2);
    r.metrics.train_loss = s.column_double(3);
    r.metrics.val_loss = s.column_double(4);
    r.metrics.val_iou = s.column_double(5);
    r.metrics.images_per_sec = s.column_double(6);
    r.metrics.seconds = s.column_double(7);
    return r;
}

}  // namespace segsweep
