#include "metaevo/es/gradient_estimate.h"

#include <gtest/gtest.h>

#include "metaevo/core/error.h"

namespace metaevo::es {
namespace {

double cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.flatten().dot(b.flatten()) / (a.norm() * b.norm())).item<double>();
}

TEST(GradientEstimate, FindsTheGradientOfAQuadraticOverSeveralTensors) {
  const std::vector<torch::Tensor> theta{torch::full({3, 4}, 0.5), torch::linspace(-1, 1, 5)};
  const std::vector<torch::Tensor> target{torch::zeros({3, 4}), torch::ones({5})};
  const auto f = [&](const std::vector<torch::Tensor>& x) {
    return ((x[0] - target[0]).pow(2).sum() + (x[1] - target[1]).pow(2).sum()).item<double>();
  };
  const auto g = estimate_gradient(theta, f, 3, 0, {400, 0.01, "raw"});
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].sizes(), theta[0].sizes());
  EXPECT_EQ(g[1].sizes(), theta[1].sizes());
  const auto flat = torch::cat({g[0].flatten(), g[1].flatten()});
  const auto exact = torch::cat({(2 * (theta[0] - target[0])).flatten(), (2 * (theta[1] - target[1])).flatten()});
  EXPECT_GT(cosine(flat, exact), 0.9);
  EXPECT_NEAR(flat.norm().item<double>() / exact.norm().item<double>(), 1.0, 0.5);
  // Rank shaping keeps the direction, not the scale.
  EXPECT_GT(cosine(torch::cat({estimate_gradient(theta, f, 3, 0, {400, 0.01, "centered_rank"})[0].flatten(),
                               estimate_gradient(theta, f, 3, 0, {400, 0.01, "centered_rank"})[1].flatten()}),
                   exact),
            0.8);
}

TEST(GradientEstimate, SamePerturbationsForTheSameSeedAndStepOnly) {
  const std::vector<torch::Tensor> theta{torch::zeros({6})};
  const auto f = [](const std::vector<torch::Tensor>& x) {
    return x[0].sin().sum().item<double>() + x[0][0].item<double>();
  };
  const auto a = estimate_gradient(theta, f, 1, 2, {4, 0.1, "raw"})[0];
  EXPECT_TRUE(torch::equal(a, estimate_gradient(theta, f, 1, 2, {4, 0.1, "raw"})[0]));
  EXPECT_FALSE(torch::equal(a, estimate_gradient(theta, f, 1, 3, {4, 0.1, "raw"})[0]));
  EXPECT_FALSE(torch::equal(a, estimate_gradient(theta, f, 2, 2, {4, 0.1, "raw"})[0]));
  EXPECT_THROW(estimate_gradient(theta, f, 1, 2, {0, 0.1, "raw"}), Error);
  EXPECT_THROW(estimate_gradient(theta, f, 1, 2, {4, 0.1, "no-such-shaping"}), Error);
}

}  // namespace
}  // namespace metaevo::es
