-- A results store as schema v1 left it (no attempts table, no results.sweep_id / best_val_*):
-- one sweep with a completed trial (2 attempts), a running one, a lost one and a never-run one.
INSERT INTO sweeps (id, name, source, file_format, file_text, spec_json, state, created_at)
VALUES (1, 'old', 'old.json', 'json', '{"method": "grid"}', '{"method": "grid", "name": "old"}', 'running', 1700000000);

INSERT INTO trials (id, sweep_id, trial_index, config_json, config_hash, learning_rate, batch_size, num_epochs,
                    state, attempt, restarts, worker_id, message, created_at, started_at, ended_at)
VALUES
 (1, 1, 0, '{"learning_rate": 0.001, "batch_size": 32, "num_epochs": 3}', 'h1', 0.001, 32, 3,
  'completed', 2, 1, '', 'done', 1700000000, 1700000100, 1700000400),
 (2, 1, 1, '{"learning_rate": 0.002, "batch_size": 32, "num_epochs": 3}', 'h2', 0.002, 32, 3,
  'running', 1, 0, 'w2', '', 1700000000, 1700000200, NULL),
 (3, 1, 2, '{"learning_rate": 0.003, "batch_size": 32, "num_epochs": 3}', 'h3', 0.003, 32, 3,
  'pending', 1, 1, '', 'worker lost', 1700000000, 1700000300, NULL),
 (4, 1, 3, '{"learning_rate": 0.004, "batch_size": 32, "num_epochs": 3}', 'h4', 0.004, 32, 3,
  'pending', 0, 0, '', '', 1700000000, NULL, NULL);

INSERT INTO epochs (trial_id, attempt, epoch, train_loss, val_loss, val_iou, images_per_sec, seconds, recorded_at)
VALUES
 (1, 1, 1, 0.9, 0.8, 0.2, 50, 10, 1700000110),
 (1, 1, 2, 0.5, 0.1, 0.9, 50, 10, 1700000120),   -- replaced by attempt 2's epoch 2
 (1, 2, 2, 0.7, 0.6, 0.4, 50, 10, 1700000300),
 (1, 2, 3, 0.6, 0.5, 0.5, 50, 10, 1700000310),
 (2, 1, 1, 0.9, 0.7, 0.3, 50, 10, 1700000210);

INSERT INTO results (trial_id, attempt, state, message, final_score, final_iou, weight, score_json, epochs_run,
                     best_epoch, wall_seconds, images_per_sec, recorded_at)
VALUES (1, 2, 'completed', 'done', 0.35, 0.47, 0.74,
        '{"sets": [], "weight": 0.74, "final_iou": 0.47, "final_score": 0.35}', 3, 3, 300, 50, 1700000400);
