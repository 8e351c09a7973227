#pragma once
// Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as
// 1, 2, 3", SC'11). A (key, counter) pair maps to four 32-bit words with no state, so any process
// can rebuild any number from its coordinates: this is how perturbations are regenerated on every
// rank and after a resume instead of being stored or sent.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>

namespace metaevo {

using PhiloxBlock = std::array<uint32_t, 4>;

/// One Philox4x32-10 block for a 128-bit counter and 64-bit key.
PhiloxBlock philox4x32(PhiloxBlock counter, uint64_t key);

/// Coordinates of one stream of numbers: (key, c1, c2, c3); c0 is the position within the stream.
struct StreamId {
  uint64_t key = 0;
  uint32_t c1 = 0, c2 = 0, c3 = 0;
};

/// n standard-normal float32 numbers of one stream (Box-Muller on Philox uniforms), on the CPU.
/// Element j depends only on (stream, j): the same numbers in any process, thread count or chunk.
torch::Tensor philox_normal(const StreamId& stream, int64_t n);

/// `rows` streams at once: row i is philox_normal of `stream` with c2 = stream.c2 + i ([rows, n]).
/// One parallel pass instead of `rows` small calls; bitwise equal to the separate calls.
torch::Tensor philox_normal_rows(const StreamId& stream, int64_t rows, int64_t n);

/// sum_i w_i * row_i (or w_i * row_i^2 when `squared`) of the rows philox_normal_rows(stream,
/// rows, n) would return, without materialising them: each thread generates a cache-sized span of
/// every row and accumulates it. Rows are summed in order, so the result is independent of threads.
/// With `offset`, the sums of the rows' elements [offset, offset + n): bitwise the same values as
/// that slice of the sums over longer rows (a sliced update builds only its share of the vector).
torch::Tensor philox_normal_rows_weighted_sum(const StreamId& stream, const torch::Tensor& weights, int64_t n,
                                              bool squared = false, int64_t offset = 0);

/// n uniform float32 numbers in (0, 1) of one stream.
torch::Tensor philox_uniform(const StreamId& stream, int64_t n);

/// A 64-bit value mixed from parts (splitmix64 finaliser), for deriving keys from seeds and names.
uint64_t mix64(uint64_t a, uint64_t b = 0);

/// 64-bit FNV-1a of `text`: stable across builds and platforms (unlike std::hash), for deriving
/// keys from names and fingerprints from settings.
uint64_t hash64(const std::string& text);

}  // namespace metaevo
