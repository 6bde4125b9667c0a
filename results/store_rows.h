// Row readers shared by the store's write and query code: the column lists of the trial and epoch
// SELECTs and the functions that turn a stepped statement into a record.
#pragma once

#include "results/sqlite_handle.h"
#include "results/store_records.h"

namespace segsweep {

// Columns of a trial row, for "SELECT <kTrialColumns> FROM trials t LEFT JOIN results r ON r.trial_id = t.id".
extern const char* const kTrialColumns;
TrialRecord read_trial_row(const SqliteStatement& statement);

// Columns of an epoch row: trial_id, attempt, epoch, train_loss, val_loss, val_iou, images_per_sec, seconds.
EpochRecord read_epoch_row(const SqliteStatement& statement);

}  // namespace segsweep
