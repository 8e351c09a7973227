#include "metaevo/hpo/schedulers/asha_promotion.h"

namespace metaevo::hpo {

Job AshaPromotion::next_job(bool can_start) const {
  const int cap = max_resource();
  for (int k = int(rungs_.size()) - 2; k >= 0; --k) {
    if (rungs_[k].level() >= cap) continue;
    if (auto best = rungs_[k].promotable(options_.eta))
      return Job{Job::Kind::kResume, best->trial, rungs_[k].level(), rungs_[k + 1].level()};
  }
  if (can_start) return Job{Job::Kind::kStart, -1, 0, rungs_.front().level()};
  return idle();
}

void AshaPromotion::on_job(const Job& job) {
  RungScheduler::on_job(job);
  if (job.kind == Job::Kind::kResume) rungs_[milestone_index(job.from)].mark_promoted(job.trial);
}

Decision AshaPromotion::on_result(int64_t trial, int resource, double value) {
  const auto it = running_.find(trial);
  METAEVO_CHECK(it != running_.end(), "trial {} reported a result but is not running", trial);
  if (resource < it->second) return Decision::kContinue;
  rungs_[milestone_index(it->second)].add(trial, value);
  running_.erase(it);
  return resource >= options_.max_t ? Decision::kStop : Decision::kPause;
}

namespace {
const Registrar<SchedulerRegistry> asha_promotion_registration(
    "asha_promotion", [](const Choice& c) { return std::make_unique<AshaPromotion>(read_choice<RungOptions>(c)); },
    variant_doc<RungOptions>("asynchronous successive halving, promotion form (Li et al. 2020)"));
}

}  // namespace metaevo::hpo
