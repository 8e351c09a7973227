#include "metaevo/es/population.h"

namespace metaevo::es {

torch::Tensor Population::members(int64_t begin, int64_t end) const {
  if (!implicit()) return samples.narrow(0, begin, end - begin);
  const int64_t k0 = noise_index(begin), k1 = noise_index(end - 1) + 1;
  auto z = noise->flat(generation, k0, k1).to(center.dtype());
  std::vector<int64_t> rows;
  std::vector<float> signs;
  for (int64_t i = begin; i < end; ++i) {
    rows.push_back(noise_index(i) - k0);
    signs.push_back(sign(i));
  }
  auto picked = z.index_select(0, torch::tensor(rows));
  auto s = torch::tensor(signs, center.options()).unsqueeze(1);
  return center.unsqueeze(0) + sigma.to(center.dtype()) * s * picked;
}

torch::Tensor Population::fold_signed(const torch::Tensor& w) const {
  if (!mirrored) return w;
  auto padded = w.size(0) % 2 ? torch::cat({w, torch::zeros({1}, w.options())}) : w;
  auto pairs = padded.view({-1, 2});
  return pairs.select(1, 0) - pairs.select(1, 1);
}

torch::Tensor Population::fold(const torch::Tensor& w) const {
  if (!mirrored) return w;
  auto padded = w.size(0) % 2 ? torch::cat({w, torch::zeros({1}, w.options())}) : w;
  return padded.view({-1, 2}).sum(1);
}

}  // namespace metaevo::es
