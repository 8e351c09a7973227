#pragma once
// Small synthetic tasks and a tiny ViT for the muNet tests: they train in a second.
#include <torch/torch.h>

#include "metaevo/munet/mutation.h"
#include "metaevo/munet/tasks.h"
#include "metaevo/munet/vit.h"
#include "toy_dataset.h"

namespace metaevo::testing {

using munet::VitOptions;

/// The "quadrants" toy data set with `n_train` training images, as the ViT sees it.
inline data::Splits quadrants(int64_t n_train) {
  return data::Splits{"quadrants", quadrant_images(n_train, 1), quadrant_images(256, 2), quadrant_images(256, 3), 4, {}}
      .map(munet::to_task_images);
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
