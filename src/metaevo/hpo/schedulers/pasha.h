#pragma once
// PASHA (Bohdal et al., ICLR 2023; the reference is Syne Tune's PASHARungSystem after PR #536):
// promotion ASHA whose maximum resource starts at the second rung level and is raised one level
// whenever the two highest unlocked rungs rank their common trials inconsistently. Rankings are
// soft: values closer than epsilon count as tied, and epsilon is the noise of the rankings
// themselves, estimated from learning curves that cross and cross back.
#include <map>
#include <unordered_map>

#include "metaevo/hpo/schedulers/asha_promotion.h"

namespace metaevo::hpo {

/// True when, for every position i, the trial ranked i-th in `upper` is tied (within epsilon of
/// the i-th value, scanning outwards until the first larger gap) with the i-th of `lower`'s
/// ranking; both are restricted to the trials present in both rungs.
bool soft_ranking_consistent(const Rung& upper, const Rung& lower, double epsilon);

/// The ranking noise: for every pair of trials and every epoch at which their order is the one they
/// had before some reversal (curves that flipped and flipped back by then), the gap between their
/// values at that epoch. Updated as results arrive.
class RankingNoise {
 public:
  /// `trial`'s value after `epoch` epochs; each trial's epochs arrive in order.
  void add(int64_t trial, int epoch, double value);
  /// The 90th percentile (linear interpolation) of the gaps recorded at epochs in (lo, hi];
  /// `fallback` when there are none.
  double epsilon(int lo, int hi, double fallback) const;
  size_t gaps() const;

 private:
  std::unordered_map<int64_t, std::vector<double>> curves_;
  std::map<int, std::vector<int64_t>> reported_;  // epoch -> trials with a value there
  std::map<int, std::vector<double>> gaps_;       // epoch -> gaps that closed a criss-cross there
};

class Pasha : public AshaPromotion {
 public:
  explicit Pasha(const RungOptions& options);
  std::string name() const override { return "pasha"; }
  int max_resource() const override { return rungs_[cap_].level(); }
  Decision on_result(int64_t trial, int resource, double value) override;
  double epsilon() const { return epsilon_; }

 private:
  size_t cap_;  // index of the milestone trials may currently reach
  double epsilon_ = 0;
  RankingNoise noise_;
};

}  // namespace metaevo::hpo
