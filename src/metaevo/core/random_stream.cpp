#include "metaevo/core/random_stream.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <utility>

#include "metaevo/core/error.h"

namespace metaevo {

uint32_t RandomStream::next_u32() {
  const uint64_t block = position_ / 4;
  if (block != block_at_) {
    // The block index is the low 64 bits of the counter: c0 and c3 carry it, c1/c2 name the stream.
    block_ = philox4x32({uint32_t(block), id_.c1, id_.c2, uint32_t(block >> 32) ^ id_.c3}, id_.key);
    block_at_ = block;
  }
  return block_[position_++ % 4];
}

uint64_t RandomStream::next_u64() {
  const uint64_t high = next_u32();
  return (high << 32) | next_u32();
}

double RandomStream::uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }

uint64_t RandomStream::below(uint64_t n) {
  METAEVO_CHECK(n >= 1, "RandomStream::below: n must be >= 1");
  // Reject the top partial bucket so every value is equally likely.
  const uint64_t limit = ~uint64_t(0) - (~uint64_t(0) % n + 1) % n;
  uint64_t x = next_u64();
  while (x > limit) x = next_u64();
  return x % n;
}

double RandomStream::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: the log stays finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

void RandomStream::seek(uint64_t position) { position_ = position; }

at::Generator torch_generator(uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

std::vector<int64_t> permutation(int64_t n, RandomStream& stream) {
  std::vector<int64_t> out(size_t(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) std::swap(out[size_t(i)], out[stream.below(uint64_t(i) + 1)]);
  return out;
}

}  // namespace metaevo
