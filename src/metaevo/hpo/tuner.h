#pragma once
// A tuning worker: claims a job (a new trial, a promotion, or a trial whose worker died), trains it
// epoch by epoch and reports each result, all through the study database. Any number of workers
// (processes, MPI ranks, hosts sharing a PostgreSQL study) serve one study; each keeps its own
// copy of the scheduler in step by replaying the event log before every decision. When the
// database makes a decision's transaction run again, the worker rebuilds its copy from the log
// rather than trust a state that may hold the decision that was rolled back.
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/hpo/objective.h"
#include "metaevo/hpo/sampler.h"
#include "metaevo/hpo/scheduler.h"
#include "metaevo/hpo/store.h"

namespace metaevo::hpo {

struct TunerOptions {
  int max_trials = 64;               // trials started, over all workers
  double orphan_timeout_s = 3600;    // a running trial of a silent worker on another host is taken over after this
  double poll_s = 0.5;               // how often an idle worker looks for work
  std::string checkpoints = "auto";  // auto | database | a folder

  template <class V>
  void visit(V& v) {
    v("max_trials", max_trials, "number of trials (configurations) the study starts");
    v("orphan_timeout_s", orphan_timeout_s,
      "seconds of silence after which another host's running trial is taken over");
    v("poll_s", poll_s, "seconds an idle worker waits before asking again");
    v("checkpoints", checkpoints,
      "where trial checkpoints live: database (hosts share nothing else), a folder (a shared filesystem), or auto "
      "(the database on a server, the output folder with SQLite)");
  }
  void validate() const {
    require(max_trials >= 1, "max_trials", "must be >= 1, got {}", max_trials);
    require(orphan_timeout_s > 0, "orphan_timeout_s", "must be > 0, got {}", orphan_timeout_s);
    require(poll_s > 0, "poll_s", "must be > 0, got {}", poll_s);
    require(!checkpoints.empty(), "checkpoints", "must be auto, database or a folder");
  }
};

/// Per trial: its configuration and the results replayed so far.
struct TrialState {
  TrialSummary summary;        // value in the scheduler's sense (higher is better)
  std::vector<double> values;  // objective's own sense, per epoch
  std::vector<double> tests;
  std::vector<Decision> decisions;  // per epoch, as logged
  double seconds = 0;
};

class Tuner {
 public:
  /// `scheduler` is a choice rather than an instance: the worker makes a fresh one whenever it has
  /// to rebuild its state from the log.
  Tuner(Store& store, Objective& objective, SearchSpace space, Choice scheduler, std::unique_ptr<Sampler> sampler,
        TunerOptions options, uint64_t seed, std::string trials_dir, std::string worker);

  /// Serves the study until the scheduler has nothing more to hand out and no trial runs.
  void run();
  /// Brings the scheduler and the trial table up to date with the event log.
  void sync();

  const Scheduler& scheduler() const { return *scheduler_; }
  /// Trial id -> state, for trials 1..n (index 0 unused).
  const std::vector<TrialState>& trials() const { return trials_; }
  int64_t epochs_reported() const { return epochs_; }
  /// (trial, epoch) of every result, in the order of the log.
  const std::vector<std::pair<int64_t, int>>& result_order() const { return order_; }
  /// A value of the objective as the scheduler compares it (higher is better).
  double scheduler_value(double value) const { return maximize_ ? value : -value; }
  double seconds_reported() const { return seconds_; }

 private:
  struct Claim {
    Job job;
    Assignment config;
    int reported = 0;  // epochs already in the log
  };
  std::optional<Claim> claim();
  void run_job(const Claim& claim);
  /// Records one epoch's result (and the checkpoint that goes with it, when checkpoints live in the
  /// database); returns the decision, or nullopt when the trial was taken over.
  std::optional<Decision> report(const Claim& claim, int epoch, const EpochMetrics& metrics,
                                 const std::optional<std::string>& checkpoint);
  /// Forgets everything replayed; the next sync() replays the whole log into a fresh scheduler.
  void forget();
  void fail_trial(int64_t trial, const std::string& why);
  void replay(const Event& event);
  /// The scheduler's decision on a result event, and the trial's bookkeeping.
  Decision apply_result(const Event& event);
  Event event(const char* kind, int64_t trial, int resource, int milestone) const;

  Store& store_;
  Objective& objective_;
  SearchSpace space_;
  Choice scheduler_choice_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<Sampler> sampler_;
  TunerOptions options_;
  uint64_t seed_;
  std::string trials_dir_, worker_, host_;
  bool maximize_;
  int64_t seen_ = 0, epochs_ = 0;
  double seconds_ = 0;
  std::vector<TrialState> trials_;
  std::vector<std::pair<int64_t, int>> order_;
};

/// The best trial: among those that reached the largest resource any trial reached, the best
/// value there. 0 when no trial has a result.
int64_t best_trial(const std::vector<TrialState>& trials);

}  // namespace metaevo::hpo
