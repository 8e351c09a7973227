#pragma once
// What the rung-based schedulers share: the milestones (the rung levels, then max_t), one Rung of
// results per milestone, and the running trials with the milestone each runs to.
#include <map>

#include "metaevo/hpo/rung.h"
#include "metaevo/hpo/scheduler.h"

namespace metaevo::hpo {

class RungScheduler : public Scheduler {
 public:
  explicit RungScheduler(const RungOptions& options);
  void on_job(const Job& job) override { running_[job.trial] = job.milestone; }
  void on_failure(int64_t trial) override { running_.erase(trial); }
  int max_resource() const override { return options_.max_t; }
  const std::vector<Rung>& rungs() const { return rungs_; }

 protected:
  /// kWait while trials run (a result may open a promotion), else kDone.
  Job idle() const;
  /// Index of the milestone equal to `resource`, or -1.
  int milestone_index(int resource) const;

  RungOptions options_;
  std::vector<Rung> rungs_;
  std::map<int64_t, int> running_;
};

}  // namespace metaevo::hpo
