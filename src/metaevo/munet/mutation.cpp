#include "metaevo/munet/mutation.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "metaevo/munet/component_kind.h"

namespace metaevo::munet {

void MutationOptions::validate() const {
  require(probability >= 0 && probability <= 1, "probability", "must be in [0, 1], got {}", probability);
  require(!rate_values.empty() && std::is_sorted(rate_values.begin(), rate_values.end()) && rate_values.front() > 0 &&
              rate_values.back() <= 1,
          "rate_values", "must be ascending values in (0, 1]");
  const auto& registry = MutationRegistry::instance();
  for (const auto& kind : kinds)
    require(registry.contains(kind), "kinds", "unknown mutation '{}' (choose from: {})", kind, registry.names());
  std::set<std::string> sizes{"layers"};
  for (const auto& kind : component_kinds())
    for (const auto& dim : component_kind(kind).growable()) sizes.insert(dim);
  const auto active_kinds = active();
  require(grow.empty() || std::find(active_kinds.begin(), active_kinds.end(), "grow") != active_kinds.end(), "grow",
          "lists are given but 'grow' is not among mutation.kinds ({})", fmt::join(active_kinds, ", "));
  for (const auto& [size, values] : grow) {
    require(sizes.count(size), "grow", "no component kind grows '{}' (sizes that grow: {})", size,
            fmt::join(sizes, ", "));
    require(std::is_sorted(values.begin(), values.end()) &&
                std::adjacent_find(values.begin(), values.end()) == values.end() && (values.empty() || values[0] >= 1),
            "grow", "{}: expected ascending sizes >= 1, got {}", size, fmt::join(values, ", "));
  }
  for (const auto& type : forced)
    require(registry.contains(type.substr(0, type.find(':'))), "forced",
            "'{}' is not <mutation>:<target> of a registered mutation ({})", type, registry.names());
}

std::vector<std::string> MutationOptions::active() const {
  return kinds.empty() ? MutationRegistry::instance().keys() : kinds;
}

Mutator::Mutator(const MutationOptions& o, MutationRates& rates, Rng& rng)
    : o_(o), values_(o.rate_values.begin(), o.rate_values.end()), rates_(rates), rng_(rng) {}

double Mutator::step(double rate) { return incremental_step("mutation rate", values_, rate, rng_).get<double>(); }

bool Mutator::fires(const std::string& type) {
  if (std::find(o_.forced.begin(), o_.forced.end(), type) != o_.forced.end()) return true;
  auto [it, fresh] = rates_.by_type.emplace(type, rates_.base);
  if (rng_.uniform() < rates_.base) it->second = step(it->second);
  return it->second > rng_.uniform();
}

void Mutator::tune_base() {
  if (rng_.uniform() < rates_.base) rates_.base = step(rates_.base);
}

}  // namespace metaevo::munet
