// Autograd gradients of a tiny FCN (double precision, BN in training mode, Keras loss) against
// central finite differences, for entries of every kind of parameter.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "worker/model/fcn.h"
#include "worker/model/loss.h"

using namespace segsweep;

namespace {

constexpr double kStep = 1e-6;          // finite-difference step
constexpr double kRelativeTolerance = 1e-5;
constexpr double kAbsoluteTolerance = 1e-8;

}  // namespace

TEST(Gradients, TinyModelMatchesFiniteDifferences) {
    FcnArchitecture a;
    a.encoder_filters = {3, 4};
    a.conv1x1_filters = 5;
    a.conv1x1_kernel = 3;
    a.decoder_filters = {4, 3};
    a.output_kernel = 3;
    Fcn model(a, 21);
    model->to(torch::kFloat64);
    model->train();

    torch::manual_seed(21);
    torch::Tensor x = torch::rand({2, 3, 8, 8}, torch::kFloat64) * 2 - 1;
    torch::Tensor labels = torch::randint(0, 3, {2, 8, 8});
    torch::Tensor y = torch::one_hot(labels, 3).permute({0, 3, 1, 2}).to(torch::kFloat64);

    auto loss_of = [&]() { return categorical_crossentropy(model->forward(x), y); };
    model->zero_grad();
    loss_of().backward();

    torch::NoGradGuard no_grad;
    int checked = 0;
    for (const auto& item : model->named_parameters()) {
        torch::Tensor p = item.value();
        torch::Tensor flat = p.view(-1);
        const int64_t n = flat.numel();
        for (int64_t k : {int64_t{0}, n / 2, n - 1}) {
            const double saved = flat[k].item<double>();
            flat[k] = saved + kStep;
            const double up = loss_of().item<double>();
            flat[k] = saved - kStep;
            const double down = loss_of().item<double>();
            flat[k] = saved;
            const double numeric = (up - down) / (2 * kStep);
            const double analytic = p.grad().view(-1)[k].item<double>();
            EXPECT_NEAR(analytic, numeric, kAbsoluteTolerance + kRelativeTolerance * std::abs(numeric))
                << item.key() << "[" << k << "]";
            ++checked;
        }
    }
    EXPECT_GT(checked, 60);
}
