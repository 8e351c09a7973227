// Shards cover the population exactly once, in whole chunks, for any number of processes.
#include "metaevo/es/sharding.h"

#include <gtest/gtest.h>

#include "metaevo/core/error.h"

namespace metaevo::es {
namespace {

TEST(Shard, CoversThePopulationInOrderInWholeChunks) {
  for (int64_t population : {1, 7, 10, 16, 33})
    for (int64_t chunk : {1, 4, 16})
      for (int processes : {1, 2, 3, 5, 40}) {
        int64_t next = 0;
        for (int r = 0; r < processes; ++r) {
          const auto [begin, end] = shard(population, chunk, r, processes);
          EXPECT_EQ(begin, next) << population << " " << chunk << " " << processes;
          EXPECT_LE(begin, end);
          EXPECT_TRUE(begin % chunk == 0 || begin == population);
          next = end;
        }
        EXPECT_EQ(next, population);
      }
}

TEST(Shard, UnevenAndEmptyShards) {
  EXPECT_EQ(shard(10, 4, 0, 2), std::make_pair(int64_t(0), int64_t(4)));  // 3 chunks over 2 ranks
  EXPECT_EQ(shard(10, 4, 1, 2), std::make_pair(int64_t(4), int64_t(10)));
  EXPECT_EQ(shard(2, 1, 0, 3), std::make_pair(int64_t(0), int64_t(0)));  // more ranks than members
  EXPECT_EQ(shard(2, 1, 2, 3), std::make_pair(int64_t(1), int64_t(2)));
  EXPECT_THROW(shard(10, 0, 0, 1), Error);
}

}  // namespace
}  // namespace metaevo::es
