#pragma once
// Scalar draws from one counter-based Philox stream: the project's only source of randomness for
// choices made on the CPU (parent selection, mutations, sampling of configurations and data).
// Unlike std:: engines with std:: distributions, the numbers are the same with every standard
// library and can be rebuilt from the stream's coordinates and position alone.
#include <cstdint>
#include <vector>

#include "metaevo/core/philox.h"

namespace metaevo {

class RandomStream {
 public:
  explicit RandomStream(uint64_t key, uint32_t c1 = 0, uint32_t c2 = 0) : id_{key, c1, c2, 0} {}
  explicit RandomStream(const StreamId& id) : id_(id) {}

  uint32_t next_u32();
  uint64_t next_u64();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Uniform integer in [0, n), unbiased (rejection); n >= 1.
  uint64_t below(uint64_t n);
  /// Standard normal (Box-Muller).
  double normal();
  /// A fresh 64-bit seed, e.g. for an at::Generator or a child stream's key.
  uint64_t seed() { return next_u64(); }
  /// How many 32-bit words have been drawn: with the id, the whole state (for checkpoints).
  uint64_t position() const { return position_; }
  void seek(uint64_t position);

 private:
  StreamId id_;
  uint64_t position_ = 0;
  PhiloxBlock block_{};
  uint64_t block_at_ = ~uint64_t(0);  // which block `block_` holds
};

/// A LibTorch CPU generator seeded with `seed` (a Philox-derived value, e.g. stream.seed()), for
/// the LibTorch calls that draw (randperm, bernoulli): passed explicitly, never the global one.
at::Generator torch_generator(uint64_t seed);

/// A uniformly random permutation of 0..n-1 (Fisher-Yates).
std::vector<int64_t> permutation(int64_t n, RandomStream& stream);

}  // namespace metaevo
