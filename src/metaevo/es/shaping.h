#pragma once
// Fitness shaping: utilities (higher = better) -> update weights. Rank-based shapings make the
// update invariant to monotone transforms of the fitness (Wierstra et al. 2014, JMLR "Natural
// Evolution Strategies"; Salimans et al. 2017). Formulas follow EvoTorch's tools/ranking.py.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "metaevo/core/registry.h"

namespace metaevo::es {

class Shaping {
 public:
  virtual ~Shaping() = default;
  /// `utility`: float64 [n], higher is better. Returns float64 [n] weights.
  virtual torch::Tensor operator()(const torch::Tensor& utility) const = 0;
};

using ShapingRegistry = Registry<Shaping>;
/// "centered_rank" | "nes" | "zscore" | "raw"; `what` names the config field for errors.
std::unique_ptr<Shaping> make_shaping(const std::string& name, const std::string& what = "shaping");

/// Validation helper for options structs: `shaping` must name a registered shaping.
void require_shaping(const std::string& shaping);

/// 0-based ascending ranks (the lowest utility gets 0); ties broken by position, deterministically.
torch::Tensor ranks(const torch::Tensor& utility);

}  // namespace metaevo::es
