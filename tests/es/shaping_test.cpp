#include "metaevo/es/shaping.h"

#include <gtest/gtest.h>

#include <cmath>

namespace metaevo::es {

TEST(Shaping, CenteredRanks) {
  auto w = (*make_shaping("centered_rank"))(torch::tensor({3.0, -1.0, 10.0, 0.0}, torch::kFloat64));
  EXPECT_TRUE(torch::allclose(w, torch::tensor({1.0 / 6, -0.5, 0.5, -1.0 / 6}, torch::kFloat64)));
}

TEST(Shaping, NesUtilitiesFollowTheFormula) {
  // n = 4: raw utilities max(0, log 3 - log i) for i = 1..4 -> log 3, log 1.5, 0, 0.
  const double a = std::log(3.0), b = std::log(1.5);
  auto w = (*make_shaping("nes"))(torch::tensor({0.5, 9.0, -2.0, 4.0}, torch::kFloat64));
  auto expected = torch::tensor({0.0, a, 0.0, b}, torch::kFloat64) / (a + b) - 0.25;
  EXPECT_TRUE(torch::allclose(w, expected));
  EXPECT_NEAR(w.sum().item<double>(), 0.0, 1e-12);
}

TEST(Shaping, ZScoreAndRaw) {
  auto u = torch::tensor({1.0, 2.0, 3.0}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose((*make_shaping("zscore"))(u), torch::tensor({-1.0, 0.0, 1.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal((*make_shaping("raw"))(u), u));
  EXPECT_TRUE(
      torch::equal((*make_shaping("zscore"))(torch::ones({3}, torch::kFloat64)), torch::zeros({3}, torch::kFloat64)));
}

TEST(Shaping, RanksAreDeterministicUnderTies) {
  auto r = ranks(torch::tensor({1.0, 1.0, 0.0, 1.0}, torch::kFloat64));
  EXPECT_TRUE(torch::equal(r, torch::tensor({1, 2, 0, 3}, torch::kInt64)));
}

TEST(Shaping, UnknownNameListsChoices) {
  try {
    make_shaping("centred", "es.strategy.shaping");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("centered_rank"), std::string::npos);
  }
}

}  // namespace metaevo::es
