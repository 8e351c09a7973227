#pragma once
// A search space of named hyperparameters: floats (linear or log scale), integers (likewise) and
// categorical choices, each with a default. A configuration is a JSON object, so it stores in the
// study database, prints and compares as text.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/core/random_stream.h"

namespace metaevo::hpo {

using Assignment = nlohmann::json;

struct Param {
  enum class Kind { kFloat, kInt, kCategorical };
  std::string name;
  Kind kind = Kind::kFloat;
  double low = 0, high = 0;  // numeric kinds, inclusive
  bool log = false;          // sample and mutate in log space (low > 0)
  std::vector<nlohmann::json> choices;
  nlohmann::json initial;  // the default value
};

/// The random numbers of one sampling decision: the stream (seed, stream), so trial n of a study
/// draws the same configuration whichever worker asks.
class Draws : public RandomStream {
 public:
  Draws(uint64_t seed, uint64_t stream) : RandomStream(mix64(seed, stream)) {}
};

class SearchSpace {
 public:
  /// Reads `name: {type: float|int|categorical, low, high, log, choices, default}` entries; an
  /// error names the file and the field.
  static SearchSpace from_config(const Config& section);
  /// Validates `param` (range, log with low > 0, default inside) and appends it.
  void add(Param param);

  const std::vector<Param>& params() const { return params_; }
  bool empty() const { return params_.empty(); }

  Assignment defaults() const;
  Assignment sample(Draws& draws) const;
  /// The parent with one parameter changed: numeric ones take a Gaussian step of `scale` times
  /// their (log) range, clipped; categorical ones another choice.
  Assignment mutate(const Assignment& parent, Draws& draws, double scale) const;
  /// Throws an Error naming `origin` and the parameter for a missing, mistyped or out-of-range value.
  void validate(const Assignment& config, const std::string& origin) const;

 private:
  nlohmann::json draw(const Param& p, Draws& draws) const;
  std::vector<Param> params_;
};

}  // namespace metaevo::hpo
