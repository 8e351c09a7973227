#pragma once
// A path's mutation probabilities (mu2Net+'s auto-tuning): every mutation type starts at `base`
// and tunes its own rate from there; children inherit their parent's rates.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace metaevo::munet {

struct MutationRates {
  double base = 0.1;
  std::map<std::string, double> by_type;  // e.g. "hp:opt_lr" -> 0.12
  nlohmann::json to_json() const { return {{"base", base}, {"by_type", by_type}}; }
  static MutationRates from_json(const nlohmann::json& j) {
    return {j.at("base").get<double>(), j.at("by_type").get<std::map<std::string, double>>()};
  }
};

}  // namespace metaevo::munet
