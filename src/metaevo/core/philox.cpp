#include "metaevo/core/philox.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>

namespace metaevo {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = uint64_t(a) * uint64_t(b);
  hi = uint32_t(p >> 32);
  lo = uint32_t(p);
}

// Uniform in (0, 1): 24 random bits, offset by half a step so that log() never sees zero.
inline float to_unit(uint32_t x) { return (float(x >> 8) + 0.5f) * (1.0f / 16777216.0f); }

// Natural log for x in (0, 1]: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then
// log m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172, by its odd series to s^9 (error < 2e-8).
// Own polynomials instead of libm/SLEEF: the result must not depend on which code path (vector
// body or scalar tail, which moves with thread count and chunking) computed an element.
inline float log_unit(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  int e = int((bits >> 23) & 0xff) - 127;
  bits = (bits & 0x007fffffu) | 0x3f800000u;  // m in [1, 2)
  float m;
  std::memcpy(&m, &bits, 4);
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  const float s = (m - 1.0f) / (m + 1.0f), s2 = s * s;
  const float series = s * (2.0f + s2 * (2.0f / 3 + s2 * (2.0f / 5 + s2 * (2.0f / 7 + s2 * (2.0f / 9)))));
  return series + float(e) * 0.69314718f;
}

// sin and cos of 2 pi t for t in [0, 1): reduce to r in [-1/8, 1/8] around the nearest quarter
// turn q, evaluate Taylor polynomials on |2 pi r| <= pi/4 (error < 3e-8), rotate by q.
inline void sincos_turns(float t, float& sin_out, float& cos_out) {
  const float q = std::nearbyint(4.0f * t);
  const float a = (t - 0.25f * q) * float(2.0 * M_PI), a2 = a * a;
  const float sn = a * (1.0f + a2 * (-1.0f / 6 + a2 * (1.0f / 120 + a2 * (-1.0f / 5040 + a2 * (1.0f / 362880)))));
  const float cs = 1.0f + a2 * (-0.5f + a2 * (1.0f / 24 + a2 * (-1.0f / 720 + a2 * (1.0f / 40320))));
  switch (int(q) & 3) {
    case 0: sin_out = sn; cos_out = cs; break;
    case 1: sin_out = cs; cos_out = -sn; break;
    case 2: sin_out = -sn; cos_out = -cs; break;
    default: sin_out = -cs; cos_out = sn; break;
  }
}

inline void box_muller(uint32_t a, uint32_t b, float& z0, float& z1) {
  const float radius = std::sqrt(-2.0f * log_unit(to_unit(a)));
  float sn, cs;
  sincos_turns(to_unit(b), sn, cs);
  z0 = radius * cs;
  z1 = radius * sn;
}

}  // namespace

PhiloxBlock philox4x32(PhiloxBlock c, uint64_t key) {
  uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, c[0], hi0, lo0);
    mulhilo(kMul1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
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
  const int64_t blocks = (n + 3) / 4;
  at::parallel_for(0, rows * blocks, 2048, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i) {
      const int64_t row = i / blocks, b = i % blocks;
      const PhiloxBlock r = philox4x32({uint32_t(b), s.c1, uint32_t(s.c2 + row), s.c3}, s.key);
      float z[4];
      box_muller(r[0], r[1], z[0], z[1]);
      box_muller(r[2], r[3], z[2], z[3]);
      const int64_t j = 4 * b;
      const int64_t m = std::min<int64_t>(4, n - j);
      for (int64_t k = 0; k < m; ++k) p[row * n + j + k] = z[k];
    }
  });
  return out;
}

}  // namespace metaevo
