// ASHA, stopping form (Li et al. 2020, as most libraries implement it): every trial is started to
// run to max_t; when it reaches a rung level it continues only if it ranks within the top
// floor(n / eta) (at least 1) of the n results recorded at that level so far, itself included.
// Ties with the cutoff continue. A trial reaching a rung early is judged on the few results there
// (with fewer than eta, only a new best continues): decisions are never revisited.
#include "metaevo/hpo/schedulers/rung_scheduler.h"

namespace metaevo::hpo {
namespace {

class AshaStopping : public RungScheduler {
 public:
  using RungScheduler::RungScheduler;
  std::string name() const override { return "asha_stopping"; }

  Job next_job(bool can_start) const override {
    if (!can_start) return idle();
    return Job{Job::Kind::kStart, -1, 0, options_.max_t};
  }

  Decision on_result(int64_t trial, int resource, double value) override {
    const int k = milestone_index(resource);
    if (k < 0) return Decision::kContinue;
    Rung& rung = rungs_[k];
    rung.add(trial, value);
    const bool keep = resource < options_.max_t && rung.better_than(value) < top_count(rung.size(), options_.eta);
    if (keep) return Decision::kContinue;
    running_.erase(trial);
    return Decision::kStop;
  }
};

const Registrar<SchedulerRegistry> asha_stopping_registration(
    "asha_stopping", [](const Choice& c) { return std::make_unique<AshaStopping>(read_choice<RungOptions>(c)); },
    variant_doc<RungOptions>("asynchronous successive halving, stopping form (early stopping at each rung)"));

}  // namespace
}  // namespace metaevo::hpo
