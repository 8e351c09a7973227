#include "metaevo/hpo/rung.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace metaevo::hpo {

void Rung::add(int64_t trial, double value) {
  if (!members_.insert(trial).second) return;
  if (std::isnan(value)) value = -std::numeric_limits<double>::infinity();
  // After every entry at least as good: ties keep arrival order.
  auto at =
      std::upper_bound(entries_.begin(), entries_.end(), value, [](double v, const Entry& e) { return v > e.value; });
  entries_.insert(at, Entry{trial, value});
}

size_t Rung::better_than(double value) const {
  if (std::isnan(value)) value = -std::numeric_limits<double>::infinity();
  return size_t(
      std::lower_bound(entries_.begin(), entries_.end(), value, [](const Entry& e, double v) { return e.value > v; }) -
      entries_.begin());
}

std::optional<Rung::Entry> Rung::promotable(double eta) const {
  const size_t k = size_t(std::floor(double(entries_.size()) / eta + 1e-9));
  for (size_t i = 0; i < k; ++i)
    if (!promoted(entries_[i].trial)) return entries_[i];
  return std::nullopt;
}

size_t top_count(size_t size, double eta) { return std::max<size_t>(1, size_t(std::floor(double(size) / eta + 1e-9))); }

}  // namespace metaevo::hpo
