#pragma once
// One generation's candidates. Gaussian strategies describe members implicitly,
//   x_i = center + sigma * s_i * z_{k(i)},  k(i) = i/2 and s_i = +-1 when mirrored, else k(i) = i,
// so an evaluator can rebuild any member from counters and never needs the [P, d] matrix (for
// networks it applies perturbations layer by layer). Strategies that must materialise candidates
// (CMA-ES) set `samples` instead.
#include <torch/torch.h>

#include <memory>

#include "metaevo/es/noise.h"

namespace metaevo::es {

struct Population {
  int64_t generation = 0;
  int64_t size = 0;
  torch::Tensor center;  // [d]
  torch::Tensor sigma;   // [] or [d]
  bool mirrored = false;
  std::shared_ptr<const Noise> noise;
  torch::Tensor samples;  // [size, d], defined only when materialised

  bool implicit() const { return !samples.defined(); }
  int64_t noise_index(int64_t i) const { return mirrored ? i / 2 : i; }
  float sign(int64_t i) const { return mirrored && (i % 2) ? -1.0f : 1.0f; }
  /// Number of distinct noise vectors (size/2 rounded up when mirrored).
  int64_t noise_count() const { return mirrored ? (size + 1) / 2 : size; }
  /// Members [begin, end) as rows, in center's dtype.
  torch::Tensor members(int64_t begin, int64_t end) const;
  torch::Tensor members() const { return members(0, size); }
  /// Per-noise-index weights from per-member weights: w'_k = sum_{i: k(i)=k} s_i w_i.
  torch::Tensor fold_signed(const torch::Tensor& w) const;
  /// Same without signs (for second moments, where the sign squares away).
  torch::Tensor fold(const torch::Tensor& w) const;
};

}  // namespace metaevo::es
