// Every trial trains to max_t: random search without early stopping. The baseline the
// multi-fidelity schedulers are measured against, and how full learning curves are recorded.
#include "metaevo/hpo/schedulers/rung_scheduler.h"

namespace metaevo::hpo {
namespace {

class Fifo : public RungScheduler {
 public:
  using RungScheduler::RungScheduler;
  std::string name() const override { return "fifo"; }

  Job next_job(bool can_start) const override {
    if (!can_start) return idle();
    return Job{Job::Kind::kStart, -1, 0, options_.max_t};
  }

  Decision on_result(int64_t trial, int resource, double value) override {
    if (resource < options_.max_t) return Decision::kContinue;
    rungs_.back().add(trial, value);
    running_.erase(trial);
    return Decision::kStop;
  }
};

const Registrar<SchedulerRegistry> fifo_registration("fifo", [](const SchedulerOptions& o) {
  return std::make_unique<Fifo>(o);
});

}  // namespace
}  // namespace metaevo::hpo
