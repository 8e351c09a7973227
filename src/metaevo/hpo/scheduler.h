#pragma once
// A multi-fidelity scheduler decides which trial a free worker runs next and how far, and what a
// trial does after each result. It only sees calls (jobs handed out, results), never time or
// storage: the tuner replays the study's event log into it, so every worker process, and a resumed
// tuner, rebuilds exactly the same state, and the simulator drives it on recorded curves.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/core/registry.h"

namespace metaevo::hpo {

struct Job {
  enum class Kind {
    kStart,   // a new trial, trained from scratch up to `milestone`
    kResume,  // `trial`, paused at `from`, continues from its checkpoint up to `milestone`
    kWait,    // nothing to hand out until a running trial reports
    kDone,    // nothing will come: the study is over
  };
  Kind kind = Kind::kDone;
  int64_t trial = -1;
  int from = 0;
  int milestone = 0;
};

enum class Decision {
  kContinue,  // train the next epoch
  kPause,     // stop at this milestone; the scheduler may resume it later
  kStop,      // finished: reached the maximum resource, or dropped by the stopping rule
};
const char* decision_name(Decision decision);
Decision parse_decision(const std::string& name);

/// The settings of the rung-based schedulers (asha_stopping, asha_promotion, pasha; hyperband
/// adds its brackets). Each scheduler reads its own options from the `scheduler` block.
struct RungOptions {
  int r_min = 1;   // smallest resource (epochs) a trial gets before the first decision
  double eta = 3;  // reduction factor: about 1/eta of a rung moves on to the next
  int max_t = 27;  // the largest resource (epochs) of a trial

  template <class V>
  void visit(V& v) {
    v("r_min", r_min, "minimum resource: rung levels are r_min * eta^k");
    v("eta", eta, "reduction factor (> 1)");
    v("max_t", max_t, "maximum resource per trial");
  }
  void validate() const;
};

/// Rung levels round(r_min * eta^k) below max_t, increasing and distinct.
std::vector<int> rung_levels(int r_min, double eta, int max_t);

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string name() const = 0;
  /// What a free worker should do now. `can_start`: the study's trial budget allows a new trial.
  virtual Job next_job(bool can_start) const = 0;
  /// A job from next_job was handed out; for kStart, `job.trial` is the new trial's id.
  virtual void on_job(const Job& job) = 0;
  /// A result (higher is better) of `trial` after `resource` epochs; what the trial does next.
  virtual Decision on_result(int64_t trial, int resource, double value) = 0;
  /// A trial that failed leaves the running set and is never resumed.
  virtual void on_failure(int64_t trial) = 0;
  /// The largest resource a trial may currently reach (PASHA raises it as it goes).
  virtual int max_resource() const = 0;
};

using SchedulerRegistry = Registry<Scheduler, const Choice&>;
/// The scheduler `choice` names, reading its own settings; an Error naming the block otherwise.
std::unique_ptr<Scheduler> make_scheduler(const Choice& choice);
/// The default choice of the `scheduler` block.
inline Choice default_scheduler() { return {"asha_promotion"}; }

}  // namespace metaevo::hpo
