#pragma once
// Per-path hyperparameters and the value lists they move on. A mutation moves one step up or
// down its list (clamped at the ends), as in the reference code's incremental_mutation.
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace metaevo::munet {

using Hparams = std::map<std::string, nlohmann::json>;
using Rng = std::mt19937_64;

struct HparamSpace {
  std::map<std::string, std::vector<nlohmann::json>> ranges;
  Hparams defaults;
  /// The reference's Ti3 auto-tuning space (muNet / mu2Net+): learning rate, schedule, warmup,
  /// momentum, Nesterov, adapter size, layers kept, augmentation, and the mutation probability
  /// `_mu_`. `depth` bounds num_layers.
  static HparamSpace reference(int64_t depth);
  /// One incremental step of `key` from its current value (which must be in the list).
  nlohmann::json step(const std::string& key, const nlohmann::json& current, Rng& rng) const;
};

/// U(0, 1) from the child's generator.
double uniform(Rng& rng);

}  // namespace metaevo::munet
