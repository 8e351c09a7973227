#include "metaevo/es/sharding.h"

#include <algorithm>

#include "metaevo/core/error.h"

namespace metaevo::es {

std::pair<int64_t, int64_t> shard(int64_t population, int64_t chunk, int rank, int processes) {
  METAEVO_CHECK(chunk >= 1 && processes >= 1 && rank >= 0 && rank < processes,
                "shard: bad arguments (chunk {}, rank {} of {})", chunk, rank, processes);
  const int64_t chunks = (population + chunk - 1) / chunk;
  const int64_t first = chunks * rank / processes, last = chunks * (rank + 1) / processes;
  return {std::min(population, first * chunk), std::min(population, last * chunk)};
}

FlatRange slice(int64_t dim, int rank, int processes) {
  const auto [begin, end] = shard(dim, 1, rank, processes);
  return {begin, end};
}

}  // namespace metaevo::es
