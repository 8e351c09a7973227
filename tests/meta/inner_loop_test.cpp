// The inner-loop meta-objective of the memory study: its functional conv4 matches the module,
// and the ES meta-gradient points where the autodiff one does.
#include "metaevo/meta/inner_loop.h"

#include <gtest/gtest.h>

#include "metaevo/meta/protonet.h"
#include "metaevo/models/zoo.h"

namespace metaevo::meta {
namespace {

data::Episode random_episode(int64_t ways, int64_t shots, int64_t queries) {
  torch::manual_seed(3);
  data::Episode e;
  // Class c's images share a class pattern plus noise, so the task is learnable.
  auto patterns = torch::randn({ways, 1, 1, 28, 28}, torch::kFloat64);
  e.support =
      (patterns.expand({ways, shots, 1, 28, 28}) + 0.5 * torch::randn({ways, shots, 1, 28, 28}, torch::kFloat64))
          .reshape({ways * shots, 1, 28, 28});
  e.query =
      (patterns.expand({ways, queries, 1, 28, 28}) + 0.5 * torch::randn({ways, queries, 1, 28, 28}, torch::kFloat64))
          .reshape({ways * queries, 1, 28, 28});
  e.query_labels = torch::arange(ways).repeat_interleave(queries);
  return e;
}

Params conv4_params(int64_t channels, uint64_t seed = 5) {
  Params theta;
  for (const auto& p : models::make_conv4(1, channels, seed)->parameters())
    theta.push_back(p.detach().to(torch::kFloat64));
  return theta;
}

/// The derivative of the query loss at `theta` along `v` by central differences of step h.
double finite_difference(const Params& theta, const Params& v, double h, const data::Episode& e,
                         const InnerLoopOptions& o) {
  Params plus, minus;
  for (size_t i = 0; i < theta.size(); ++i) {
    plus.push_back(theta[i] + h * v[i]);
    minus.push_back(theta[i] - h * v[i]);
  }
  return (inner_loop_loss(plus, e, 3, o, false).item<double>() -
          inner_loop_loss(minus, e, 3, o, false).item<double>()) /
         (2 * h);
}

Params random_direction(const Params& theta) {
  torch::manual_seed(11);
  Params v;
  for (const auto& t : theta) v.push_back(torch::randn_like(t));
  return v;
}

/// Max-pooling, ReLU and batch-norm over six 1x1 maps make this 4-channel network's loss
/// piecewise smooth with very steep pieces: at some initialisations a step of 1e-6 already
/// crosses a switch. The first of seeds 1, 2, ... whose loss is smooth along the test direction
/// (two step sizes agree) is where the gradients are compared.
Params smooth_point(const data::Episode& e, const InnerLoopOptions& o) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    const auto theta = conv4_params(4, seed);
    const auto v = random_direction(theta);
    const double a = finite_difference(theta, v, 1e-6, e, o), b = finite_difference(theta, v, 1e-7, e, o);
    if (std::abs(a - b) <= 1e-5 * std::max(1.0, std::abs(a))) return theta;
  }
  ADD_FAILURE() << "no smooth initialisation among seeds 1..10";
  return conv4_params(4);
}

TEST(InnerLoop, FunctionalConv4MatchesTheModule) {
  auto net = models::make_conv4(1, 8, 5);
  net->train();
  auto x = torch::randn({6, 1, 28, 28});
  Params p;
  for (const auto& w : net->parameters()) p.push_back(w.detach());
  EXPECT_TRUE(torch::allclose(net->forward(x), conv4_functional(x, p), 1e-5, 1e-5));
}

TEST(InnerLoop, InnerStepsChangeTheQueryLossAndBothPathsAgree) {
  const auto e = random_episode(3, 2, 4);
  const auto theta = conv4_params(4);
  const double none = inner_loop_loss(theta, e, 3, {0, 0.1}, false).item<double>();
  const double some = inner_loop_loss(theta, e, 3, {3, 0.1}, false).item<double>();
  EXPECT_NE(none, some);
  // With the graph kept or not, the value is the same.
  Params leaves;
  for (const auto& w : theta) leaves.push_back(w.clone().requires_grad_(true));
  EXPECT_NEAR(inner_loop_loss(leaves, e, 3, {3, 0.1}, true).item<double>(), some, 1e-9);
}

TEST(InnerLoop, AutodiffMetaGradientMatchesAFiniteDifference) {
  const auto e = random_episode(3, 2, 4);
  const InnerLoopOptions o{2, 0.1};
  const auto theta = smooth_point(e, o);
  const auto exact = meta_gradient_autodiff(theta, e, 3, o);
  const auto v = random_direction(theta);
  double along = 0;
  for (size_t i = 0; i < theta.size(); ++i) along += (exact[i] * v[i]).sum().item<double>();
  const double fd = finite_difference(theta, v, 1e-6, e, o);
  EXPECT_NEAR(fd, along, 1e-4 * std::max(1.0, std::abs(along)));
}

TEST(InnerLoop, EsMetaGradientAgreesWithAutodiff) {
  const auto e = random_episode(3, 2, 4);
  const InnerLoopOptions o{2, 0.1};
  const auto theta = smooth_point(e, o);
  const auto exact = meta_gradient_autodiff(theta, e, 3, o);
  const auto es = meta_gradient_es(theta, e, 3, o, 400, 1e-6, 7);
  double dot = 0, a = 0, b = 0;
  for (size_t i = 0; i < exact.size(); ++i) {
    dot += (exact[i] * es[i]).sum().item<double>();
    a += exact[i].pow(2).sum().item<double>();
    b += es[i].pow(2).sum().item<double>();
  }
  // 400 random directions in ~500 dimensions: cosine about sqrt(400 / 900) = 0.67 when unbiased.
  EXPECT_GT(dot / std::sqrt(a * b), 0.45);
}

}  // namespace
}  // namespace metaevo::meta
