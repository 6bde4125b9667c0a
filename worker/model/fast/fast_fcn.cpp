// The fast FCN path's entry point (see fast_fcn.h): decides whether it applies, prepares the
// reference module's parameters in the kernels' layouts, runs the engine inside one autograd
// Function, updates the BatchNorm running statistics, and keeps one workspace for the next step.
#include "worker/model/fast/fast_fcn.h"

#include <atomic>
#include <mutex>
#include <sstream>

#include <torch/torch.h>

#include "common/error.h"
#include "worker/model/fast/fast_plan.h"
#include "worker/model/fcn.h"

#if SEGSWEEP_HAVE_DNNL
#include "worker/model/fast/fast_engine.h"
#include "worker/model/fast/fast_kernels.h"
#endif

namespace segsweep {
namespace {

std::atomic<bool> g_fast_fcn_enabled{true};
std::atomic<int64_t> g_band_bytes{fast::kBandBytes};

// The modules of one layer, in FcnImpl's order (see fast_plan.h).
struct LayerModules {
    torch::nn::Conv2d depthwise{nullptr};  // separable layers
    torch::nn::Conv2d conv{nullptr};       // pointwise or dense conv
    torch::nn::BatchNorm2d bn{nullptr};    // BatchNorm layers
};

std::vector<LayerModules> layer_modules(FcnImpl& model) {
    std::vector<LayerModules> out;
    for (auto& e : model.encoders) out.push_back({e->depthwise, e->pointwise, e->bn});
    out.push_back({nullptr, model.middle->conv, model.middle->bn});
    for (auto& d : model.decoders) out.push_back({d->depthwise, d->pointwise, d->bn});
    out.push_back({nullptr, model.output, nullptr});
    return out;
}

// The parameters the Function takes, per layer: depthwise weight, conv weight, conv bias, BN
// gamma, BN beta (those the layer has). Gradients come back in the same order.
std::vector<torch::Tensor> function_parameters(const std::vector<LayerModules>& layers) {
    std::vector<torch::Tensor> params;
    for (const LayerModules& m : layers) {
        if (m.depthwise) params.push_back(m.depthwise->weight);
        params.push_back(m.conv->weight);
        params.push_back(m.conv->bias);
        if (m.bn) {
            params.push_back(m.bn->weight);
            params.push_back(m.bn->bias);
        }
    }
    return params;
}

bool gradients_wanted(const std::vector<torch::Tensor>& params) {
    if (!torch::GradMode::is_enabled()) return false;
    for (const auto& p : params)
        if (p.requires_grad()) return true;
    return false;
}

std::string architecture_key(const FcnArchitecture& a, const at::Tensor& x, bool with_gradients) {
    std::ostringstream key;
    key << "N" << x.size(0) << " H" << x.size(2) << " W" << x.size(3) << (with_gradients ? " grad" : " nograd")
        << " band " << g_band_bytes.load() << " enc";
    for (int f : a.encoder_filters) key << " " << f;
    key << " mid " << a.conv1x1_filters << "k" << a.conv1x1_kernel << " dec";
    for (int f : a.decoder_filters) key << " " << f;
    key << " convs " << a.decoder_convs << " out k" << a.output_kernel;
    return key.str();
}

#if SEGSWEEP_HAVE_DNNL

using fast::LayerGrads;
using fast::LayerWeights;
using fast::Workspace;

// ---- workspace pool: the last workspace is kept for the next step of the same shape ----

constexpr size_t kPooledWorkspaces = 1;

std::mutex g_pool_mutex;
std::vector<c10::intrusive_ptr<Workspace>> g_pool;

c10::intrusive_ptr<Workspace> acquire_workspace(const FcnArchitecture& a, const at::Tensor& x, bool with_gradients) {
    const std::string key = architecture_key(a, x, with_gradients);
    {
        std::lock_guard<std::mutex> lock(g_pool_mutex);
        for (size_t i = 0; i < g_pool.size(); ++i)
            if (g_pool[i]->key() == key) {
                c10::intrusive_ptr<Workspace> found = g_pool[i];
                g_pool.erase(g_pool.begin() + static_cast<std::ptrdiff_t>(i));
                return found;
            }
        g_pool.clear();  // a different shape: free the old buffers before allocating new ones
    }
    return c10::make_intrusive<Workspace>(
        fast::plan_network(a, static_cast<int>(x.size(2)), static_cast<int>(x.size(3)), g_band_bytes.load()), x.size(0),
        with_gradients, key);
}

void release_workspace(c10::intrusive_ptr<Workspace> workspace) {
    std::lock_guard<std::mutex> lock(g_pool_mutex);
    if (g_pool.size() < kPooledWorkspaces) g_pool.push_back(std::move(workspace));
}

// ---- parameters in the kernels' layouts, and gradients back in torch's ----

std::vector<LayerWeights> prepare_weights(const std::vector<LayerModules>& layers) {
    torch::NoGradGuard no_grad;
    std::vector<LayerWeights> out;
    for (const LayerModules& m : layers) {
        LayerWeights w;
        const torch::Tensor kernel = m.conv->weight.contiguous();  // [Cout, Cin, k, k]
        if (m.depthwise) {
            const torch::Tensor dw = m.depthwise->weight.contiguous();  // [Cin, 1, 3, 3]
            w.depthwise = dw.view({dw.size(0), -1}).t().contiguous();   // [9, Cin]
        }
        w.matrix = kernel.permute({0, 2, 3, 1}).contiguous().view({kernel.size(0), -1});
        w.bias = m.conv->bias.contiguous();
        if (m.bn) {
            w.gamma = m.bn->weight.contiguous();
            w.beta = m.bn->bias.contiguous();
            w.running_mean = m.bn->running_mean.contiguous();
            w.running_var = m.bn->running_var.contiguous();
            w.epsilon = m.bn->options.eps();
        }
        out.push_back(std::move(w));
    }
    return out;
}

void append_gradients(const LayerModules& m, const LayerGrads& g, torch::autograd::variable_list& out) {
    if (m.depthwise) out.push_back(g.depthwise.t().contiguous().view_as(m.depthwise->weight));
    const auto& shape = m.conv->weight.sizes();  // [Cout, Cin, k, k]
    out.push_back(g.matrix.view({shape[0], shape[2], shape[3], shape[1]}).permute({0, 3, 1, 2}).contiguous());
    out.push_back(g.bias);
    if (m.bn) {
        out.push_back(g.gamma);
        out.push_back(g.beta);
    }
}

// The reference's running-statistics update: running = (1 - momentum) * running + momentum * batch,
// with the unbiased batch variance; num_batches_tracked += 1.
void update_running_statistics(const std::vector<LayerModules>& layers, const Workspace& workspace) {
    torch::NoGradGuard no_grad;
    for (size_t l = 0; l < layers.size(); ++l) {
        const auto& bn = layers[l].bn;
        if (!bn) continue;
        const fast::BatchStatistics& st = workspace.batch_statistics(l);
        const double momentum = bn->options.momentum().value();
        const double unbias = static_cast<double>(st.count) / static_cast<double>(st.count - 1);
        torch::Tensor mean = bn->running_mean;
        torch::Tensor var = bn->running_var;
        auto mean_a = mean.accessor<float, 1>();
        auto var_a = var.accessor<float, 1>();
        for (int64_t c = 0; c < mean.size(0); ++c) {
            mean_a[c] = static_cast<float>(momentum * st.mean[c] + (1.0 - momentum) * mean_a[c]);
            var_a[c] = static_cast<float>(momentum * st.variance[c] * unbias + (1.0 - momentum) * var_a[c]);
        }
        bn->num_batches_tracked.add_(1);
    }
}

// ---- the autograd Function: one node for the whole network ----

// The layers' modules, kept by the autograd context (backward maps gradients to their shapes).
struct SavedLayers : torch::CustomClassHolder {
    explicit SavedLayers(std::vector<LayerModules> l) : layers(std::move(l)) {}
    std::vector<LayerModules> layers;
};

// The object a capsule in an autograd context holds, as its type.
template <class T>
c10::intrusive_ptr<T> capsule_as(const c10::IValue& value) {
    return c10::intrusive_ptr<T>::reclaim_copy(static_cast<T*>(value.toCapsule().get()));
}

struct FastFcnFunction : public torch::autograd::Function<FastFcnFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, at::TensorList params,
                                 c10::intrusive_ptr<SavedLayers> saved, c10::intrusive_ptr<Workspace> workspace) {
        (void)params;  // the autograd inputs; the engine reads the same tensors through the modules
        torch::Tensor logits = workspace->forward(x, prepare_weights(saved->layers), /*batch_statistics=*/true);
        update_running_statistics(saved->layers, *workspace);
        ctx->saved_data["workspace"] = c10::IValue::make_capsule(std::move(workspace));
        ctx->saved_data["layers"] = c10::IValue::make_capsule(std::move(saved));
        return logits;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grad_outputs) {
        auto found = ctx->saved_data.find("workspace");
        if (found == ctx->saved_data.end())
            throw Error("fast FCN: backward ran twice through one forward (the fast path does not support "
                        "retain_graph; switch it off with set_fast_fcn_enabled(false))");
        c10::intrusive_ptr<Workspace> workspace = capsule_as<Workspace>(found->second);
        ctx->saved_data.erase(found);
        const std::vector<LayerGrads> grads = workspace->backward(grad_outputs[0]);
        release_workspace(std::move(workspace));

        const std::vector<LayerModules>& layers = capsule_as<SavedLayers>(ctx->saved_data.at("layers"))->layers;
        torch::autograd::variable_list out{torch::Tensor()};  // x: no gradient
        for (size_t l = 0; l < layers.size(); ++l) append_gradients(layers[l], grads[l], out);
        out.push_back(torch::Tensor());  // saved layers
        out.push_back(torch::Tensor());  // workspace
        return out;
    }
};

#endif  // SEGSWEEP_HAVE_DNNL

}  // namespace

void set_fast_fcn_enabled(bool enabled) { g_fast_fcn_enabled = enabled; }
void set_fast_fcn_band_bytes(int64_t bytes) { g_band_bytes = bytes; }
int64_t fast_fcn_band_bytes() { return g_band_bytes; }
bool fast_fcn_enabled() { return g_fast_fcn_enabled; }

ScopedFastFcnDisabled::ScopedFastFcnDisabled() : previous_(fast_fcn_enabled()) { set_fast_fcn_enabled(false); }
ScopedFastFcnDisabled::~ScopedFastFcnDisabled() { set_fast_fcn_enabled(previous_); }

bool fast_fcn_available() { return SEGSWEEP_HAVE_DNNL; }

std::string fast_fcn_unsupported_reason(FcnImpl& model, const at::Tensor& x) {
    if (!fast_fcn_enabled()) return "the fast path is switched off (set_fast_fcn_enabled)";
    if (!SEGSWEEP_HAVE_DNNL) return "built without oneDNN (libdnnl-dev)";
#if SEGSWEEP_HAVE_DNNL
    fast::fast_kernel_variant();  // settles the kernel variant here (it throws for a bad SEGSWEEP_FAST_KERNELS)
#endif
    if (!x.device().is_cpu()) return "input on " + x.device().str() + " (the fast path is CPU only)";
    if (x.scalar_type() != at::kFloat) return std::string("input is ") + c10::toString(x.scalar_type()) + ", not float32";
    const std::vector<LayerModules> layers = layer_modules(model);
    const std::vector<torch::Tensor> params = function_parameters(layers);
    for (const auto& p : params)
        if (!p.device().is_cpu() || p.scalar_type() != at::kFloat) return "parameters are not float32 on the CPU";
    const bool training = model.is_training();
    for (const LayerModules& m : layers) {
        if (!m.bn) continue;
        const auto& o = m.bn->options;
        if (m.bn->is_training() != training) return "BatchNorm modules in a different train/eval mode than the model";
        if (!o.affine() || !o.track_running_stats() || !o.momentum().has_value())
            return "BatchNorm without affine parameters, running statistics or a momentum";
    }
    const bool with_gradients = gradients_wanted(params);
    if (torch::GradMode::is_enabled() && x.requires_grad()) return "the input requires a gradient";
    if (with_gradients && !training) return "gradients in eval mode";
    if (training) {
        const int64_t divisor = int64_t{1} << model.encoders.size();
        if (x.size(0) * (x.size(2) / divisor) * (x.size(3) / divisor) <= 1)
            return "one value per BatchNorm channel in training mode";
    }
    return "";
}

at::Tensor fast_fcn_logits(FcnImpl& model, const at::Tensor& x) {
    if (!fast_fcn_unsupported_reason(model, x).empty()) return at::Tensor();
#if SEGSWEEP_HAVE_DNNL
    const std::vector<LayerModules> layers = layer_modules(model);
    const std::vector<torch::Tensor> params = function_parameters(layers);
    const bool with_gradients = gradients_wanted(params);
    const bool training = model.is_training();
    c10::intrusive_ptr<Workspace> workspace = acquire_workspace(model.architecture(), x, with_gradients);
    if (with_gradients)
        return FastFcnFunction::apply(x, at::TensorList(params), c10::make_intrusive<SavedLayers>(layers), workspace);

    torch::NoGradGuard no_grad;
    torch::Tensor logits = workspace->forward(x, prepare_weights(layers), training);
    if (training) update_running_statistics(layers, *workspace);
    release_workspace(std::move(workspace));
    return logits;
#else
    return at::Tensor();
#endif
}

void release_fast_fcn_workspaces() {
#if SEGSWEEP_HAVE_DNNL
    std::lock_guard<std::mutex> lock(g_pool_mutex);
    g_pool.clear();
#endif
}

}  // namespace segsweep
