// The straight-through Gumbel-softmax and the temperature schedule against their formulas.
#include "metaevo/routing/gumbel.h"

#include <gtest/gtest.h>

#include "metaevo/core/random_stream.h"

namespace {

using namespace metaevo::routing;

TEST(StraightThrough, IsTheHardSampleInValueAndTheSoftOneInGradient) {
  auto generator = metaevo::torch_generator(7);
  const auto logits = torch::randn({6, 2}, generator).requires_grad_();
  const auto noise = gumbel_noise({6, 2}, generator);
  const double tau = 0.7;
  const auto y = straight_through(logits, noise, tau);
  const auto hard = (logits + noise).argmax(-1).eq(0).to(torch::kFloat32);
  EXPECT_TRUE(torch::equal(y.detach(), hard));
  // d soft0 / d logits = soft0 (1 - soft0) / tau * [1, -1], soft0 = sigmoid((z0 - z1) / tau).
  const auto coefficients = torch::arange(1, 7, torch::kFloat32);
  (y * coefficients).sum().backward();
  const auto z = (logits.detach() + noise) / tau;
  const auto soft = torch::sigmoid(z.select(1, 0) - z.select(1, 1));
  const auto d = coefficients * soft * (1 - soft) / tau;
  EXPECT_TRUE(torch::allclose(logits.grad(), torch::stack({d, -d}, 1), 1e-5, 1e-6))
      << logits.grad() << torch::stack({d, -d}, 1);
}

TEST(StraightThrough, GreedyConnectsWhereConnectedIsLikelierAndIgnoresNoise) {
  const auto logits = torch::tensor({{1.0, 0.0}, {0.0, 2.0}, {-1.0, -3.0}});
  EXPECT_TRUE(torch::equal(greedy(logits), torch::tensor({1.0F, 0.0F, 1.0F})));
}

TEST(StraightThrough, TemperatureFallsAsOneOverTheRootOfTheUpdateUntilItsFloor) {
  EXPECT_DOUBLE_EQ(temperature(50, 0.5, 0), 50);
  EXPECT_DOUBLE_EQ(temperature(50, 0.5, 99), 5);
  EXPECT_DOUBLE_EQ(temperature(50, 0.5, 9999), 0.5);
  EXPECT_DOUBLE_EQ(temperature(50, 0.5, 1000000), 0.5);
}

TEST(StraightThrough, NoiseIsGumbelAndComesFromTheGenerator) {
  auto a = metaevo::torch_generator(3), b = metaevo::torch_generator(3);
  const auto x = gumbel_noise({20000}, a);
  EXPECT_TRUE(torch::equal(x, gumbel_noise({20000}, b)));
  EXPECT_TRUE(torch::isfinite(x).all().item<bool>());
  // Gumbel(0, 1): mean = Euler-Mascheroni 0.5772, variance = pi^2 / 6.
  EXPECT_NEAR(x.mean().item<double>(), 0.5772, 0.03);
  EXPECT_NEAR(x.var().item<double>(), 1.6449, 0.08);
}

}  // namespace
