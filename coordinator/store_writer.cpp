// StoreWriter: scheduler writes committed in batches, and store jobs, on a thread of their own.
#include "coordinator/store_writer.h"

#include <time.h>

#include "common/error.h"
#include "common/log.h"

namespace segsweep::coordinator {
namespace {

constexpr size_t kMaxWritesPerTransaction = 20000;  // writes merged into one commit under load

}  // namespace

StoreWriter::StoreWriter(const std::string& db_path, StoreDurability durability) {
    thread_ = std::thread([this, db_path, durability] { run(db_path, durability); });
    std::unique_lock<std::mutex> lock(mutex_);
    queued_.wait(lock, [this] { return opened_ || !open_error_.empty(); });
    if (!open_error_.empty()) {
        lock.unlock();
        thread_.join();
        throw Error(open_error_);
    }
}

StoreWriter::~StoreWriter() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    queued_.notify_all();
    if (thread_.joinable()) thread_.join();
}

uint64_t StoreWriter::submit_writes(std::vector<StoreWrite> writes) {
    std::lock_guard<std::mutex> lock(mutex_);
    Task task;
    task.sequence = next_sequence_++;
    task.writes = std::move(writes);
    tasks_.push_back(std::move(task));
    queued_.notify_all();
    return tasks_.back().sequence;
}

uint64_t StoreWriter::submit_job(StoreJob job) {
    std::lock_guard<std::mutex> lock(mutex_);
    Task task;
    task.sequence = next_sequence_++;
    task.job = std::move(job);
    tasks_.push_back(std::move(task));
    queued_.notify_all();
    return tasks_.back().sequence;
}

std::vector<StoreCompletion> StoreWriter::take_completions() {
    wakeup_.drain();
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<StoreCompletion> out;
    out.swap(completions_);
    return out;
}

uint64_t StoreWriter::writes_committed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return writes_committed_;
}

uint64_t StoreWriter::transactions_committed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return transactions_;
}

double StoreWriter::cpu_seconds() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cpu_seconds_;
}

void StoreWriter::apply(ResultsStore& store, const StoreWrite& w) {
    switch (w.kind) {
        case StoreWrite::Kind::attempt_started:
            store.start_attempt(w.trial_id, w.attempt, w.worker_id);
            return;
        case StoreWrite::Kind::trial_requeued:
            store.requeue_trial(w.trial_id, w.attempt, w.preempted ? AttemptOutcome::preempted : AttemptOutcome::lost,
                                w.reason, w.restarts);
            return;
        case StoreWrite::Kind::trial_finished:
            store.finish_trial(w.trial_id, w.attempt, w.state, w.reason);
            return;
        case StoreWrite::Kind::epoch_reported:
            store.record_epoch(w.trial_id, w.attempt, w.metrics);
            return;
        case StoreWrite::Kind::result_reported:
            store.record_result(w.trial_id, w.attempt, w.result);
            return;
        case StoreWrite::Kind::sweep_done:
            store.set_sweep_state(w.sweep_id, sweep_state_from_name(w.sweep_state), w.reason);
            return;
    }
}

void StoreWriter::run(const std::string& db_path, StoreDurability durability) {
    std::unique_ptr<ResultsStore> store;
    try {
        StoreOptions options;
        options.mode = StoreOpenMode::create;
        options.durability = durability;
        store = std::make_unique<ResultsStore>(db_path, options);
    } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mutex_);
        open_error_ = e.what();
        queued_.notify_all();
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        opened_ = true;
    }
    queued_.notify_all();

    while (true) {
        // Group commit: every write batch queued back to back goes into one transaction (one
        // fsync), up to kMaxWritesPerTransaction; a job ends the group.
        std::vector<Task> group;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            queued_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty()) return;  // stopping, and everything queued is done
            size_t writes = 0;
            while (!tasks_.empty()) {
                Task& next = tasks_.front();
                if (!group.empty() && (next.job || group.front().job || writes >= kMaxWritesPerTransaction)) break;
                writes += next.writes.size();
                group.push_back(std::move(next));
                tasks_.pop_front();
            }
        }
        std::vector<StoreCompletion> done(group.size());
        for (size_t i = 0; i < group.size(); ++i) done[i].sequence = group[i].sequence;
        int writes = 0;
        try {
            if (group.front().job) {
                group.front().job(*store);
            } else {
                StoreTransaction transaction(*store);
                for (size_t i = 0; i < group.size(); ++i) {
                    for (const auto& write : group[i].writes) apply(*store, write);
                    done[i].writes = static_cast<int>(group[i].writes.size());
                    writes += done[i].writes;
                }
                transaction.commit();
            }
        } catch (const std::exception& e) {
            for (auto& d : done) {
                d.failed = true;
                d.fatal = !group.front().job;
                d.error = e.what();
            }
            if (!group.front().job) LOG_E("results store %s: a batch of writes failed: %s", db_path.c_str(), e.what());
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!group.front().job && !done.front().failed) {
                writes_committed_ += static_cast<uint64_t>(writes);
                ++transactions_;
            }
            for (auto& d : done) completions_.push_back(std::move(d));
            timespec cpu{};
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
            cpu_seconds_ = static_cast<double>(cpu.tv_sec) + 1e-9 * static_cast<double>(cpu.tv_nsec);
        }
        wakeup_.notify();
    }
}

}  // namespace segsweep::coordinator
