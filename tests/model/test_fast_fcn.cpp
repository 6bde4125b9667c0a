// The fast CPU path (worker/model/fast/) against the reference modules: logits, loss, every
// parameter gradient, BatchNorm running statistics and a few Adam steps, for odd channel counts,
// batch 1, non-square inputs, decoder_convs 1 and 2, conv1x1_kernel and output_kernel 1 and 3,
// three encoders, channels_last inputs, eval mode, and the default architecture; the same with the
// portable kernels forced (what a CPU without AVX-512 runs); a NaN weight poisons the logits on
// both paths, as torch's relu passes NaN on; plus the cases that must fall back to the reference
// path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "common/error.h"
#include "worker/model/fast/fast_fcn.h"
#if SEGSWEEP_HAVE_DNNL
#include "worker/model/fast/fast_kernels.h"
#endif
#include "worker/model/fcn.h"
#include "worker/model/loss.h"

using namespace segsweep;

namespace {

// float32 against float32 with different summation orders, compared as whole tensors (relative L2
// error). Gradients get twice that: the bias gradient of a conv followed by BatchNorm is a sum
// that mostly cancels (BN's backward removes the mean), which amplifies rounding (seen: 8e-5).
constexpr double kRelativeTolerance = 1e-4;
constexpr double kGradientRelativeTolerance = 2e-4;

// Sets the intra-op thread count while in scope.
class ScopedThreads {
public:
    explicit ScopedThreads(int threads) : previous_(at::get_num_threads()) { at::set_num_threads(threads); }
    ~ScopedThreads() { at::set_num_threads(previous_); }

private:
    int previous_;
};

struct Case {
    FcnArchitecture architecture;
    int64_t batch, height, width;
};

FcnArchitecture tiny(std::vector<int> enc, int mid, int mid_kernel, std::vector<int> dec, int convs, int out_kernel) {
    FcnArchitecture a;
    a.encoder_filters = std::move(enc);
    a.conv1x1_filters = mid;
    a.conv1x1_kernel = mid_kernel;
    a.decoder_filters = std::move(dec);
    a.decoder_convs = convs;
    a.output_kernel = out_kernel;
    return a;
}

double relative_error(const torch::Tensor& actual, const torch::Tensor& expected) {
    const double scale = expected.norm().item<double>();
    const double diff = (actual - expected).norm().item<double>();
    return scale > 0 ? diff / scale : diff;
}

torch::Tensor one_hot_targets(int64_t n, int64_t h, int64_t w) {
    torch::Tensor labels = torch::randint(0, kFcnClasses, {n, h, w});
    return torch::one_hot(labels, kFcnClasses).permute({0, 3, 1, 2}).to(torch::kFloat32).contiguous();
}

// Random BatchNorm running statistics (so eval mode is not the identity) and random BN affine
// parameters, the same in both models.
void randomize_batch_norms(Fcn& a, Fcn& b, uint64_t seed) {
    torch::NoGradGuard no_grad;
    torch::manual_seed(seed);
    auto bns_a = a->batch_norms();
    auto bns_b = b->batch_norms();
    for (size_t i = 0; i < bns_a.size(); ++i) {
        const int64_t c = bns_a[i]->running_mean.size(0);
        torch::Tensor mean = torch::rand({c}) * 0.5;
        torch::Tensor var = torch::rand({c}) + 0.5;
        torch::Tensor gamma = torch::rand({c}) + 0.5;
        torch::Tensor beta = torch::rand({c}) - 0.5;
        for (auto* bn : {&bns_a[i], &bns_b[i]}) {
            (*bn)->running_mean.copy_(mean);
            (*bn)->running_var.copy_(var);
            (*bn)->weight.copy_(gamma);
            (*bn)->bias.copy_(beta);
        }
    }
}

torch::Tensor fast_logits(Fcn& model, const torch::Tensor& x) {
    const std::string reason = fast_fcn_unsupported_reason(*model, x);
    EXPECT_EQ(reason, "") << "the fast path should apply here";
    torch::Tensor logits = fast_fcn_logits(*model, x);
    EXPECT_TRUE(logits.defined());
    return logits;
}

torch::Tensor reference_logits(Fcn& model, const torch::Tensor& x) {
    ScopedFastFcnDisabled reference;
    return model->logits(x);
}

// The comparisons need a build with oneDNN; without it the fast path is absent
// (FallsBackWhereItDoesNotApply still runs). On a CPU without AVX-512 they test the portable kernels.
#define SKIP_WITHOUT_FAST_PATH()                                                          \
    do {                                                                                  \
        if (!fast_fcn_available()) GTEST_SKIP() << "fast path not built (no oneDNN)";     \
    } while (0)

// One training step's forward and backward on both paths; compares everything a step produces.
void expect_training_step_matches(const Case& c, uint64_t seed, bool channels_last_input = false) {
    Fcn fast(c.architecture, seed), reference(c.architecture, seed);
    fast->train();
    reference->train();
    randomize_batch_norms(fast, reference, seed + 1);
    torch::manual_seed(seed + 2);
    torch::Tensor x = torch::rand({c.batch, 3, c.height, c.width}) * 2 - 1;
    if (channels_last_input) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    const torch::Tensor y = one_hot_targets(c.batch, c.height, c.width);

    torch::Tensor logits_fast = fast_logits(fast, x);
    torch::Tensor logits_ref = reference_logits(reference, x);
    ASSERT_EQ(logits_fast.sizes(), logits_ref.sizes());
    EXPECT_LT(relative_error(logits_fast, logits_ref), kRelativeTolerance);
    EXPECT_LT((logits_fast - logits_ref).abs().max().item<double>(), 1e-4 * (1 + logits_ref.abs().max().item<double>()));

    torch::Tensor loss_fast = categorical_crossentropy(torch::softmax(logits_fast, 1), y);
    torch::Tensor loss_ref = categorical_crossentropy(torch::softmax(logits_ref, 1), y);
    EXPECT_NEAR(loss_fast.item<double>(), loss_ref.item<double>(), 1e-5 * loss_ref.item<double>());
    loss_fast.backward();
    loss_ref.backward();

    const auto params_fast = fast->named_parameters();
    const auto params_ref = reference->named_parameters();
    ASSERT_EQ(params_fast.size(), params_ref.size());
    for (size_t i = 0; i < params_fast.size(); ++i) {
        const torch::Tensor& g_fast = params_fast[i].value().grad();
        const torch::Tensor& g_ref = params_ref[i].value().grad();
        ASSERT_TRUE(g_fast.defined()) << params_fast[i].key();
        ASSERT_EQ(g_fast.sizes(), g_ref.sizes()) << params_fast[i].key();
        EXPECT_LT(relative_error(g_fast, g_ref), kGradientRelativeTolerance) << params_fast[i].key();
    }
    const auto buffers_fast = fast->named_buffers();
    const auto buffers_ref = reference->named_buffers();
    for (size_t i = 0; i < buffers_fast.size(); ++i) {
        const torch::Tensor& b_fast = buffers_fast[i].value();
        const torch::Tensor& b_ref = buffers_ref[i].value();
        if (b_ref.scalar_type() == torch::kLong)
            EXPECT_TRUE(torch::equal(b_fast, b_ref)) << buffers_fast[i].key();
        else
            EXPECT_LT(relative_error(b_fast, b_ref), 1e-5) << buffers_fast[i].key();
    }
}

}  // namespace

TEST(FastFcn, TrainingStepMatchesReferenceOddChannelsTwoDecoderConvs) {
    SKIP_WITHOUT_FAST_PATH();
    expect_training_step_matches({tiny({5, 7}, 9, 1, {7, 5}, 2, 1), 2, 16, 16}, 1);
}

TEST(FastFcn, TrainingStepMatchesReferenceBatchOneNonSquareKernels3OneDecoderConv) {
    SKIP_WITHOUT_FAST_PATH();
    expect_training_step_matches({tiny({3, 6}, 5, 3, {4, 3}, 1, 3), 1, 12, 20}, 2);
}

TEST(FastFcn, TrainingStepMatchesReferenceThreeEncodersChannelsLastInput) {
    SKIP_WITHOUT_FAST_PATH();
    expect_training_step_matches({tiny({4, 6, 9}, 11, 3, {9, 6, 4}, 2, 3), 3, 24, 16}, 3, /*channels_last=*/true);
}

// Sets the engine's band size while in scope.
class ScopedBandBytes {
public:
    explicit ScopedBandBytes(int64_t bytes) : previous_(fast_fcn_band_bytes()) { set_fast_fcn_band_bytes(bytes); }
    ~ScopedBandBytes() { set_fast_fcn_band_bytes(previous_); }

private:
    int64_t previous_;
};

TEST(FastFcn, TrainingStepMatchesReferenceWithOneRowBands) {
    SKIP_WITHOUT_FAST_PATH();
    // Every band one output row: the rows carried from band to band (forward input, backward input
    // and gradient) are exercised at every layer, strides 1 and 2, kernels 1 and 3.
    ScopedBandBytes one_row(1);
    expect_training_step_matches({tiny({8, 16}, 24, 3, {16, 8}, 2, 3), 2, 12, 20}, 4);
}

TEST(FastFcn, TrainingStepMatchesReferenceWithSeveralRowsPerBand) {
    SKIP_WITHOUT_FAST_PATH();
    ScopedBandBytes small(24 * 1024);  // a few rows per band, a last band shorter than the others
    expect_training_step_matches({tiny({8, 16}, 24, 1, {16, 8}, 2, 1), 2, 36, 72}, 13);
}

TEST(FastFcn, TrainingStepMatchesReferenceOnTwoThreads) {
    SKIP_WITHOUT_FAST_PATH();
    ScopedThreads two(2);
    expect_training_step_matches({tiny({5, 7}, 9, 3, {7, 5}, 2, 3), 3, 16, 40}, 11);
    ScopedBandBytes small(16 * 1024);  // batch 1: each image split between the threads
    expect_training_step_matches({tiny({8, 16}, 24, 1, {16, 8}, 1, 1), 1, 36, 72}, 12);
}

TEST(FastFcn, DefaultArchitectureTrainingStepMatchesReference) {
    SKIP_WITHOUT_FAST_PATH();
    expect_training_step_matches({FcnArchitecture{}, 2, 32, 32}, 5);
}

TEST(FastFcn, EvalForwardUsesRunningStatisticsLikeReference) {
    SKIP_WITHOUT_FAST_PATH();
    Fcn fast(tiny({5, 7}, 9, 3, {7, 5}, 2, 3), 6), reference(tiny({5, 7}, 9, 3, {7, 5}, 2, 3), 6);
    randomize_batch_norms(fast, reference, 7);
    fast->eval();
    reference->eval();
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::rand({2, 3, 16, 24}) * 2 - 1;
    const torch::Tensor expected = reference_logits(reference, x);
    EXPECT_LT(relative_error(fast_logits(fast, x), expected), kRelativeTolerance);
    // Inference mode as well, and the running statistics stay untouched.
    c10::InferenceMode inference;
    EXPECT_LT(relative_error(fast_logits(fast, x), expected), kRelativeTolerance);
    EXPECT_TRUE(torch::equal(fast->batch_norms()[0]->running_mean, reference->batch_norms()[0]->running_mean));
}

TEST(FastFcn, AdamStepsStayTogether) {
    SKIP_WITHOUT_FAST_PATH();
    const FcnArchitecture a = tiny({5, 7}, 9, 1, {7, 5}, 2, 1);
    Fcn fast(a, 8), reference(a, 8);
    fast->train();
    reference->train();
    torch::optim::Adam opt_fast(fast->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-8));
    torch::optim::Adam opt_ref(reference->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-8));
    torch::manual_seed(9);
    for (int step = 0; step < 4; ++step) {
        const torch::Tensor x = torch::rand({2, 3, 16, 16}) * 2 - 1;
        const torch::Tensor y = one_hot_targets(2, 16, 16);
        opt_fast.zero_grad();
        categorical_crossentropy(torch::softmax(fast_logits(fast, x), 1), y).backward();
        opt_fast.step();
        opt_ref.zero_grad();
        categorical_crossentropy(torch::softmax(reference_logits(reference, x), 1), y).backward();
        opt_ref.step();
    }
    const auto p_fast = fast->named_parameters();
    const auto p_ref = reference->named_parameters();
    for (size_t i = 0; i < p_fast.size(); ++i)
        EXPECT_LT(relative_error(p_fast[i].value(), p_ref[i].value()), kRelativeTolerance) << p_fast[i].key();
}

// A NaN in an encoder weight reaches the logits on the fast path as on the reference path (torch's
// relu passes NaN on), in training and in eval mode, so the trainer's loss check sees it at once.
void expect_nan_weight_reaches_the_logits() {
    const FcnArchitecture a = tiny({5, 7}, 9, 1, {7, 5}, 2, 1);
    for (bool training : {true, false}) {
        Fcn fast(a, 31), reference(a, 31);
        {
            torch::NoGradGuard no_grad;
            for (Fcn* model : {&fast, &reference}) {
                torch::Tensor weight = (*model)->named_parameters()[0].value();
                weight.view({-1})[0] = std::numeric_limits<float>::quiet_NaN();
            }
        }
        fast->train(training);
        reference->train(training);
        torch::NoGradGuard no_grad;
        torch::manual_seed(32);
        const torch::Tensor x = torch::rand({2, 3, 16, 16}) * 2 - 1;
        EXPECT_TRUE(torch::isnan(reference_logits(reference, x)).any().item<bool>()) << "training " << training;
        EXPECT_TRUE(torch::isnan(fast_logits(fast, x)).any().item<bool>()) << "training " << training;
    }
}

TEST(FastFcn, NanWeightReachesTheLogitsLikeReference) {
    SKIP_WITHOUT_FAST_PATH();
    expect_nan_weight_reaches_the_logits();
}

#if SEGSWEEP_HAVE_DNNL
// Runs the given kernel variant while in scope (restores the previous one).
class ScopedKernelVariant {
public:
    explicit ScopedKernelVariant(fast::KernelVariant variant) : previous_(fast::fast_kernel_variant()) {
        fast::set_fast_kernel_variant(variant);
    }
    ~ScopedKernelVariant() { fast::set_fast_kernel_variant(previous_); }

private:
    fast::KernelVariant previous_;
};

// The portable kernels (a CPU without AVX-512 runs these) against the reference: odd channel
// counts (no multiple of a vector width), strides 1 and 2, kernels 1 and 3, one-row bands (rows
// carried between bands), both decoder depths, and the default architecture.
TEST(FastFcn, PortableKernelsTrainingStepMatchesReference) {
    ScopedKernelVariant portable(fast::KernelVariant::kPortable);
    EXPECT_EQ(fast::fast_kernel_variant(), fast::KernelVariant::kPortable);
    expect_training_step_matches({tiny({5, 7}, 9, 1, {7, 5}, 2, 1), 2, 16, 16}, 21);
    expect_training_step_matches({tiny({3, 6}, 5, 3, {4, 3}, 1, 3), 1, 12, 20}, 22, /*channels_last=*/true);
    {
        ScopedBandBytes one_row(1);
        expect_training_step_matches({tiny({8, 16}, 24, 3, {16, 8}, 2, 3), 2, 12, 20}, 23);
    }
    expect_training_step_matches({FcnArchitecture{}, 2, 32, 32}, 24);
}

TEST(FastFcn, PortableKernelsEvalForwardMatchesReference) {
    ScopedKernelVariant portable(fast::KernelVariant::kPortable);
    const FcnArchitecture a = tiny({5, 7}, 9, 3, {7, 5}, 2, 3);
    Fcn fast(a, 25), reference(a, 25);
    randomize_batch_norms(fast, reference, 26);
    fast->eval();
    reference->eval();
    c10::InferenceMode inference;
    const torch::Tensor x = torch::rand({2, 3, 16, 24}) * 2 - 1;
    EXPECT_LT(relative_error(fast_logits(fast, x), reference_logits(reference, x)), kRelativeTolerance);
}

TEST(FastFcn, PortableKernelsNanWeightReachesTheLogits) {
    ScopedKernelVariant portable(fast::KernelVariant::kPortable);
    expect_nan_weight_reaches_the_logits();
}

TEST(FastFcn, Avx512VariantOnlyOnCpusThatHaveIt) {
    // Without an override the AVX-512 variant runs exactly when the CPU has it; asking for it on a
    // CPU without it is an error, not a crash.
    if (fast::cpu_supports_avx512_kernels()) {
        ScopedKernelVariant avx512(fast::KernelVariant::kAvx512);
        EXPECT_STREQ(fast::kernel_variant_name(fast::fast_kernel_variant()), "avx512");
    } else {
        EXPECT_THROW(fast::set_fast_kernel_variant(fast::KernelVariant::kAvx512), Error);
        EXPECT_EQ(fast::fast_kernel_variant(), fast::KernelVariant::kPortable);
    }
}
#endif  // SEGSWEEP_HAVE_DNNL

TEST(FastFcn, FallsBackWhereItDoesNotApply) {
    const FcnArchitecture a = tiny({3, 4}, 5, 1, {4, 3}, 1, 1);
    Fcn model(a, 10);
    model->train();
    const torch::Tensor x = torch::rand({2, 3, 8, 8});

    {  // double precision (the finite-difference tests)
        Fcn double_model(a, 10);
        double_model->to(torch::kFloat64);
        EXPECT_NE(fast_fcn_unsupported_reason(*double_model, x.to(torch::kFloat64)), "");
        EXPECT_FALSE(fast_fcn_logits(*double_model, x.to(torch::kFloat64)).defined());
    }
    {  // gradients in eval mode
        model->eval();
        EXPECT_NE(fast_fcn_unsupported_reason(*model, x), "");
        model->train();
    }
    {  // a gradient for the input
        const torch::Tensor xg = x.clone().requires_grad_(true);
        EXPECT_NE(fast_fcn_unsupported_reason(*model, xg), "");
    }
    {  // one value per BatchNorm channel: the reference's own error must surface
        const torch::Tensor one = torch::rand({1, 3, 4, 4});
        EXPECT_NE(fast_fcn_unsupported_reason(*model, one), "");
    }
    {  // switched off
        ScopedFastFcnDisabled off;
        EXPECT_NE(fast_fcn_unsupported_reason(*model, x), "");
        EXPECT_FALSE(fast_fcn_logits(*model, x).defined());
    }
    if (fast_fcn_available()) {
        EXPECT_EQ(fast_fcn_unsupported_reason(*model, x), "");
    }
}
