#!/usr/bin/python3
"""Peer for `segsweep bench coordinator`: Optuna (Debian's python3-optuna) on SQLite storage runs
the same number of no-op trials, each reporting the same number of intermediate values (one per
"epoch", as segsweep's stand-in trial does), through the same kind of durable store.

usage: optuna_sqlite_noop.py DB_PATH TRIALS EPOCHS
prints one JSON object: {"trials", "epochs", "seconds", "trials_per_s", "reports_per_s"}
"""
import json
import sys
import time

import optuna


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    db_path, trials, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage("sqlite:///" + db_path)
    study = optuna.create_study(study_name="noop", storage=storage, direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-4, 1e-1, log=True)
        for epoch in range(1, epochs + 1):
            trial.report(lr * epoch, epoch)  # one durable intermediate value per epoch
        return lr

    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    seconds = time.perf_counter() - start
    print(json.dumps({"trials": trials, "epochs": epochs, "seconds": seconds,
                      "trials_per_s": trials / seconds, "reports_per_s": trials * epochs / seconds}))


if __name__ == "__main__":
    main()
