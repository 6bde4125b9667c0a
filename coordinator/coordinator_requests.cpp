// Coordinator: client requests (SUBMIT, STATUS, LEADERBOARD, CANCEL, WORKERS) and the bayes feeder.
#include <chrono>
#include <memory>

#include "common/error.h"
#include "common/log.h"
#include "coordinator/coordinator.h"
#include "coordinator/stored_status.h"
#include "results/leaderboard.h"
#include "sweeps/sweep_parser.h"
#include "sweeps/sweep_text.h"

namespace segsweep::coordinator {

using protocol::MessageType;

void Coordinator::handle_request(const std::string& routing_id, const protocol::Request& request, int64_t now) {
    switch (request.type) {
        case MessageType::submit: submit_sweep(routing_id, request, now); return;
        case MessageType::status: answer_status(routing_id, request, now); return;
        case MessageType::leaderboard: answer_leaderboard(routing_id, request); return;
        case MessageType::cancel: answer_cancel(routing_id, request, now); return;
        case MessageType::workers: reply(routing_id, request.request_id, scheduler_.workers_json(now)); return;
        default: return;
    }
}

void Coordinator::add_runtime(int64_t sweep_id, const std::string& name, SweepSpec spec) {
    auto [it, inserted] = runtimes_.emplace(sweep_id, SweepRuntime(sweep_id, std::move(spec)));
    if (inserted) scheduler_.add_sweep(it->second.sweep_entry(name));
}

void Coordinator::submit_sweep(const std::string& routing_id, const protocol::Request& request, int64_t now) {
    (void)now;
    auto known = submits_.find(request.request_id);
    if (known != submits_.end()) {
        // A retry of a SUBMIT already handled (its REPLY was lost) or still in flight.
        if (known->second) reply(routing_id, request.request_id, {{"sweep_id", *known->second}, {"repeat", true}});
        return;
    }
    const std::string source = request.sweep_source.empty() ? "sweep" : request.sweep_source;
    SweepSpec spec;
    TrialPlan plan;
    SweepSubmission submission;
    try {
        SweepFormat format = sweep_format_for(source, request.sweep_text);
        spec = parse_sweep_text(request.sweep_text, format, source);
        plan = plan_trials(spec);
        submission.name = spec.name;
        submission.source = source;
        submission.file_format = sweep_format_name(format);
        submission.file_text = request.sweep_text;
        submission.spec = to_json(spec);
    } catch (const Error& e) {
        LOG_W("SUBMIT of %s refused: %s", source.c_str(), e.what());
        reply_error(routing_id, request.request_id, e.what());
        return;
    }
    std::vector<TrialConfig> configs;
    for (const auto& trial : plan.trials) configs.push_back(trial.config);

    submits_[request.request_id] = std::nullopt;
    submit_order_.push_back(request.request_id);
    while (submit_order_.size() > kSubmitMemory) {
        submits_.erase(submit_order_.front());
        submit_order_.pop_front();
    }
    auto created = std::make_shared<CreatedSweep>();
    const std::string request_id = request.request_id;
    run_store_job([created, submission, configs](ResultsStore& store) { *created = store.create_sweep(submission, configs); },
                  [this, created, spec, plan, routing_id, request_id](const StoreCompletion& done) {
                      if (done.failed) {
                          submits_.erase(request_id);
                          reply_error(routing_id, request_id, "the results store refused the sweep: " + done.error);
                          return;
                      }
                      const int64_t sweep_id = created->sweep_id;
                      add_runtime(sweep_id, spec.name, spec);
                      SweepRuntime& runtime = runtimes_.at(sweep_id);
                      int64_t when = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count();
                      for (size_t i = 0; i < created->trial_ids.size(); ++i) {
                          TrialEntry trial;
                          trial.trial_id = created->trial_ids[i];
                          trial.sweep_id = sweep_id;
                          trial.config = plan.trials.at(i).config;
                          trial.trial_dir = trial_dir(sweep_id, trial.trial_id);
                          runtime.add_trial(trial.trial_id, trial.config);
                          scheduler_.add_trial(trial, when);
                      }
                      scheduler_.check_sweeps_done();
                      scheduler_.dispatch(when);
                      submits_[request_id] = sweep_id;
                      LOG_I("sweep %lld '%s' submitted: %s, %zu trial(s)%s", static_cast<long long>(sweep_id),
                            spec.name.c_str(), search_method_name(spec.method), created->trial_ids.size(),
                            runtime.is_bayes() ? " now, more as the bayes search asks" : "");
                      nlohmann::json data = {{"sweep_id", sweep_id},
                                             {"name", spec.name},
                                             {"method", search_method_name(spec.method)},
                                             {"trials", created->trial_ids.size()},
                                             {"duplicates", created->duplicates},
                                             {"warnings", spec.warnings},
                                             {"notes", plan.notes}};
                      reply(routing_id, request_id, std::move(data));
                  });
}

void Coordinator::answer_status(const std::string& routing_id, const protocol::Request& request, int64_t now) {
    if (request.sweep_id && scheduler_.sweeps().count(*request.sweep_id) == 0) {
        // A sweep finished before this coordinator started: the store has its counts.
        auto answer = std::make_shared<nlohmann::json>();
        int64_t sweep_id = *request.sweep_id;
        run_store_job(
            [answer, sweep_id](ResultsStore& store) { *answer = stored_status_json(store, sweep_id); },
            [this, answer, routing_id, request, now](const StoreCompletion& done) {
                if (done.failed) {
                    reply_error(routing_id, request.request_id, done.error);
                    return;
                }
                nlohmann::json data = *answer;
                data["workers"] = scheduler_.status_json(std::nullopt, now)["workers"];
                data["worker_list"] = scheduler_.workers_json(now)["workers"];
                reply(routing_id, request.request_id, std::move(data));
            });
        return;
    }
    nlohmann::json data = scheduler_.status_json(request.sweep_id, now);
    data["worker_list"] = scheduler_.workers_json(now)["workers"];
    reply(routing_id, request.request_id, std::move(data));
}

void Coordinator::answer_leaderboard(const std::string& routing_id, const protocol::Request& request) {
    LeaderboardQuery query;
    try {
        if (!request.sort.empty()) query.sort = leaderboard_sort_from_name(request.sort);
    } catch (const Error& e) {
        reply_error(routing_id, request.request_id, e.what());
        return;
    }
    query.sweep_id = request.sweep_id;
    query.limit = request.limit;
    const std::string sweep_name = request.sweep_name;
    auto answer = std::make_shared<nlohmann::json>();
    // The same query as `segsweep leaderboard --db`, plus the sweep's record for the table's heading.
    run_store_job(
        [answer, query, sweep_name](ResultsStore& store) {
            LeaderboardQuery resolved = query;
            nlohmann::json sweep = nullptr;
            if (!sweep_name.empty() || query.sweep_id) {
                SweepRecord record = sweep_name.empty() ? store.resolve_sweep(std::to_string(*query.sweep_id))
                                                        : store.resolve_sweep(sweep_name);
                resolved.sweep_id = record.id;
                sweep = to_json(record);
                sweep.erase("spec");
            }
            *answer = {{"sort", leaderboard_sort_name(resolved.sort)},
                       {"rows", leaderboard_json(store.leaderboard(resolved))},
                       {"sweep", std::move(sweep)}};
        },
        [this, answer, routing_id, request](const StoreCompletion& done) {
            if (done.failed) {
                reply_error(routing_id, request.request_id, done.error);
                return;
            }
            reply(routing_id, request.request_id, std::move(*answer));
        });
}

void Coordinator::answer_cancel(const std::string& routing_id, const protocol::Request& request, int64_t now) {
    CancelOutcome outcome;
    std::string what;
    if (request.sweep_id) {
        outcome = scheduler_.cancel_sweep(*request.sweep_id, now);
        what = "sweep " + std::to_string(*request.sweep_id);
    } else {
        outcome = scheduler_.cancel_trial(*request.trial_id, now);
        what = "trial " + std::to_string(*request.trial_id);
    }
    if (!outcome.found) {
        reply_error(routing_id, request.request_id, what + " is not known to this coordinator (finished before it started?)");
        return;
    }
    flush(now);  // the cancellations reach the store before the reply goes
    reply(routing_id, request.request_id,
          {{"cancelled", what},
           {"pending_cancelled", outcome.cancelled_pending},
           {"running_stopping", outcome.stopping_running},
           {"already_final", outcome.already_final}});
}

void Coordinator::feed_bayes(int64_t now) {
    bool any = false;
    for (const auto& [id, runtime] : runtimes_)
        if (runtime.is_bayes()) any = true;
    if (!any || scheduler_.ready_workers() == 0) return;
    for (auto& [sweep_id, runtime] : runtimes_) {
        if (!runtime.is_bayes() || bayes_asking_.count(sweep_id) != 0) continue;
        auto sweep = scheduler_.sweeps().find(sweep_id);
        if (sweep == scheduler_.sweeps().end() || !sweep->second.open) continue;
        if (scheduler_.pending_in_sweep(sweep_id) > 0) continue;
        std::optional<PlannedTrial> next = runtime.ask();
        if (!next) {
            LOG_I("sweep %lld: the bayes search has no more trials to ask for (%d asked)",
                  static_cast<long long>(sweep_id), runtime.trials());
            scheduler_.close_sweep(sweep_id);
            continue;
        }
        bayes_asking_.insert(sweep_id);
        auto added = std::make_shared<std::optional<int64_t>>();
        const int64_t id = sweep_id;
        TrialConfig config = next->config;
        run_store_job([added, id, config](ResultsStore& store) { *added = store.add_trial(id, config); },
                      [this, added, id, config, now](const StoreCompletion& done) {
                          bayes_asking_.erase(id);
                          if (done.failed || !added->has_value()) {
                              LOG_W("sweep %lld: could not add the bayes trial (%s): no more trials for it",
                                    static_cast<long long>(id), done.failed ? done.error.c_str() : "duplicate config");
                              scheduler_.close_sweep(id);
                              return;
                          }
                          TrialEntry trial;
                          trial.trial_id = **added;
                          trial.sweep_id = id;
                          trial.config = config;
                          trial.trial_dir = trial_dir(id, trial.trial_id);
                          runtimes_.at(id).add_trial(trial.trial_id, config);
                          scheduler_.add_trial(trial, now);
                          LOG_I("sweep %lld: bayes trial %lld added", static_cast<long long>(id),
                                static_cast<long long>(trial.trial_id));
                          scheduler_.dispatch(now);
                      });
    }
}

}  // namespace segsweep::coordinator
