#pragma once
// Which members of a population each process evaluates.
#include <cstdint>
#include <utility>

namespace metaevo::es {

/// Members [begin, end) of process `rank` among `processes`: whole chunks of `chunk` members
/// (the last may be short), dealt out contiguously and as evenly as possible. Processes beyond
/// the number of chunks get an empty range.
std::pair<int64_t, int64_t> shard(int64_t population, int64_t chunk, int rank, int processes);

}  // namespace metaevo::es
