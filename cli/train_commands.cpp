// `segsweep train`, `segsweep predict` and `segsweep model summary`: the trainer, prediction and
// the Keras-style model table on the command line (worker/train, worker/model).
//   segsweep train --data ROOT [--config trial.json] [--learning-rate X ...one flag per config key]
//                  [--seed-recipe] [--out RUN | --resume RUN] [--threads N] [--device auto|cpu|cuda]
//                  [--comm auto|single|mpi|nccl] [--db STORE] [--print-config]
//   segsweep predict --run RUN --data EVAL_ROOT --out DIR
//   segsweep model summary [--image-size N] [--config trial.json] [--encoder-filters 64,128 ...]
// Under mpirun / srun every rank runs `segsweep train`; they train the trial together.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "common/log.h"
#include "common/stop_signals.h"
#include "common/trial_config.h"
#include "results/results_store.h"
#include "results/sweep_records.h"
#include "worker/comm/communicator.h"
#include "worker/data/scorer.h"
#include "worker/model/fcn_architecture.h"
#include "worker/model/model_summary.h"
#include "worker/train/predict.h"
#include "worker/train/run_files.h"
#include "worker/train/trainer.h"

namespace segsweep::cli {
namespace {

constexpr const char* kDefaultRunsFolder = "runs";  // --out default: runs/<config hash>

const std::vector<std::string> kArchitectureKeys = {"encoder_filters", "conv1x1_filters", "conv1x1_kernel",
                                                    "decoder_filters", "decoder_convs", "output_kernel"};

std::string flag_name(const std::string& key) {
    std::string flag = "--" + key;
    for (char& ch : flag)
        if (ch == '_') ch = '-';
    return flag;
}

// One string option per trial config key; parsed into JSON when applied ("64,128" for lists).
struct ConfigFlags {
    std::string config_file;
    std::map<std::string, std::string> values;

    void add(CLI::App* command, const std::vector<std::string>& keys) {
        command->add_option("--config", config_file, "Trial config JSON file (flags below override it)");
        for (const auto& key : keys)
            command->add_option(flag_name(key), values[key], "Trial config key " + key);
    }

    // The config: defaults (or base), then the file, then the flags. Validated.
    TrialConfig build(TrialConfig config) const {
        if (!config_file.empty()) {
            nlohmann::json object;
            try {
                object = nlohmann::json::parse(read_text_file(config_file));
            } catch (const nlohmann::json::exception& e) {
                throw Error(config_file + ": not valid JSON: " + e.what());
            }
            if (!object.is_object()) throw Error(config_file + ": expected a JSON object");
            for (const auto& [key, value] : object.items()) set_trial_config_key(config, key, value, config_file);
        }
        for (const auto& [key, text] : values) {
            if (text.empty()) continue;
            const bool is_list = key == "encoder_filters" || key == "decoder_filters";
            const std::string json_text = is_list && text.front() != '[' ? "[" + text + "]" : text;
            nlohmann::json value;
            try {
                value = nlohmann::json::parse(json_text);
            } catch (const nlohmann::json::exception&) {
                throw Error(flag_name(key) + ": cannot read '" + text + "' as a " +
                            (is_list ? "comma-separated list of integers" : "number or true/false"));
            }
            set_trial_config_key(config, key, value, flag_name(key));
        }
        config.validate();
        return config;
    }
    bool any_set() const {
        if (!config_file.empty()) return true;
        for (const auto& [key, text] : values)
            if (!text.empty()) return true;
        return false;
    }
};

// SIGTERM / SIGUSR2 (SLURM preemption, Ctrl-C-like stops) ask the trainer to stop at the next
// batch; the newest checkpoint stays for --resume. Taken by a StopSignalListener (see
// common/stop_signals.h for why no handler may interrupt the training threads).
std::atomic<bool> g_stop_requested{false};

struct TrainArgs {
    ConfigFlags config;
    bool seed_recipe = false;
    std::string data;
    std::string out;
    std::string resume;
    int threads = 0;
    std::string device = "auto";
    std::string comm = "auto";
    bool no_progress = false;
    bool nchw = false;
    std::string cache_dir;
    std::string db;             // record the finished run in this results store ("" = do not record)
    bool print_config = false;  // print the resolved trial config and exit
};

// The trial config of a `segsweep train` command line: defaults or the seed's recipe, the run's
// own config.json on --resume (unless a config is given), then --config, then the flags.
TrialConfig resolve_train_config(const TrainArgs& args) {
    TrialConfig base = args.seed_recipe ? seed_recipe_config() : TrialConfig{};
    if (!args.resume.empty() && !args.config.any_set() && !args.seed_recipe) base = read_run_config(args.resume);
    return args.config.build(base);
}

// --db: the finished run as a one-trial sweep named after its run folder, so `segsweep leaderboard`
// lists it next to the sweeps.
void record_in_store(const std::string& path, const TrialResult& result, const std::filesystem::path& run_dir,
                     const std::string& data_root) {
    StandaloneTrial ids;
    try {
        ResultsStore store(path);
        ids = record_standalone_trial(store, result, "train " + run_dir.string(), data_root);
    } catch (const Error& e) {
        throw Error("the run finished (" + (run_dir / kRunResultFile).string() + ") but recording it in " + path +
                    " failed: " + e.what());
    }
    std::printf("recorded in %s: sweep %lld, trial %lld\n", path.c_str(), static_cast<long long>(ids.sweep_id),
                static_cast<long long>(ids.trial_id));
}

void print_result(const TrialResult& result, const std::filesystem::path& run_dir) {
    std::printf("state: %s (%s)\n", trial_state_name(result.state), result.message.c_str());
    std::printf("epochs run: %d, best epoch: %d, %.1f s, %.1f training images/s\n", result.epochs_run,
                result.best_epoch, result.wall_seconds, result.images_per_sec);
    if (result.score) std::printf("%s", format_score_table(*result.score).c_str());
    std::printf("run folder: %s\n", run_dir.c_str());
}

void run_train(const TrainArgs& args) {
    if (args.print_config) {
        std::printf("%s\n", to_json(resolve_train_config(args)).dump(2).c_str());
        return;
    }
    if (args.data.empty()) throw Error("segsweep train: --data ROOT is required");
    g_stop_requested = false;
    StopSignalListener stop_signals({SIGTERM, SIGUSR2}, g_stop_requested);  // before any thread starts
    std::unique_ptr<Communicator> comm = make_communicator(args.comm);
    run_or_abort(*comm, [&] {
        TrainOptions options;
        options.resume = !args.resume.empty();
        const TrialConfig config = resolve_train_config(args);
        options.run_dir = options.resume ? std::filesystem::path(args.resume)
                          : args.out.empty() ? std::filesystem::path(kDefaultRunsFolder) / config_hash(config)
                                             : std::filesystem::path(args.out);
        options.data_root = args.data;
        options.threads = args.threads;
        options.comm = comm.get();
        options.device = device_choice_from_name(args.device);
        options.progress_bar = !args.no_progress;
        options.channels_last = !args.nchw;
        if (!args.cache_dir.empty()) options.load.cache_dir = args.cache_dir;

        // A resumed run that had already finished is not recorded a second time.
        const std::optional<TrialResult> finished_before =
            options.resume && comm->rank() == 0 ? read_run_result(options.run_dir) : std::nullopt;
        const bool already_recorded = finished_before && trial_state_is_final(finished_before->state);

        TrainCallbacks callbacks;
        callbacks.interrupt_requested = [] { return g_stop_requested.load(); };
        const TrialResult result = run_trial(config, options, callbacks);
        if (was_preempted(result))
            throw Error(result.message + "; continue with: segsweep train --data " + args.data + " --resume " +
                        options.run_dir.string());
        if (comm->rank() != 0) return;
        print_result(result, options.run_dir);
        if (!args.db.empty() && !already_recorded) record_in_store(args.db, result, options.run_dir, args.data);
    });
}

void add_train_command(CLI::App& app) {
    auto args = std::make_shared<TrainArgs>();
    CLI::App* train = app.add_subcommand(
        "train",
        "Train one trial of the Follow-Me FCN and score its best weights (RUN/history.jsonl, curves.svg, "
        "checkpoint.pt, model.pt, result.json). Defaults: the write-up's FCN, lr 0.001, batch 64, 50 epochs, "
        "one pass per epoch; --seed-recipe gives the seed's 0.001/64/50 with 65 steps and 50 validation steps");
    train->add_option("--data", args->data, "Dataset root (train/, validation/, sample_evaluation_data/); required");
    args->config.add(train, trial_config_keys());
    train->add_flag("--seed-recipe", args->seed_recipe,
                    "Start from the seed's recipe: learning_rate 0.001, batch_size 64, num_epochs 50, "
                    "steps_per_epoch 65, validation_steps 50");
    train->add_option("--out", args->out, "Run folder to create (default runs/<config hash>)");
    train->add_option("--resume", args->resume,
                      "Continue the run in this folder from its newest checkpoint (its config.json unless "
                      "--config/flags are given; they must match)");
    train->add_option("--threads", args->threads, "Torch threads per rank (default: the cores available to it)")
        ->check(CLI::NonNegativeNumber);
    train->add_option("--device", args->device, "auto (CUDA when present), cpu or cuda")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    train->add_option("--comm", args->comm, "Communicator under mpirun/srun: auto, single, mpi or nccl")
        ->capture_default_str()
        ->check(CLI::IsMember(communicator_backend_names()));
    train->add_option("--cache-dir", args->cache_dir, "Decoded-image cache folder (default: see data layer)");
    train->add_flag("--no-progress", args->no_progress, "Plain lines per epoch even on a terminal");
    train->add_flag("--nchw", args->nchw, "Keep activations in NCHW instead of channels_last");
    train->add_option("--db", args->db,
                      "Also record the finished run in this results store as a one-trial sweep named "
                      "'train RUN' (segsweep leaderboard --db STORE lists it)");
    train->add_flag("--print-config", args->print_config,
                    "Print the trial config these flags give (JSON) and exit without training");
    train->get_option("--out")->excludes(train->get_option("--resume"));
    train->callback([args] { run_train(*args); });
}

struct PredictArgs {
    PredictOptions options;
    std::string device = "auto";
    bool no_overlays = false;
    bool nchw = false;
};

void add_predict_command(CLI::App& app) {
    auto args = std::make_shared<PredictArgs>();
    CLI::App* predict = app.add_subcommand(
        "predict",
        "Write <set>/<stem>_prediction.png (as the original grader; `segsweep score` reads them) and "
        "overlays/<set>/<stem>_overlay.jpeg for each evaluation image, with a run's best weights");
    predict->add_option("--run", args->options.run_dir, "Run folder (config.json, model.pt or checkpoint.pt)")
        ->required();
    predict->add_option("--data", args->options.data_root,
                        "Evaluation root: sample_evaluation_data/ (or a dataset root holding it, or one set)")
        ->required();
    predict->add_option("--out", args->options.out_dir, "Output folder")->required();
    predict->add_option("--threads", args->options.threads, "Torch threads (default: available cores)")
        ->check(CLI::NonNegativeNumber);
    predict->add_option("--batch-size", args->options.batch_size, "Images per forward pass")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    predict->add_option("--device", args->device, "auto, cpu or cuda")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
    predict->add_flag("--no-overlays", args->no_overlays, "Skip the overlay images");
    predict->add_flag("--nchw", args->nchw, "Keep activations in NCHW instead of channels_last");
    predict->callback([args] {
        PredictOptions options = args->options;
        options.device = device_choice_from_name(args->device);
        options.overlays = !args->no_overlays;
        options.channels_last = !args->nchw;
        const PredictReport report = predict_run(options);
        for (size_t i = 0; i < report.sets.size(); ++i)
            std::printf("%-20s %5d images -> %s\n", report.sets[i].c_str(), report.images_per_set[i],
                        (options.out_dir / report.sets[i]).c_str());
        std::printf("%lld images in %.1f s: %.1f images/s overall, %.1f images/s in the model\n",
                    static_cast<long long>(report.images), report.seconds, report.images_per_sec,
                    report.forward_images_per_sec);
    });
}

struct SummaryArgs {
    ConfigFlags config;
    int image_size = 0;
};

void add_model_summary_command(CLI::App& app) {
    auto args = std::make_shared<SummaryArgs>();
    CLI::App* summary = parent_command(app, "model", "The Follow-Me FCN")
                            .add_subcommand("summary",
                                            "Keras-style table: output shape, parameters (BN moving statistics "
                                            "included) and multiply-adds per image for each layer");
    summary->add_option("--image-size", args->image_size, "Input side in px (default: the config's image_size)")
        ->check(CLI::PositiveNumber);
    args->config.add(summary, kArchitectureKeys);
    summary->callback([args] {
        const TrialConfig config = args->config.build(TrialConfig{});
        const int size = args->image_size > 0 ? args->image_size : config.image_size;
        std::printf("%s", format_model_summary(summarize_fcn(fcn_architecture(config), size)).c_str());
    });
}

}  // namespace

void add_train_commands(CLI::App& app) {
    add_train_command(app);
    add_predict_command(app);
    add_model_summary_command(app);
}

}  // namespace segsweep::cli
