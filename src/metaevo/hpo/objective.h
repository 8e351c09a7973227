#pragma once
// What a tuner trains: an objective opens a run of one configuration, which trains one epoch (the
// resource unit) at a time and checkpoints so a paused or interrupted trial continues instead of
// restarting. The metrics of every epoch live in the checkpoint too, so after a crash between
// checkpoint and report the result is re-reported rather than lost or retrained.
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/hpo/space.h"

namespace metaevo::hpo {

struct EpochMetrics {
  double value = std::numeric_limits<double>::quiet_NaN();  // what the scheduler compares
  double test = std::numeric_limits<double>::quiet_NaN();   // held-out score, reported only
  double seconds = 0;                                       // cost of the epoch (simulated for tables)
};

class TrialRun {
 public:
  virtual ~TrialRun() = default;
  /// Epochs trained so far (from the checkpoint, if one was loaded).
  virtual int epoch() const = 0;
  /// The metrics of epoch e, 1 <= e <= epoch().
  virtual EpochMetrics recorded(int e) const = 0;
  virtual EpochMetrics train_epoch() = 0;
  /// Writes the checkpoint (atomically: a kill leaves the old or the new one).
  virtual void save() = 0;
};

class Objective {
 public:
  virtual ~Objective() = default;
  /// The space used when the config has no `space` section.
  virtual SearchSpace default_space() const = 0;
  /// Whether larger values are better (accuracies) or smaller (losses).
  virtual bool maximize() const { return true; }
  /// A run of `config`; continues from `checkpoint` when that file exists.
  virtual std::unique_ptr<TrialRun> open(const Assignment& config, uint64_t seed, const std::string& checkpoint) = 0;
};

/// Built from the config section `objective` (its key `type` picks the entry).
using ObjectiveRegistry = Registry<Objective, const Config&>;
std::unique_ptr<Objective> make_objective(const Config& section);

}  // namespace metaevo::hpo
