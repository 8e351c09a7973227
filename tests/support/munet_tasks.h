#pragma once
// Small synthetic tasks and a tiny ViT for the muNet tests: they train in a second.
#include <torch/torch.h>

#include "metaevo/munet/mutation.h"
#include "metaevo/munet/tasks.h"
#include "metaevo/munet/vit.h"

namespace metaevo::testing {

using munet::TaskData;
using munet::TaskSplit;
using munet::VitOptions;

/// Four classes told apart by which quadrant of a 32x32 image is bright, plus noise.
inline TaskData quadrants(int64_t n_train) {
  auto make = [](int64_t n, uint64_t seed) {
    torch::manual_seed(seed);
    auto y = torch::randint(0, 4, {n}, torch::kInt64);
    auto x = torch::randn({n, 1, 32, 32}) * 0.3 - 1;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t q = y[i].item<int64_t>();
      x[i].narrow(1, (q / 2) * 16, 16).narrow(2, (q % 2) * 16, 16).add_(1.5);
    }
    return TaskSplit{x, y};
  };
  return {"quadrants", make(n_train, 1), make(256, 2), make(256, 3), 4};
}

/// Mutation options under which only the forced mutations fire.
inline munet::MutationOptions forced_mutations_only() {
  munet::MutationOptions m;
  m.probability = 0;
  return m;
}

inline VitOptions small_vit() {
  VitOptions o;
  o.patch = 16;
  o.width = 16;
  o.heads = 2;
  o.mlp_dim = 32;
  o.depth = 2;
  return o;
}

}  // namespace metaevo::testing
