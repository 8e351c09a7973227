#pragma once
// ASHA, promotion form (the paper's algorithm, Li et al. 2020): trials pause at every rung level. A
// free worker resumes, from its checkpoint, the best trial not promoted yet among the top
// floor(n / eta) of the highest rung that has one, else starts a new trial at the lowest level.
// Rungs at or above max_resource() do not promote, which is the hook PASHA moves.
#include "metaevo/hpo/schedulers/rung_scheduler.h"

namespace metaevo::hpo {

class AshaPromotion : public RungScheduler {
 public:
  using RungScheduler::RungScheduler;
  std::string name() const override { return "asha_promotion"; }
  Job next_job(bool can_start) const override;
  void on_job(const Job& job) override;
  Decision on_result(int64_t trial, int resource, double value) override;
};

}  // namespace metaevo::hpo
