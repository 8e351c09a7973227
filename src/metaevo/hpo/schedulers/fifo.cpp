// Every trial trains to max_t: random search without early stopping. The baseline the
// multi-fidelity schedulers are measured against, and how full learning curves are recorded.
#include "metaevo/hpo/schedulers/rung_scheduler.h"

namespace metaevo::hpo {
namespace {

struct FifoOptions {
  int max_t = 27;
  template <class V>
  void visit(V& v) {
    v("max_t", max_t, "resource every trial trains to");
  }
  void validate() const { require(max_t >= 1, "max_t", "must be >= 1, got {}", max_t); }
};

class Fifo : public RungScheduler {
 public:
  // max_t is the only milestone.
  explicit Fifo(const FifoOptions& o) : RungScheduler(RungOptions{o.max_t, 2, o.max_t}) {}
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

const Registrar<SchedulerRegistry> fifo_registration(
    "fifo", [](const Choice& c) { return std::make_unique<Fifo>(read_choice<FifoOptions>(c)); },
    variant_doc<FifoOptions>("every trial trains to max_t: random search without early stopping"));

}  // namespace
}  // namespace metaevo::hpo
