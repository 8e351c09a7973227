#include "metaevo/munet/hparams.h"

#include <algorithm>

#include "metaevo/core/error.h"

namespace metaevo::munet {

HparamSpace HparamSpace::reference(int64_t depth) {
  using J = nlohmann::json;
  HparamSpace s;
  std::vector<J> layers;
  for (int64_t i = 1; i <= depth; ++i) layers.push_back(i);
  s.ranges = {
      {"num_layers", layers},
      {"adapter_dim", {8, 16, 32, 64, 128}},
      {"opt_lr", {1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5}},
      {"opt_lr_schedule", {"constant", "cosine", "restarts"}},
      {"opt_lr_warmup_ratio", {0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3}},
      {"opt_momentum", {0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99}},
      {"opt_nesterov", {false, true}},
      {"ds_area_range_min", {0.05, 0.5, 0.95, 1.0}},
      {"ds_flip_left_right", {false, true}},
  };
  // The reference's defaults; no augmentation to start with (mu2Net+).
  s.defaults = {{"num_layers", depth},         {"adapter_dim", 32},          {"opt_lr", 0.01},
                {"opt_lr_schedule", "cosine"}, {"opt_lr_warmup_ratio", 0.1}, {"opt_momentum", 0.9},
                {"opt_nesterov", false},       {"ds_area_range_min", 1.0},   {"ds_flip_left_right", false}};
  return s;
}

nlohmann::json HparamSpace::step(const std::string& key, const nlohmann::json& current, Rng& rng) const {
  auto it = ranges.find(key);
  METAEVO_CHECK(it != ranges.end(), "hparams: no value list for '{}'", key);
  return incremental_step(key, it->second, current, rng);
}

void HparamSpace::override_with(const nlohmann::json& overrides) {
  for (const auto& [key, entry] : overrides.items()) {
    METAEVO_CHECK(defaults.count(key), "{}: not a hyperparameter of the space", key);
    METAEVO_CHECK(entry.is_object(), "{}: expected {{values: [...], default: v}}", key);
    for (const auto& [field, value] : entry.items()) {
      if (field == "values") {
        METAEVO_CHECK(value.is_array() && !value.empty(), "{}.values: expected a non-empty list", key);
        ranges[key] = value.get<std::vector<nlohmann::json>>();
      } else if (field == "default") {
        defaults[key] = value;
      } else {
        fail("{}: unknown key '{}' (values, default)", key, field);
      }
    }
    auto it = ranges.find(key);
    METAEVO_CHECK(
        it == ranges.end() || std::find(it->second.begin(), it->second.end(), defaults[key]) != it->second.end(),
        "{}.default: {} is not in its values {}", key, defaults[key].dump(), nlohmann::json(it->second).dump());
  }
}

nlohmann::json incremental_step(const std::string& key, const std::vector<nlohmann::json>& values,
                                const nlohmann::json& current, Rng& rng) {
  // Numbers compare by value (0.1 written as 0.1 or 1e-1): the nearest list entry is current.
  size_t at = 0;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < values.size(); ++i) {
    const double distance = values[i].is_number() && current.is_number()
                                ? std::abs(values[i].get<double>() - current.get<double>())
                                : (values[i] == current ? 0.0 : std::numeric_limits<double>::infinity());
    if (distance < best) {
      best = distance;
      at = i;
    }
  }
  METAEVO_CHECK(std::isfinite(best), "hparams: '{}' = {} is not in its value list", key, current.dump());
  const int64_t next = std::clamp<int64_t>(int64_t(at) + (rng.uniform() < 0.5 ? -1 : 1), 0, int64_t(values.size()) - 1);
  return values[size_t(next)];
}

}  // namespace metaevo::munet
