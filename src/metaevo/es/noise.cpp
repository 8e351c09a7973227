#include "metaevo/es/noise.h"

#include <cmath>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::es {
namespace {

// Stream ids: c3 = 4 * segment + part, so full noise, factor A and factor B never collide.
enum Part : uint32_t { kFull = 0, kFactorA = 1, kFactorB = 2 };

StreamId stream(uint64_t seed, int64_t generation, int64_t k, int64_t seg, Part part) {
  return {seed, uint32_t(generation), uint32_t(k), uint32_t(4 * seg + part)};
}

// Noise is materialised in chunks of members holding at most this many floats (16 MiB), so its
// memory stays bounded whatever the population, and each chunk reuses the heap memory of the one
// before (configure_allocator keeps freed memory in the process).
constexpr int64_t kChunkFloats = int64_t(1) << 22;

}  // namespace

Noise::Noise(uint64_t seed, Layout layout, int64_t rank) : seed_(seed), layout_(std::move(layout)), rank_(rank) {
  METAEVO_CHECK(rank >= 0, "noise: low-rank r must be >= 0, got {}", rank);
  METAEVO_CHECK(layout_.dim() > 0, "noise: empty parameter layout");
}

LowRankFactors Noise::factors(int64_t generation, int64_t seg, int64_t k0, int64_t k1) const {
  const Segment& s = layout_.segments().at(seg);
  METAEVO_CHECK(is_low_rank(s), "noise: segment '{}' is not low-rank", s.name);
  const int64_t n = k1 - k0, rows = s.rows(), cols = s.cols();
  auto a = philox_normal_rows(stream(seed_, generation, k0, seg, kFactorA), n, rows * rank_);
  auto b = philox_normal_rows(stream(seed_, generation, k0, seg, kFactorB), n, cols * rank_);
  const float scale = 1.0f / std::sqrt(float(rank_));
  return {a.view({n, rows, rank_}).mul_(scale), b.view({n, cols, rank_})};
}

torch::Tensor Noise::segment(int64_t generation, int64_t seg, int64_t k0, int64_t k1) const {
  const Segment& s = layout_.segments().at(seg);
  std::vector<int64_t> shape{k1 - k0};
  shape.insert(shape.end(), s.shape.begin(), s.shape.end());
  if (is_low_rank(s)) {
    auto f = factors(generation, seg, k0, k1);
    return torch::bmm(f.a, f.b.transpose(1, 2)).view(shape);
  }
  return philox_normal_rows(stream(seed_, generation, k0, seg, kFull), k1 - k0, s.numel).view(shape);
}

torch::Tensor Noise::flat(int64_t generation, int64_t k0, int64_t k1) const {
  std::vector<torch::Tensor> parts;
  for (size_t seg = 0; seg < layout_.segments().size(); ++seg)
    parts.push_back(segment(generation, int64_t(seg), k0, k1).reshape({k1 - k0, -1}));
  return torch::cat(parts, 1);
}

int64_t Noise::chunk_for(int64_t numel) const { return std::max<int64_t>(1, kChunkFloats / numel); }

torch::Tensor Noise::weighted_sum(int64_t generation, const torch::Tensor& w, int64_t k0,
                                  std::optional<FlatRange> range) const {
  return sum(generation, w, k0, range.value_or(FlatRange{0, layout_.dim()}), /*squared=*/false);
}

torch::Tensor Noise::weighted_sum_sq(int64_t generation, const torch::Tensor& w, int64_t k0,
                                     std::optional<FlatRange> range) const {
  return sum(generation, w, k0, range.value_or(FlatRange{0, layout_.dim()}), /*squared=*/true);
}

torch::Tensor Noise::sum(int64_t generation, const torch::Tensor& w, int64_t k0, const FlatRange& range,
                         bool squared) const {
  METAEVO_CHECK(range.begin >= 0 && range.begin <= range.end && range.end <= layout_.dim(),
                "noise: range [{}, {}) outside the {} parameters", range.begin, range.end, layout_.dim());
  auto weights = w.to(torch::kFloat32).contiguous();
  auto out = torch::empty({range.size()}, torch::kFloat32);
  for (size_t seg = 0; seg < layout_.segments().size(); ++seg) {
    const Segment& s = layout_.segments()[seg];
    const int64_t lo = std::max(range.begin, s.offset), hi = std::min(range.end, s.offset + s.numel);
    if (lo >= hi) continue;
    auto dst = out.narrow(0, lo - range.begin, hi - lo);
    if (is_low_rank(s))
      dst.copy_(segment_sum(generation, int64_t(seg), weights, k0, squared).narrow(0, lo - s.offset, hi - lo));
    else
      dst.copy_(philox_normal_rows_weighted_sum(stream(seed_, generation, k0, int64_t(seg), kFull), weights, hi - lo,
                                                squared, lo - s.offset));
  }
  return out;
}

torch::Tensor Noise::segment_sum(int64_t generation, int64_t seg, const torch::Tensor& w, int64_t k0,
                                 bool squared) const {
  const Segment& s = layout_.segments().at(seg);
  auto weights = w.to(torch::kFloat32).contiguous();
  if (!is_low_rank(s))
    return philox_normal_rows_weighted_sum(stream(seed_, generation, k0, seg, kFull), weights, s.numel, squared);
  const int64_t n = weights.size(0);
  auto out = torch::zeros({s.numel}, torch::kFloat32);
  const int64_t chunk = chunk_for(squared ? s.numel : rank_ * (s.rows() + s.cols()));
  for (int64_t j0 = 0; j0 < n; j0 += chunk) {
    const int64_t j1 = std::min(n, j0 + chunk);
    auto wj = weights.narrow(0, j0, j1 - j0);
    if (squared) {
      auto e = segment(generation, seg, k0 + j0, k0 + j1).view({j1 - j0, -1});
      out.add_(torch::mv(e.square().t(), wj));
      continue;
    }
    // sum_k w_k A_k B_k^T as one GEMM: [rows, n*r] x [n*r, cols].
    auto f = factors(generation, seg, k0 + j0, k0 + j1);
    auto a = (f.a * wj.view({-1, 1, 1})).permute({1, 0, 2}).reshape({s.rows(), -1});
    auto b = f.b.permute({1, 0, 2}).reshape({s.cols(), -1});
    out.add_(torch::mm(a, b.t()).view({-1}));
  }
  return out;
}

}  // namespace metaevo::es
