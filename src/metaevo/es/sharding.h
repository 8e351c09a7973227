#pragma once
// Which members of a population each process evaluates, and which parameters it updates when
// the processes slice the update.
#include <cstdint>
#include <utility>

namespace metaevo::es {

/// Members [begin, end) of process `rank` among `processes`: whole chunks of `chunk` members
/// (the last may be short), dealt out contiguously and as evenly as possible. Processes beyond
/// the number of chunks get an empty range.
std::pair<int64_t, int64_t> shard(int64_t population, int64_t chunk, int rank, int processes);

/// Elements [begin, end) of a flat vector.
struct FlatRange {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
};

/// The contiguous share of a `dim`-long vector that process `rank` of `processes` updates in a
/// sliced update: as even as possible, in rank order.
FlatRange slice(int64_t dim, int rank, int processes);

}  // namespace metaevo::es
