#pragma once
// Gaussian perturbations rebuilt from coordinates, never stored or sent.
//
// The search space is a flat vector split into segments (one per tensor of a model; one segment for
// a plain vector). The noise of segment t for noise index k at generation g is the Philox stream
// (seed; g, k, t): any process rebuilds any member's perturbation from those four numbers, and each
// tensor has its own stream (reusing one seed across tensors correlates them).
//
// Low-rank mode (EGGROLL, Sarkar et al. 2025): a matrix segment of shape [out, in...] is perturbed
// by E = A B^T / sqrt(r), A in R^{out x r}, B in R^{in x r}; r(out+in) numbers instead of out*in,
// and a layer applies it as x W^T + (x B) A^T / sqrt(r) without forming E. Vectors stay full-rank.
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "metaevo/es/sharding.h"
#include "metaevo/models/layout.h"

namespace metaevo::es {

// The search space's segments (one per model tensor) are a models::Layout.
using models::Layout;
using models::Segment;

/// Factors of low-rank perturbations for a range of noise indices: E_k = A_k B_k^T (scale folded
/// into A, so E has unit-variance entries).
struct LowRankFactors {
  torch::Tensor a;  // [n, rows, r]
  torch::Tensor b;  // [n, cols, r]
};

class Noise {
 public:
  /// rank 0 = full-rank everywhere; rank r > 0 = low-rank for segments with 2+ dims.
  Noise(uint64_t seed, Layout layout, int64_t rank = 0);

  const Layout& layout() const { return layout_; }
  int64_t rank() const { return rank_; }
  uint64_t seed() const { return seed_; }
  bool is_low_rank(const Segment& s) const { return rank_ > 0 && s.shape.size() >= 2; }

  /// Full perturbations of segment `seg` for noise indices [k0, k1): [k1-k0, *shape].
  torch::Tensor segment(int64_t generation, int64_t seg, int64_t k0, int64_t k1) const;
  /// Low-rank factors of a matrix segment (requires is_low_rank).
  LowRankFactors factors(int64_t generation, int64_t seg, int64_t k0, int64_t k1) const;
  /// Flat perturbations for noise indices [k0, k1): [k1-k0, dim].
  torch::Tensor flat(int64_t generation, int64_t k0, int64_t k1) const;

  /// sum_j w[j] * z_{k0+j}, as a flat [dim] tensor, in chunks (memory independent of w's length).
  /// With `range`, only its elements [begin, end) of that vector: for full-rank segments just those
  /// elements are generated, bitwise the same values; a low-rank segment is summed whole (a row of
  /// A B^T needs all of B) and cut.
  torch::Tensor weighted_sum(int64_t generation, const torch::Tensor& w, int64_t k0 = 0,
                             std::optional<FlatRange> range = {}) const;
  /// sum_j w[j] * z_{k0+j}^2 (elementwise square), flat [dim] or over `range`.
  torch::Tensor weighted_sum_sq(int64_t generation, const torch::Tensor& w, int64_t k0 = 0,
                                std::optional<FlatRange> range = {}) const;
  /// The same sums over segment `seg` alone, whole: [numel].
  torch::Tensor segment_sum(int64_t generation, int64_t seg, const torch::Tensor& w, int64_t k0 = 0,
                            bool squared = false) const;

 private:
  int64_t chunk_for(int64_t numel) const;
  torch::Tensor sum(int64_t generation, const torch::Tensor& w, int64_t k0, const FlatRange& range, bool squared) const;

  uint64_t seed_;
  Layout layout_;
  int64_t rank_;
};

}  // namespace metaevo::es
