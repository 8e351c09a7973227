#include "metaevo/data/batches.h"

#include <gtest/gtest.h>

#include <set>

namespace metaevo::data {
namespace {

TEST(Batches, AnEpochVisitsDistinctExamplesAndStepsArePureFunctions) {
  const Batches batches(103, 10, 7);
  EXPECT_EQ(batches.per_epoch(), 10);  // the last 3 of each permutation wait
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> seen;
    for (int64_t b = 0; b < 10; ++b) {
      const auto idx = batches.indices(epoch * 10 + b);
      ASSERT_EQ(idx.numel(), 10);
      for (int64_t i = 0; i < 10; ++i) seen.insert(idx[i].item<int64_t>());
    }
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_LT(*seen.rbegin(), 103);
  }
  // Any step from a fresh sampler, in any order: the same batch.
  const Batches fresh(103, 10, 7);
  EXPECT_TRUE(torch::equal(fresh.indices(25), batches.indices(25)));
  EXPECT_TRUE(torch::equal(fresh.indices(3), batches.indices(3)));
  EXPECT_FALSE(torch::equal(batches.indices(3), batches.indices(13)));  // another epoch, another order
  EXPECT_FALSE(torch::equal(Batches(103, 10, 8).indices(3), batches.indices(3)));
  EXPECT_TRUE(torch::equal(Batches(5, 0, 1).indices(4), torch::arange(5)));  // size 0: the whole set
}

}  // namespace
}  // namespace metaevo::data
