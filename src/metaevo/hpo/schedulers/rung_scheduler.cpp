#include "metaevo/hpo/schedulers/rung_scheduler.h"

namespace metaevo::hpo {

RungScheduler::RungScheduler(const RungOptions& options) : options_(options) {
  for (int level : rung_levels(options.r_min, options.eta, options.max_t)) rungs_.emplace_back(level);
  rungs_.emplace_back(options.max_t);
}

Job RungScheduler::idle() const {
  Job job;
  job.kind = running_.empty() ? Job::Kind::kDone : Job::Kind::kWait;
  return job;
}

int RungScheduler::milestone_index(int resource) const {
  for (size_t k = 0; k < rungs_.size(); ++k)
    if (rungs_[k].level() == resource) return int(k);
  return -1;
}

}  // namespace metaevo::hpo
