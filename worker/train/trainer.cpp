// run_trial (see trainer.h): setup (ranks, threads, device, data, model, optimizer, loaders,
// resume), the epoch loop (training steps, validation, files, decisions) and the endings
// (completed, stopped early, diverged, cancelled, preempted).
#include "worker/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include <torch/torch.h>

#include "common/error.h"
#include "common/log.h"
#include "worker/comm/gradient_averager.h"
#include "worker/data/batch_loader.h"
#include "worker/data/random.h"
#include "worker/model/fcn.h"
#include "worker/model/loss.h"
#include "worker/train/checkpoint.h"
#include "worker/train/curves_svg.h"
#include "worker/train/early_stopping.h"
#include "worker/train/evaluation.h"
#include "worker/train/progress.h"
#include "worker/train/rank_reduce.h"
#include "worker/train/run_files.h"

namespace segsweep {
namespace {

constexpr double kAdamBeta1 = 0.9;       // Keras 2.0 Adam defaults
constexpr double kAdamBeta2 = 0.999;
constexpr double kAdamEpsilon = 1e-8;
constexpr uint64_t kValidationStream = 0x76616c6964ull;  // mixed into the seed for the validation order

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// What rank 0 found in RUN/ and tells every rank.
enum class StartKind { fresh, resume, finished };

struct StartPlan {
    StartKind kind = StartKind::fresh;
    std::string checkpoint_bytes;   // kind == resume
    std::optional<TrialResult> result;  // kind == finished
};

std::string describe_loss(double value) { return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf"); }

// How an epoch ended.
struct EpochOutcome {
    enum class Kind { finished, preempted, diverged } kind = Kind::finished;
    EpochMetrics metrics;   // kind == finished
    std::string message;    // preempted / diverged: where and why
};

class TrialRunner {
public:
    TrialRunner(const TrialConfig& config, const TrainOptions& options, const TrainCallbacks& callbacks)
        : config_(config), options_(options), callbacks_(callbacks) {}

    TrialResult run();

private:
    void set_up_compute();
    StartPlan plan_start();
    void load_data();
    void build_model();
    void restore_checkpoint(const std::string& bytes);
    void synchronise_replicas();
    void log_setup();

    EpochOutcome run_epoch(int epoch);
    bool local_interrupt() const { return callbacks_.interrupt_requested && callbacks_.interrupt_requested(); }
    void write_epoch_files();
    nlohmann::json checkpoint_meta() const;
    EpochDecision agree_on_decision(const EpochMetrics& metrics);

    TrialResult base_result(TrialState state, const std::string& message) const;
    TrialResult finish(TrialState state, const std::string& message, bool score);
    void write_result_files(const TrialResult& result, const EvaluationRun* evaluation);

    bool is_root() const { return comm_->rank() == 0; }

    TrialConfig config_;
    TrainOptions options_;
    TrainCallbacks callbacks_;
    Clock::time_point start_ = Clock::now();

    std::unique_ptr<Communicator> own_comm_;
    Communicator* comm_ = nullptr;
    int threads_ = 1;
    torch::Device device_{torch::kCPU};

    FollowMeData data_;
    Fcn model_{nullptr};
    std::unique_ptr<torch::optim::Adam> optimizer_;
    std::unique_ptr<GradientAverager> averager_;
    std::unique_ptr<BatchLoader> train_loader_;
    std::unique_ptr<BatchLoader> val_loader_;
    int64_t train_steps_ = 0;
    int64_t val_steps_ = 0;

    EarlyStopping stopping_{0, 0.0};
    std::optional<ModelSnapshot> best_;
    std::vector<EpochMetrics> history_;
    int epochs_done_ = 0;
    // Totals over every attempt of this run (carried in the checkpoint).
    double images_trained_ = 0;
    double train_seconds_ = 0;
    double wall_seconds_before_ = 0;

    std::unique_ptr<EpochProgress> progress_;
};

void TrialRunner::set_up_compute() {
    if (options_.comm) {
        comm_ = options_.comm;
    } else {
        own_comm_ = make_single_communicator();
        comm_ = own_comm_.get();
    }
    const int ranks = comm_->size();
    if (config_.batch_size % ranks != 0)
        throw Error("batch_size " + std::to_string(config_.batch_size) + " is the global batch and must divide " +
                    "evenly over " + std::to_string(ranks) + " ranks (choose a multiple of " + std::to_string(ranks) +
                    ")");
    threads_ = set_torch_threads(options_.threads > 0 ? options_.threads : default_thread_count(comm_));
    device_ = choose_device(options_.device, comm_);
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    progress_ = std::make_unique<EpochProgress>(options_.progress_bar && tty && is_root(), !is_root());
}

StartPlan TrialRunner::plan_start() {
    // Rank 0 inspects RUN/ and broadcasts one line ("fresh", "resume" or "finished <result json>")
    // and, for a resume, the checkpoint's bytes. A problem is thrown on rank 0 (under several
    // ranks, run_or_abort then ends the job).
    std::string verdict;
    std::string checkpoint_bytes;
    if (is_root()) {
        std::filesystem::create_directories(options_.run_dir);
        const auto checkpoint = options_.run_dir / kRunCheckpointFile;
        const std::optional<TrialResult> result = read_run_result(options_.run_dir);
        const bool has_checkpoint = std::filesystem::exists(checkpoint);
        if (!options_.resume && (result || has_checkpoint))
            throw Error(options_.run_dir.string() + " already holds a " + (result ? "finished run" : "checkpoint") +
                        ": resume it (--resume) or choose another run folder");
        if (result && trial_state_is_final(result->state)) {
            if (config_hash(result->config) != config_hash(config_))
                throw Error((options_.run_dir / kRunResultFile).string() + " belongs to another trial config");
            verdict = "finished " + to_json(*result).dump();
        } else if (has_checkpoint) {
            verdict = "resume";
            checkpoint_bytes = read_text_file(checkpoint);
        } else {
            verdict = "fresh";
        }
    }
    comm_->broadcast_string(verdict, 0);
    StartPlan plan;
    if (verdict.rfind("finished ", 0) == 0) {
        plan.kind = StartKind::finished;
        plan.result = trial_result_from_json(nlohmann::json::parse(verdict.substr(9)));
    } else if (verdict == "resume") {
        plan.kind = StartKind::resume;
        comm_->broadcast_string(checkpoint_bytes, 0);
        plan.checkpoint_bytes = std::move(checkpoint_bytes);
    }
    return plan;
}

void TrialRunner::load_data() {
    const auto start = Clock::now();
    data_ = load_follow_me_data(options_.data_root, config_.image_size, SplitSelection{}, options_.load);
    if (is_root()) {
        std::string evaluation;
        for (const auto& set : data_.evaluation) evaluation += " " + set.name + " " + std::to_string(set.count);
        LOG_I("data %s at %dpx: train %d, validation %d,%s images (%.1f s)", options_.data_root.c_str(),
              config_.image_size, data_.train.count, data_.validation.count, evaluation.c_str(),
              seconds_since(start));
    }
}

void TrialRunner::build_model() {
    model_ = Fcn(fcn_architecture(config_), static_cast<uint64_t>(config_.seed));
    model_->to(device_);
    if (options_.channels_last) {
        torch::NoGradGuard no_grad;
        for (auto& p : model_->parameters())
            if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
    }
    optimizer_ = std::make_unique<torch::optim::Adam>(model_->parameters(),
                                                      torch::optim::AdamOptions(config_.learning_rate)
                                                          .betas(std::make_tuple(kAdamBeta1, kAdamBeta2))
                                                          .eps(kAdamEpsilon));
    averager_ = std::make_unique<GradientAverager>(*comm_, model_->parameters());

    BatchLoaderOptions train;
    train.batch_size = config_.batch_size;
    train.shuffle = true;
    train.seed = static_cast<uint64_t>(config_.seed);
    train.workers = config_.workers;
    train.flip = config_.flip;
    train.shift_aug = config_.shift_aug;
    train.channels_last = options_.channels_last;
    train.rank = comm_->rank();
    train.ranks = comm_->size();
    train_loader_ = std::make_unique<BatchLoader>(data_.train, train);
    BatchLoaderOptions val = train;
    val.seed = mix_seed(static_cast<uint64_t>(config_.seed), kValidationStream);
    val.flip = false;
    val.shift_aug = false;
    val_loader_ = std::make_unique<BatchLoader>(data_.validation, val);
    train_steps_ = steps_per_epoch(config_.steps_per_epoch, data_.train.count, config_.batch_size);
    val_steps_ = steps_per_epoch(config_.validation_steps, data_.validation.count, config_.batch_size);
    stopping_ = EarlyStopping(config_.patience, config_.min_delta);
}

void TrialRunner::log_setup() {
    if (!is_root()) return;
    const KerasParameterCount count = keras_parameter_count(*model_);
    LOG_I("trial %s: %lld parameters, %d rank(s) (%s), device %s, %d thread(s)/rank, %s",
          config_hash(config_).c_str(), static_cast<long long>(count.total), comm_->size(), comm_->backend_name(),
          device_.str().c_str(), threads_, options_.channels_last ? "channels_last" : "NCHW");
    LOG_I("lr %g, batch %d (%d/rank), %d epochs of %lld steps, %lld validation steps, patience %d",
          config_.learning_rate, config_.batch_size, config_.batch_size / comm_->size(), config_.num_epochs,
          static_cast<long long>(train_steps_), static_cast<long long>(val_steps_), config_.patience);
}

nlohmann::json TrialRunner::checkpoint_meta() const {
    nlohmann::json history = nlohmann::json::array();
    for (const auto& m : history_) history.push_back(to_json(m));
    return {{"format_version", kCheckpointFormatVersion},
            {"config", to_json(config_)},
            {"config_hash", config_hash(config_)},
            {"epochs_done", epochs_done_},
            {"history", history},
            {"early_stopping", stopping_.state()},
            {"train_loader", train_loader_->state()},
            {"val_loader", val_loader_->state()},
            {"images_trained", images_trained_},
            {"train_seconds", train_seconds_},
            {"wall_seconds", wall_seconds_before_ + seconds_since(start_)}};
}

void TrialRunner::restore_checkpoint(const std::string& bytes) {
    const std::string what = (options_.run_dir / kRunCheckpointFile).string();
    CheckpointContents contents = deserialize_checkpoint(bytes, *model_, *optimizer_, device_, what);
    const nlohmann::json& meta = contents.meta;
    try {
        if (meta.at("format_version").get<int>() != kCheckpointFormatVersion)
            throw Error(what + ": checkpoint format " + meta.at("format_version").dump() + ", this build reads " +
                        std::to_string(kCheckpointFormatVersion));
        if (meta.at("config_hash").get<std::string>() != config_hash(config_))
            throw Error(what + ": written for another trial config (" + meta.at("config").dump() +
                        "); resume with the same config or start a new run folder");
        epochs_done_ = meta.at("epochs_done").get<int>();
        history_.clear();
        for (const auto& m : meta.at("history")) history_.push_back(epoch_metrics_from_json(m));
        stopping_.restore(meta.at("early_stopping"));
        train_loader_->restore(meta.at("train_loader"));
        val_loader_->restore(meta.at("val_loader"));
        images_trained_ = meta.at("images_trained").get<double>();
        train_seconds_ = meta.at("train_seconds").get<double>();
        wall_seconds_before_ = meta.at("wall_seconds").get<double>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(what + ": checkpoint metadata: " + e.what());
    }
    best_ = std::move(contents.best);
    if (is_root()) {
        rewrite_history(options_.run_dir, history_);
        LOG_I("resuming %s after epoch %d of %d", options_.run_dir.c_str(), epochs_done_, config_.num_epochs);
    }
}

void TrialRunner::synchronise_replicas() {
    if (comm_->size() == 1) return;
    std::vector<at::Tensor> state = model_->parameters();
    for (auto& bn : model_->batch_norms()) {
        state.push_back(bn->running_mean);
        state.push_back(bn->running_var);
    }
    averager_->broadcast_from_root(state);
}

EpochOutcome TrialRunner::run_epoch(int epoch) {
    const auto epoch_start = Clock::now();
    progress_->begin(epoch, config_.num_epochs, train_steps_);
    model_->train();
    const int ranks = comm_->size();
    double loss_sum = 0, images = 0;
    for (int64_t step = 0; step < train_steps_; ++step) {
        if (any_rank(*comm_, local_interrupt(), device_))
            return {EpochOutcome::Kind::preempted, {}, "during epoch " + std::to_string(epoch) + " (training)"};
        Batch batch = train_loader_->next();
        const int64_t local = batch.x.size(0);
        optimizer_->zero_grad();
        double local_loss = 0;
        if (local > 0) {
            torch::Tensor loss = categorical_crossentropy(model_->forward(batch.x.to(device_)), batch.y.to(device_));
            local_loss = loss.item<double>();
            // Each rank's mean is weighted by its share of the global batch, so the averaged
            // gradient is the global batch mean's even when a short last batch splits unevenly.
            const double weight = static_cast<double>(local) * ranks / batch.global_size;
            if (weight != 1.0) loss = loss * weight;
            loss.backward();
        }
        averager_->average_gradients();
        std::vector<double> sums = {local_loss * static_cast<double>(local), static_cast<double>(local)};
        allreduce_sums(*comm_, sums, device_);
        const double batch_loss = sums[0] / sums[1];
        if (!std::isfinite(batch_loss)) {
            char where[200];
            std::snprintf(where, sizeof where, "training loss became %s at epoch %d, step %lld of %lld",
                          describe_loss(batch_loss).c_str(), epoch, static_cast<long long>(step + 1),
                          static_cast<long long>(train_steps_));
            return {EpochOutcome::Kind::diverged, {}, where};
        }
        optimizer_->step();
        loss_sum += sums[0];
        images += sums[1];
        progress_->step(step + 1, loss_sum / images, images / seconds_since(epoch_start));
    }
    const double train_seconds = seconds_since(epoch_start);
    images_trained_ += images;
    train_seconds_ += train_seconds;

    progress_->validating();
    average_batch_norm_statistics(*model_, *averager_);
    std::optional<ValidationMetrics> val = validate(*model_, *val_loader_, val_steps_, data_.validation, *comm_,
                                                    device_, [this]() { return local_interrupt(); });
    if (!val) return {EpochOutcome::Kind::preempted, {}, "during epoch " + std::to_string(epoch) + " (validation)"};
    if (!std::isfinite(val->loss))
        return {EpochOutcome::Kind::diverged, {},
                "validation loss became " + describe_loss(val->loss) + " at epoch " + std::to_string(epoch)};
    EpochOutcome outcome;
    outcome.metrics.epoch = epoch;
    outcome.metrics.train_loss = loss_sum / images;
    outcome.metrics.val_loss = val->loss;
    outcome.metrics.val_iou = val->hero_iou;
    outcome.metrics.images_per_sec = images / train_seconds;
    outcome.metrics.seconds = seconds_since(epoch_start);
    return outcome;
}

void TrialRunner::write_epoch_files() {
    if (!is_root()) return;
    append_history_line(options_.run_dir, history_.back());
    write_file_atomically(options_.run_dir / kRunCurvesFile,
                          render_loss_curves_svg(history_, stopping_.best_epoch(),
                                                 options_.run_dir.filename().string()));
    write_file_atomically(options_.run_dir / kRunCheckpointFile,
                          serialize_checkpoint(*model_, *optimizer_, best_, checkpoint_meta()));
}

EpochDecision TrialRunner::agree_on_decision(const EpochMetrics& metrics) {
    std::string decision = "proceed";
    if (is_root() && callbacks_.on_epoch) {
        switch (callbacks_.on_epoch(metrics)) {
            case EpochDecision::proceed: decision = "proceed"; break;
            case EpochDecision::stop_early: decision = "stop_early"; break;
            case EpochDecision::cancel: decision = "cancel"; break;
        }
    }
    comm_->broadcast_string(decision, 0);
    if (decision == "stop_early") return EpochDecision::stop_early;
    if (decision == "cancel") return EpochDecision::cancel;
    return EpochDecision::proceed;
}

TrialResult TrialRunner::base_result(TrialState state, const std::string& message) const {
    TrialResult result;
    result.state = state;
    result.message = message;
    result.config = config_;
    result.history = history_;
    result.epochs_run = epochs_done_;
    result.best_epoch = stopping_.best_epoch();
    result.wall_seconds = wall_seconds_before_ + seconds_since(start_);
    result.images_per_sec = train_seconds_ > 0 ? images_trained_ / train_seconds_ : 0.0;
    return result;
}

TrialResult TrialRunner::finish(TrialState state, const std::string& message, bool score) {
    TrialResult result = base_result(state, message);
    std::optional<EvaluationRun> evaluation;
    if (best_) restore_model(*model_, *best_);
    if (score && options_.evaluate) {
        evaluation = score_evaluation_sets(*model_, data_.evaluation, *comm_, device_,
                                           config_.batch_size / comm_->size(), config_.workers, options_.channels_last);
        result.score = evaluation->score;
        if (is_root())
            LOG_I("best epoch %d scored: final_score %.4f (final_IoU %.4f, weight %.4f), %.1f eval img/s",
                  result.best_epoch, evaluation->score.final_score, evaluation->score.final_iou,
                  evaluation->score.weight, evaluation->images_per_sec);
    }
    result.wall_seconds = wall_seconds_before_ + seconds_since(start_);
    write_result_files(result, evaluation ? &*evaluation : nullptr);
    if (is_root()) {
        if (state == TrialState::diverged) LOG_E("diverged: %s", message.c_str());
        else LOG_I("%s: %s", trial_state_name(state), message.c_str());
    }
    return result;
}

void TrialRunner::write_result_files(const TrialResult& result, const EvaluationRun* evaluation) {
    if (!is_root()) return;
    nlohmann::json json = to_json(result);
    json["config_hash"] = config_hash(config_);
    json["ranks"] = comm_->size();
    json["threads_per_rank"] = threads_;
    json["device"] = device_.str();
    json["train_images"] = images_trained_;
    if (result.score) {
        // The notebook's names, at the top level, next to the full per-set score.
        json["final_score"] = result.score->final_score;
        json["final_IoU"] = result.score->final_iou;
        json["weight"] = result.score->weight;
        nlohmann::json counts = nlohmann::json::object();
        for (const auto& set : result.score->sets)
            counts[set.name] = {{"TP", set.true_positives}, {"FP", set.false_positives}, {"FN", set.false_negatives}};
        json["tp_fp_fn"] = counts;
    }
    if (evaluation) json["eval_images_per_sec"] = evaluation->images_per_sec;
    if (best_ && result.state != TrialState::diverged)
        write_file_atomically(options_.run_dir / kRunModelFile, serialize_weights(*model_));
    write_file_atomically(options_.run_dir / kRunResultFile, json.dump(2) + "\n");
}

TrialResult TrialRunner::run() {
    config_.validate();
    set_up_compute();
    StartPlan plan = plan_start();
    if (plan.kind == StartKind::finished) {
        if (is_root())
            LOG_I("%s already finished (%s): nothing to train", options_.run_dir.c_str(),
                  trial_state_name(plan.result->state));
        return *plan.result;
    }
    load_data();
    build_model();
    if (plan.kind == StartKind::resume) {
        restore_checkpoint(plan.checkpoint_bytes);
    } else if (is_root()) {
        write_file_atomically(options_.run_dir / kRunConfigFile, to_json(config_).dump(2) + "\n");
        rewrite_history(options_.run_dir, {});
    }
    synchronise_replicas();
    log_setup();

    for (int epoch = epochs_done_ + 1; epoch <= config_.num_epochs; ++epoch) {
        EpochOutcome outcome = run_epoch(epoch);
        if (outcome.kind == EpochOutcome::Kind::preempted) {
            std::string message = "preempted " + outcome.message + "; " +
                                  (epochs_done_ > 0 ? "resume continues after epoch " + std::to_string(epochs_done_)
                                                    : std::string("no epoch finished, a resume starts afresh"));
            if (is_root()) LOG_W("%s", message.c_str());
            return base_result(TrialState::running, message);
        }
        if (outcome.kind == EpochOutcome::Kind::diverged) {
            char message[320];
            std::snprintf(message, sizeof message, "%s (learning_rate %g): the trial diverged",
                          outcome.message.c_str(), config_.learning_rate);
            return finish(TrialState::diverged, message, /*score=*/false);
        }
        history_.push_back(outcome.metrics);
        epochs_done_ = epoch;
        const bool improved = stopping_.update(epoch, outcome.metrics.val_loss);
        if (improved) best_ = snapshot_model(*model_);
        write_epoch_files();
        progress_->end(outcome.metrics, improved);

        const EpochDecision decision = agree_on_decision(outcome.metrics);
        if (decision == EpochDecision::cancel)
            return finish(TrialState::cancelled, "cancelled after epoch " + std::to_string(epoch), /*score=*/false);
        if (decision == EpochDecision::stop_early)
            return finish(TrialState::stopped_early,
                          "stopped by the coordinator after epoch " + std::to_string(epoch) + "; best epoch " +
                              std::to_string(stopping_.best_epoch()),
                          /*score=*/true);
        if (stopping_.should_stop()) {
            char message[200];
            std::snprintf(message, sizeof message,
                          "val_loss did not improve by more than %g for %d epochs; best epoch %d (val_loss %.4f)",
                          config_.min_delta, config_.patience, stopping_.best_epoch(), stopping_.best_value());
            return finish(TrialState::stopped_early, message, /*score=*/true);
        }
    }
    return finish(TrialState::completed,
                  "ran all " + std::to_string(config_.num_epochs) + " epochs; best epoch " +
                      std::to_string(stopping_.best_epoch()),
                  /*score=*/true);
}

}  // namespace

TrialResult run_trial(const TrialConfig& config, const TrainOptions& options, const TrainCallbacks& callbacks) {
    TrialRunner runner(config, options, callbacks);
    return runner.run();
}

}  // namespace segsweep
