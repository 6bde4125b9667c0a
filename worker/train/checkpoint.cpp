// Checkpoint and weight archives (see checkpoint.h). Tensors are stored under their index with a
// list of names next to them, and copied back into the module's own tensors on load, so the
// module keeps its device and memory format and the optimizer keeps its per-parameter state keys.
#include "worker/train/checkpoint.h"

#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "common/error.h"

namespace segsweep {
namespace {

constexpr const char* kMetaKey = "meta";
constexpr const char* kModelKey = "model";
constexpr const char* kBestKey = "best";
constexpr const char* kOptimizerKey = "optimizer";
constexpr const char* kRngKey = "torch_rng";
constexpr const char* kNamesKey = "names";

std::vector<std::pair<std::string, torch::Tensor>> named_state(torch::nn::Module& model) {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& item : model.named_parameters()) out.emplace_back(item.key(), item.value());
    for (const auto& item : model.named_buffers()) out.emplace_back(item.key(), item.value());
    return out;
}

void write_state(torch::serialize::OutputArchive& archive,
                 const std::vector<std::pair<std::string, torch::Tensor>>& entries) {
    std::string names;
    for (size_t i = 0; i < entries.size(); ++i) {
        names += (i ? "\n" : "") + entries[i].first;
        archive.write(std::to_string(i), entries[i].second.detach().to(torch::kCPU).contiguous());
    }
    archive.write(kNamesKey, c10::IValue(names));
}

std::vector<std::pair<std::string, torch::Tensor>> read_state(torch::serialize::InputArchive& archive) {
    c10::IValue names_value;
    archive.read(kNamesKey, names_value);
    std::vector<std::pair<std::string, torch::Tensor>> out;
    std::istringstream names(names_value.toStringRef());
    std::string name;
    for (size_t i = 0; std::getline(names, name); ++i) {
        torch::Tensor tensor;
        archive.read(std::to_string(i), tensor);
        out.emplace_back(name, tensor);
    }
    return out;
}

void copy_into_model(torch::nn::Module& model, const std::vector<std::pair<std::string, torch::Tensor>>& stored,
                     const std::string& what) {
    auto own = named_state(model);
    if (own.size() != stored.size())
        throw Error(what + ": holds " + std::to_string(stored.size()) + " tensors, the model has " +
                    std::to_string(own.size()) + " (a different architecture?)");
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < own.size(); ++i) {
        if (own[i].first != stored[i].first || !own[i].second.sizes().equals(stored[i].second.sizes()))
            throw Error(what + ": tensor " + std::to_string(i) + " is " + stored[i].first + " " +
                        c10::str(stored[i].second.sizes()) + ", the model expects " + own[i].first + " " +
                        c10::str(own[i].second.sizes()) + " (a different architecture?)");
        own[i].second.copy_(stored[i].second);
    }
}

std::string archive_bytes(torch::serialize::OutputArchive& archive) {
    std::ostringstream out;
    archive.save_to(out);
    return out.str();
}

// Runs f, turning LibTorch's c10::Error (corrupt zip, missing key) into segsweep::Error.
template <typename F>
auto guarded(const std::string& what, F&& f) {
    try {
        return f();
    } catch (const c10::Error& e) {
        throw Error(what + ": not a readable segsweep archive: " + e.what_without_backtrace());
    }
}

}  // namespace

ModelSnapshot snapshot_model(torch::nn::Module& model) {
    ModelSnapshot snapshot;
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : named_state(model)) snapshot.entries.emplace_back(name, tensor.detach().clone());
    return snapshot;
}

void restore_model(torch::nn::Module& model, const ModelSnapshot& snapshot) {
    copy_into_model(model, snapshot.entries, "best-weights snapshot");
}

std::string serialize_checkpoint(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                 const std::optional<ModelSnapshot>& best, const nlohmann::json& meta) {
    torch::serialize::OutputArchive archive;
    archive.write(kMetaKey, c10::IValue(meta.dump()));
    torch::serialize::OutputArchive model_archive;
    write_state(model_archive, named_state(model));
    archive.write(kModelKey, model_archive);
    if (best) {
        torch::serialize::OutputArchive best_archive;
        write_state(best_archive, best->entries);
        archive.write(kBestKey, best_archive);
    }
    torch::serialize::OutputArchive optimizer_archive;
    optimizer.save(optimizer_archive);
    archive.write(kOptimizerKey, optimizer_archive);
    archive.write(kRngKey, at::detail::getDefaultCPUGenerator().get_state());
    return archive_bytes(archive);
}

CheckpointContents deserialize_checkpoint(const std::string& bytes, torch::nn::Module& model,
                                          torch::optim::Optimizer& optimizer, const torch::Device& device,
                                          const std::string& what) {
    return guarded(what, [&]() {
        torch::serialize::InputArchive archive;
        archive.load_from(bytes.data(), bytes.size(), device);
        CheckpointContents contents;
        c10::IValue meta;
        archive.read(kMetaKey, meta);
        try {
            contents.meta = nlohmann::json::parse(meta.toStringRef());
        } catch (const nlohmann::json::exception& e) {
            throw Error(what + ": checkpoint metadata is not valid JSON: " + e.what());
        }
        torch::serialize::InputArchive model_archive;
        archive.read(kModelKey, model_archive);
        copy_into_model(model, read_state(model_archive), what);
        torch::serialize::InputArchive best_archive;
        if (archive.try_read(kBestKey, best_archive)) contents.best = ModelSnapshot{read_state(best_archive)};
        torch::serialize::InputArchive optimizer_archive;
        archive.read(kOptimizerKey, optimizer_archive);
        optimizer.load(optimizer_archive);
        torch::Tensor rng;
        archive.read(kRngKey, rng);
        at::Generator generator = at::detail::getDefaultCPUGenerator();  // shares the default's state
        generator.set_state(rng.to(torch::kCPU));
        return contents;
    });
}

std::string serialize_weights(torch::nn::Module& model) {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive;
    write_state(model_archive, named_state(model));
    archive.write(kModelKey, model_archive);
    return archive_bytes(archive);
}

void load_weights(const std::string& bytes, torch::nn::Module& model, const std::string& what) {
    guarded(what, [&]() {
        torch::serialize::InputArchive archive;
        archive.load_from(bytes.data(), bytes.size());
        torch::serialize::InputArchive model_archive;
        archive.read(kModelKey, model_archive);
        copy_into_model(model, read_state(model_archive), what);
        return 0;
    });
}

void load_checkpoint_best_weights(const std::string& bytes, torch::nn::Module& model, const std::string& what) {
    guarded(what, [&]() {
        torch::serialize::InputArchive archive;
        archive.load_from(bytes.data(), bytes.size());
        torch::serialize::InputArchive state_archive;
        if (!archive.try_read(kBestKey, state_archive)) archive.read(kModelKey, state_archive);
        copy_into_model(model, read_state(state_archive), what);
        return 0;
    });
}

}  // namespace segsweep
