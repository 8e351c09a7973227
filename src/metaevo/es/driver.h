#pragma once
// The ES loop: ask -> evaluate -> tell -> observers, with stop criteria, a time budget and
// atomic checkpoints. Everything that is not the algorithm (progress, metrics files, checkpoints)
// is an observer, as ensmallen's callbacks are.
#include <torch/torch.h>

#include <functional>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/es/problem.h"
#include "metaevo/es/strategy.h"
#include "metaevo/run/checkpointer.h"
#include "metaevo/run/stop_rules.h"

namespace metaevo::es {

struct DriverOptions {
  int64_t generations = 100;                                 // 0 = no generation limit
  double time_budget_s = 0;                                  // 0 = no time limit
  int64_t max_evals = 0;                                     // 0 = no evaluation limit
  double target = std::numeric_limits<double>::quiet_NaN();  // stop when best fitness reaches it
  int64_t report_every = 10;                                 // generations between problem reports (e.g. test accuracy)
  int64_t checkpoint_every = 10;      // generations between checkpoints (needs a checkpoint path)
  double log_every_s = 5;             // seconds between progress lines
  std::string update = "replicated";  // under MPI: replicated | all_reduce | sliced (see Driver::distribute)
  template <class V>
  void visit(V& v) {
    v("generations", generations, "generation limit (0 = none)");
    v("time_budget_s", time_budget_s, "wall-clock limit in seconds (0 = none)");
    v("max_evals", max_evals, "evaluation limit (0 = none)");
    v("target", target, "stop once the best fitness of a generation reaches this value");
    v("report_every", report_every, "generations between problem reports (test accuracy, ...)");
    v("checkpoint_every", checkpoint_every, "generations between checkpoints");
    v("log_every_s", log_every_s, "seconds between progress lines");
    v("update", update,
      "under MPI, replicated (every process computes the whole update; bitwise equal to one process) | "
      "all_reduce (processes split the update's noise sums; O(parameters) traffic) | "
      "sliced (each process updates its slice of the parameters from every perturbation and the slices are "
      "all-gathered; O(parameters) traffic, no process makes the whole update)");
  }
  void validate() const;
};

/// Counters that must survive a resume.
struct RunState {
  int64_t generation = 0;
  int64_t evals = 0;
  double elapsed_s = 0;
  double best_fitness = std::numeric_limits<double>::quiet_NaN();  // best single evaluation so far
};

struct GenerationStats {
  RunState state;                        // after this generation
  double best = 0, mean = 0, worst = 0;  // of this generation's fitness values
  double seconds = 0;                    // this generation's wall time
  nlohmann::json report;                 // problem.report(center), when computed
};

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_start(const RunState& state, bool resumed) {}
  virtual void on_generation(const GenerationStats& stats, const Strategy& strategy) {}
  virtual void on_finish(const RunState& state, const std::string& reason) {}
};

struct RunResult {
  RunState state;
  std::string stop_reason;
  torch::Tensor center;
  nlohmann::json report;  // problem.report(center) at the end
  /// Seconds this run spent in the strategy's update (tell), its collectives left out: with
  /// `update: replicated` every process repeats it, so it bounds the speed-up of more processes
  /// (Amdahl).
  double update_s = 0;
  /// Seconds this process spent in the job's collectives (fitness gathering, the stop decision, an
  /// update's sharing), waiting for slower processes included: the traffic term of a time model.
  double comm_s = 0;
};

class Driver {
 public:
  Driver(Strategy& strategy, Problem& problem, DriverOptions options);

  void add_observer(std::shared_ptr<Observer> observer) { observers_.push_back(std::move(observer)); }
  /// Where checkpoints go (kind "es"); its fingerprint ties them to the run's settings.
  void set_checkpoint(run::Checkpointer checkpointer) { checkpointer_ = std::move(checkpointer); }
  /// Loads the checkpoint if it exists; returns whether it did. Errors name the file.
  bool resume();
  /// Runs as one process of a job. Each process evaluates its shard of every generation (whole
  /// eval chunks) and the fitness values are all-gathered: the only per-generation traffic, as
  /// every process rebuilds the perturbations from the counter-based noise and makes the same
  /// update. Rank 0's stop decision is followed; only rank 0 reports and writes checkpoints;
  /// resume() loads rank 0's checkpoint on every process. With `update: all_reduce` the update's
  /// noise sums are split too, with `update: sliced` its parameters (Strategy::share_update).
  /// Call before resume().
  void distribute(dist::Communicator& comm);

  RunResult run();
  const RunState& state() const { return state_; }

 private:
  void save_checkpoint() const;
  torch::Tensor evaluate(const Population& pop);
  bool primary() const { return !comm_ || comm_->rank() == 0; }
  std::string stop_reason(double elapsed_s) const;

  Strategy& strategy_;
  Problem& problem_;
  DriverOptions o_;
  run::StopRules stop_;  // generations and time budget; the driver adds evals, target and the strategy's own
  RunState state_;
  bool resumed_ = false;
  run::Checkpointer checkpointer_;
  dist::Communicator* comm_ = nullptr;
  double comm_s_ = 0;  // see RunResult::comm_s
  std::vector<std::shared_ptr<Observer>> observers_;
};

}  // namespace metaevo::es
