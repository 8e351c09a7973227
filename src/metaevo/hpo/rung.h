#pragma once
// The results recorded at one resource level, best first. Ties keep arrival order, so the earlier
// trial ranks first and every process ranks the same results identically.
#include <cstdint>
#include <optional>
#include <unordered_set>
#include <vector>

namespace metaevo::hpo {

class Rung {
 public:
  struct Entry {
    int64_t trial;
    double value;  // higher is better; NaN is stored as -inf (a diverged trial ranks last)
  };

  explicit Rung(int level) : level_(level) {}
  int level() const { return level_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  bool contains(int64_t trial) const { return members_.count(trial) > 0; }
  /// Best first.
  const std::vector<Entry>& entries() const { return entries_; }

  /// Records `trial`'s value (once per trial: a repeated trial is ignored).
  void add(int64_t trial, double value);
  /// How many recorded values are strictly better than `value`.
  size_t better_than(double value) const;

  /// ASHA's promotion candidate: the best entry among the top floor(size / eta) not promoted yet.
  std::optional<Entry> promotable(double eta) const;
  void mark_promoted(int64_t trial) { promoted_.insert(trial); }
  bool promoted(int64_t trial) const { return promoted_.count(trial) > 0; }

 private:
  int level_;
  std::vector<Entry> entries_;
  std::unordered_set<int64_t> members_, promoted_;
};

/// How many entries of a rung of `size` move on: floor(size / eta), at least 1.
size_t top_count(size_t size, double eta);

}  // namespace metaevo::hpo
