#include "metaevo/core/philox.h"

#include <gtest/gtest.h>

namespace metaevo {

// Random123's known-answer vectors (tests/kat_vectors of the reference distribution).
TEST(Philox, KnownAnswerVectors) {
  EXPECT_EQ(philox4x32({0, 0, 0, 0}, 0), (PhiloxBlock{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, ~uint64_t(0)),
            (PhiloxBlock{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0x299f31d0a4093822ull),
            (PhiloxBlock{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, NormalStreamsAreStandardNormalAndIndependentOfLength) {
  StreamId s{42, 1, 2, 3};
  auto z = philox_normal(s, 200001);
  EXPECT_NEAR(z.mean().item<double>(), 0.0, 0.01);
  EXPECT_NEAR(z.std().item<double>(), 1.0, 0.01);
  // Element j depends only on (stream, j): a shorter request is a prefix of a longer one.
  EXPECT_TRUE(torch::equal(z.narrow(0, 0, 17), philox_normal(s, 17)));
  auto u_long = philox_uniform(s, 1000), u_short = philox_uniform(s, 17);
  EXPECT_TRUE(torch::equal(u_long.narrow(0, 0, 17), u_short));
  EXPECT_GT(u_long.min().item<float>(), 0.0f);
  EXPECT_LT(u_long.max().item<float>(), 1.0f);
}

TEST(Philox, RowsEqualSeparateStreams) {
  auto rows = philox_normal_rows({5, 1, 10, 2}, 4, 33);
  for (uint32_t i = 0; i < 4; ++i) EXPECT_TRUE(torch::equal(rows[i], philox_normal({5, 1, 10 + i, 2}, 33)));
}

TEST(Philox, BoxMullerMatchesLibm) {
  // The own log/sincos polynomials against the textbook transform in double precision.
  const StreamId s{77, 0, 0, 0};
  auto z = philox_normal(s, 4000);
  auto u = philox_uniform(s, 4000).to(torch::kFloat64).view({-1, 2});
  auto radius = (-2.0 * u.select(1, 0).log()).sqrt(), theta = 2 * M_PI * u.select(1, 1);
  auto expected = torch::stack({radius * theta.cos(), radius * theta.sin()}, 1).view({-1});
  EXPECT_LT((z.to(torch::kFloat64) - expected).abs().max().item<double>(), 2e-5);
}

TEST(Philox, DistinctStreamsDiffer) {
  auto a = philox_normal({7, 0, 0, 0}, 64), b = philox_normal({7, 0, 0, 1}, 64), c = philox_normal({8, 0, 0, 0}, 64);
  EXPECT_FALSE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_TRUE(torch::equal(a, philox_normal({7, 0, 0, 0}, 64)));
}

TEST(Philox, WeightedSumsOfASliceAreThatSliceBitwise) {
  // A sliced ES update builds elements [offset, offset + n) only: offsets inside a Philox block
  // and spans longer than one generation pass, both sums.
  const StreamId s{9, 2, 40, 1};
  const auto w = torch::randn({13});
  for (const bool squared : {false, true}) {
    const auto full = philox_normal_rows_weighted_sum(s, w, 5000, squared);
    EXPECT_TRUE(torch::allclose(
        full, torch::mv((squared ? philox_normal_rows(s, 13, 5000).square() : philox_normal_rows(s, 13, 5000)).t(), w),
        1e-4, 1e-4));
    for (const auto& [offset, n] : std::vector<std::pair<int64_t, int64_t>>{{0, 7}, {3, 1}, {5, 4090}, {2047, 2953}})
      EXPECT_TRUE(torch::equal(philox_normal_rows_weighted_sum(s, w, n, squared, offset), full.narrow(0, offset, n)))
          << "offset " << offset << ", n " << n << (squared ? ", squared" : "");
  }
}

TEST(Philox, SameNumbersWithAnyThreadCount) {
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  auto one = philox_normal_rows({3, 4, 5, 6}, 3, 100003);
  at::set_num_threads(2);
  auto two = philox_normal_rows({3, 4, 5, 6}, 3, 100003);
  at::set_num_threads(before);
  EXPECT_TRUE(torch::equal(one, two));
}

}  // namespace metaevo
