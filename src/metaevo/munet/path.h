#pragma once
// A path: one task's model in the multitask system. Its components (some shared frozen with
// other paths, some its own), its hyperparameters, its parent, and its measured quality. A task
// runs only its own path, so the compute per task stays bounded however large the system grows.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/munet/component.h"
#include "metaevo/munet/hparams.h"
#include "metaevo/munet/mutation_rates.h"
#include "metaevo/munet/vit.h"

namespace metaevo::munet {

struct Path {
  int64_t id = 0;
  std::string task;
  std::shared_ptr<Path> parent;
  std::map<std::string, ComponentPtr> components;
  Hparams hparams;
  MutationRates rates;
  int64_t offsprings = 0;    // children of this path for its own task
  double quality = 0;        // best validation accuracy
  double test_quality = -1;  // test accuracy of a task's retained path (-1 = not measured)
  int64_t generation = 0;
  std::vector<std::string> grown;  // growths applied when this path was made (not stored)

  int64_t layers() const { return hparams.at("num_layers").get<int64_t>(); }
  torch::Tensor forward(const torch::Tensor& images, const VitOptions& o) const {
    return vit_forward(images, components, layers(), o);
  }
  /// Distinct tensors this path trains (its unlocked components).
  Params trainable() const;
};

using PathPtr = std::shared_ptr<Path>;

}  // namespace metaevo::munet
