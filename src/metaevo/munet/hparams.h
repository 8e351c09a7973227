#pragma once
// Per-path hyperparameters and the value lists they move on. A mutation moves one step up or
// down its list (clamped at the ends), as in the reference code's incremental_mutation.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/random_stream.h"

namespace metaevo::munet {

using Hparams = std::map<std::string, nlohmann::json>;
using Rng = RandomStream;

/// One step from `current` (numbers match their nearest list entry) to a neighbour in `values`,
/// up or down with equal chance, clamped at the ends; an Error names `key` when `current` is not
/// in the list.
nlohmann::json incremental_step(const std::string& key, const std::vector<nlohmann::json>& values,
                                const nlohmann::json& current, Rng& rng);

struct HparamSpace {
  std::map<std::string, std::vector<nlohmann::json>> ranges;
  Hparams defaults;
  /// The reference's Ti3 auto-tuning space (muNet / mu2Net+): learning rate, schedule, warmup,
  /// momentum, Nesterov, adapter size, layers kept and augmentation. `depth` bounds num_layers.
  static HparamSpace reference(int64_t depth);
  /// One incremental step of `key` from its current value (which must be in the list).
  nlohmann::json step(const std::string& key, const nlohmann::json& current, Rng& rng) const;
  /// Applies a config's `hparams` block, {key: {values: [...], default: v}} (either part optional),
  /// to keys of this space; an Error names the key when it is unknown, a list is empty, or a
  /// default is not in its list.
  void override_with(const nlohmann::json& overrides);
};

}  // namespace metaevo::munet
