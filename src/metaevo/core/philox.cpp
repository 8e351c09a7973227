#include "metaevo/core/philox.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>

#include "metaevo/core/error.h"

namespace metaevo {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;

// Blocks per tile: the kernels run over tiles of this many counters in structure-of-arrays form,
// so that the compiler vectorises across counters.
constexpr int kTile = 64;

inline float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Uniform in (0, 1): 24 random bits, offset by half a step so that log() never sees zero.
inline float to_unit(uint32_t x) { return (float(x >> 8) + 0.5f) * (1.0f / 16777216.0f); }

// Natural log for x in (0, 1): x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
// log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172, by its odd series to s^9 (error < 2e-8).
// Own polynomials instead of libm/SLEEF, and no FMA: the result must not depend on which code
// path (vector body or scalar tail, AVX2 or SSE2 clone) computed an element.
inline float log_unit(float x) {
  const uint32_t bits = float_to_bits(x);
  const uint32_t mantissa = (bits & 0x007fffffu) | 0x3f800000u;  // m in [1, 2)
  // Above sqrt(2) (mantissa bits of 1.41421354) halve m and add one to the exponent; integer
  // masks instead of branches keep the loop vectorisable.
  const uint32_t high = mantissa > 0x3fb504f3u ? 1u : 0u;
  const float m = bits_to_float(mantissa - (high << 23));
  const float e = float(int((bits >> 23) & 0xff) - 127 + int(high));
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float series = s * (2.0f + s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9)))));
  return series + e * 0.69314718f;
}

// sin and cos of 2 pi t for t in [0, 1): reduce to r in [-1/8, 1/8] around the nearest quarter
// turn q, evaluate Taylor polynomials on |2 pi r| <= pi/4 (error < 3e-8), rotate by q with bit
// masks rather than branches (the quadrant is random: branches would mispredict half the time).
inline void sincos_turns(float t, float& sin_out, float& cos_out) {
  const uint32_t q = uint32_t(4.0f * t + 0.5f);  // 0..4
  const float a = (t - 0.25f * float(q)) * float(2.0 * M_PI), a2 = a * a;
  const uint32_t sn =
      float_to_bits(a * (1.0f + a2 * (-1.0f / 6 + a2 * (1.0f / 120 + a2 * (-1.0f / 5040 + a2 * (1.0f / 362880))))));
  const uint32_t cs = float_to_bits(1.0f + a2 * (-0.5f + a2 * (1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320)))));
  const uint32_t swap = 0u - (q & 1u);  // all ones on odd quarter turns
  const uint32_t s1 = sn ^ ((sn ^ cs) & swap), c1 = cs ^ ((sn ^ cs) & swap);
  sin_out = bits_to_float(s1 ^ ((q & 2u) << 30));
  cos_out = bits_to_float(c1 ^ (((q + 1u) & 2u) << 30));
}

struct TileWords {
  uint32_t w[4][kTile];
};

// Philox4x32-10 for counters (b0 + j, c1, c2, c3), j < kTile.
inline void philox_tile(uint64_t key, uint32_t b0, uint32_t c1, uint32_t c2, uint32_t c3, TileWords& out) {
  for (int j = 0; j < kTile; ++j) {
    uint32_t x0 = b0 + uint32_t(j), x1 = c1, x2 = c2, x3 = c3;
    uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
    for (int round = 0; round < 10; ++round) {
      const uint64_t p0 = uint64_t(kMul0) * x0, p1 = uint64_t(kMul1) * x2;
      const uint32_t y0 = uint32_t(p1 >> 32) ^ x1 ^ k0, y2 = uint32_t(p0 >> 32) ^ x3 ^ k1;
      x1 = uint32_t(p1);
      x3 = uint32_t(p0);
      x0 = y0;
      x2 = y2;
      k0 += kWeyl0;
      k1 += kWeyl1;
    }
    out.w[0][j] = x0;
    out.w[1][j] = x1;
    out.w[2][j] = x2;
    out.w[3][j] = x3;
  }
}

// `count` normals of row stream (key, c1, c2, c3) starting at element 4*block. The AVX2 clone
// computes bit-identical values (no FMA; IEEE division and square root). The project builds with
// -fno-math-errno so that sqrt vectorises.
__attribute__((target_clones("avx2", "default"))) void normal_span(uint64_t key, uint32_t c1, uint32_t c2, uint32_t c3,
                                                                   int64_t block, int64_t count, float* out) {
  TileWords t;
  float z[kTile][4];
  for (int64_t done = 0; done < count; block += kTile) {
    philox_tile(key, uint32_t(block), c1, c2, c3, t);
    for (int j = 0; j < kTile; ++j) {
      const float r0 = std::sqrt(-2.0f * log_unit(to_unit(t.w[0][j])));
      const float r1 = std::sqrt(-2.0f * log_unit(to_unit(t.w[2][j])));
      float s0, c0, s1, c1;
      sincos_turns(to_unit(t.w[1][j]), s0, c0);
      sincos_turns(to_unit(t.w[3][j]), s1, c1);
      z[j][0] = r0 * c0;
      z[j][1] = r0 * s0;
      z[j][2] = r1 * c1;
      z[j][3] = r1 * s1;
    }
    const int64_t m = std::min<int64_t>(4 * kTile, count - done);
    std::memcpy(out + done, &z[0][0], size_t(m) * sizeof(float));
    done += m;
  }
}

}  // namespace

PhiloxBlock philox4x32(PhiloxBlock c, uint64_t key) {
  uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t(kMul0) * c[0], p1 = uint64_t(kMul1) * c[2];
    c = {uint32_t(p1 >> 32) ^ c[1] ^ k0, uint32_t(p1), uint32_t(p0 >> 32) ^ c[3] ^ k1, uint32_t(p0)};
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return c;
}

uint64_t mix64(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9E3779B97F4A7C15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

torch::Tensor philox_uniform(const StreamId& s, int64_t n) {
  auto out = torch::empty({n}, torch::kFloat32);
  float* p = out.data_ptr<float>();
  const int64_t blocks = (n + 3) / 4;
  at::parallel_for(0, blocks, 4096, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const PhiloxBlock r = philox4x32({uint32_t(b), s.c1, s.c2, s.c3}, s.key);
      const int64_t j = 4 * b;
      const int64_t m = std::min<int64_t>(4, n - j);
      for (int64_t i = 0; i < m; ++i) p[j + i] = to_unit(r[i]);
    }
  });
  return out;
}

torch::Tensor philox_normal(const StreamId& s, int64_t n) { return philox_normal_rows(s, 1, n).view({n}); }

torch::Tensor philox_normal_rows(const StreamId& s, int64_t rows, int64_t n) {
  auto out = torch::empty({rows, n}, torch::kFloat32);
  float* p = out.data_ptr<float>();
  // Work items are (row, tile) pairs so that both many short rows and one long row parallelise.
  const int64_t tiles = (n + 4 * kTile - 1) / (4 * kTile);
  at::parallel_for(0, rows * tiles, 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1;) {
      const int64_t row = i / tiles, tile = i % tiles;
      const int64_t tile_end = std::min(i1 - i, tiles - tile);  // tiles of this row in range
      const int64_t begin = tile * 4 * kTile, end = std::min(n, (tile + tile_end) * 4 * kTile);
      normal_span(s.key, s.c1, uint32_t(s.c2 + row), s.c3, begin / 4, end - begin, p + row * n + begin);
      i += tile_end;
    }
  });
  return out;
}

torch::Tensor philox_normal_rows_weighted_sum(const StreamId& s, const torch::Tensor& weights, int64_t n, bool squared,
                                              int64_t offset) {
  METAEVO_CHECK(n >= 0 && offset >= 0, "philox: bad range [{}, {} + {})", offset, offset, n);
  auto w = weights.to(torch::kCPU, torch::kFloat32).contiguous();
  const float* wp = w.data_ptr<float>();
  const int64_t rows = w.numel();
  auto out = torch::zeros({n}, torch::kFloat32);
  float* p = out.data_ptr<float>();
  // A span of 4 tiles (1 KiB of floats) stays in L1 while every row is generated into it. Spans
  // start at a multiple of 4 elements (a Philox block); `skip` drops the block's head before
  // `offset`.
  constexpr int64_t kSpan = 4 * 4 * kTile;
  const int64_t skip = offset % 4, first = offset - skip, total = n + skip;
  const int64_t spans = (total + kSpan - 1) / kSpan;
  at::parallel_for(0, spans, 1, [&](int64_t s0, int64_t s1) {
    float z[kSpan];
    for (int64_t span = s0; span < s1; ++span) {
      const int64_t begin = span * kSpan, len = std::min(kSpan, total - begin);
      const int64_t head = span == 0 ? skip : 0;  // elements of this span before `offset`
      float* acc = p + begin - skip + head;
      for (int64_t row = 0; row < rows; ++row) {
        normal_span(s.key, s.c1, uint32_t(s.c2 + row), s.c3, (first + begin) / 4, len, z);
        const float wr = wp[row];
        const float* zr = z + head;
        const int64_t m = len - head;
        if (squared)
          for (int64_t j = 0; j < m; ++j) acc[j] += wr * (zr[j] * zr[j]);
        else
          for (int64_t j = 0; j < m; ++j) acc[j] += wr * zr[j];
      }
    }
  });
  return out;
}

uint64_t hash64(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

}  // namespace metaevo
