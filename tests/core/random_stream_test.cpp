#include "metaevo/core/random_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace metaevo {
namespace {

TEST(RandomStream, TheSameNumbersFromTheSameCoordinatesAndPosition) {
  RandomStream a(7, 1), b(7, 1), other(7, 2);
  std::vector<uint64_t> first;
  for (int i = 0; i < 20; ++i) first.push_back(a.next_u64());
  int same = 0;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(b.next_u64(), first[size_t(i)]);
    same += other.next_u64() == first[size_t(i)];
  }
  EXPECT_EQ(same, 0);
  RandomStream c(7, 1);
  c.seek(10);  // five u64 draws in
  EXPECT_EQ(c.next_u64(), first[5]);
  EXPECT_EQ(a.position(), 40u);
}

TEST(RandomStream, DistributionsHaveTheirMoments) {
  RandomStream s(3);
  const int n = 20000;
  double sum = 0, sum_sq = 0, normal_sum = 0, normal_sq = 0;
  std::vector<int> counts(7, 0);
  for (int i = 0; i < n; ++i) {
    const double u = s.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum_sq += u * u;
    const double z = s.normal();
    normal_sum += z;
    normal_sq += z * z;
    ++counts[size_t(s.below(7))];
  }
  EXPECT_NEAR(sum / n, 0.5, 0.01);
  EXPECT_NEAR(sum_sq / n - 0.25, 1.0 / 12, 0.005);
  EXPECT_NEAR(normal_sum / n, 0.0, 0.03);
  EXPECT_NEAR(normal_sq / n, 1.0, 0.04);
  for (int c : counts) EXPECT_NEAR(c / double(n), 1.0 / 7, 0.01);
  EXPECT_EQ(s.below(1), 0u);
}

TEST(RandomStream, PermutationsAreShuffledPermutations) {
  RandomStream s(5);
  auto p = permutation(50, s);
  auto sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(sorted[size_t(i)], i);
  EXPECT_NE(p, sorted);
  EXPECT_TRUE(permutation(0, s).empty());
}

}  // namespace
}  // namespace metaevo
