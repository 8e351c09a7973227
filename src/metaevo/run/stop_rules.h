#pragma once
// The stop rules every long command shares: a step limit, a time budget, and early stopping on a
// named metric of the validation records. Their state goes into the run's checkpoint, so a
// resumed run stops where an uninterrupted one would.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace metaevo::run {

struct EarlyStopping {
  std::string metric;        // empty: off
  std::string mode = "min";  // min | max: which direction is better
  int64_t patience = 5;      // validations without improvement before stopping
};

class StopRules {
 public:
  /// `max_steps` and `time_budget_s`: 0 = no limit.
  StopRules(int64_t max_steps, double time_budget_s, EarlyStopping early = {});

  /// Empty while the run may go on; otherwise why it stops: "steps", "time_budget" or
  /// "early_stopping".
  std::string reason(int64_t step, double elapsed_s) const;
  /// Feeds one validation record to early stopping (a record without the metric is an Error).
  void observe(const nlohmann::json& record);
  /// The best value of the watched metric so far (NaN before any).
  double best() const { return best_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  int64_t max_steps_;
  double time_budget_s_;
  EarlyStopping early_;
  double best_;
  int64_t bad_ = 0;
  bool stopped_ = false;
};

}  // namespace metaevo::run
