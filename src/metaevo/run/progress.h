#pragma once
// The one progress line of every long command, and the run's clock across resumes.
#include <chrono>
#include <string>

namespace metaevo::run {

/// "1h02m", "3m12s", "45s" ("?" when unknown).
std::string format_duration(double seconds);

/// A run's elapsed wall time: what earlier processes spent (from the checkpoint) plus this one's.
class RunClock {
 public:
  explicit RunClock(double before_s = 0) { restart(before_s); }
  void restart(double before_s);
  double elapsed_s() const;

 private:
  double before_s_ = 0;
  std::chrono::steady_clock::time_point start_;
};

/// "<unit> 120/500 | <detail> | 2.1 <unit>/s | ETA 3m12s", at most every `every_s` seconds (and
/// whenever forced). Rate and ETA come from this process's own steps, so a resumed run's ETA is
/// not skewed by the steps it inherited.
class Progress {
 public:
  /// `total` = 0: no step limit (the ETA then comes from the time budget alone, if any).
  Progress(std::string unit, int64_t total, double every_s = 5, double time_budget_s = 0);
  /// Where this process started: the step and elapsed time it resumed at.
  void start(int64_t step, double elapsed_s);
  /// Seconds left to `total` at this process's rate, capped by the time budget; -1 when unknown.
  double eta_s(int64_t step, double elapsed_s) const;
  /// Whether update() at `elapsed_s` would print (callers skip formatting a line it would drop).
  bool due(double elapsed_s, bool force = false) const { return force || elapsed_s - last_line_s_ >= every_s_; }
  /// Logs the line when `every_s` has passed since the last one, or when `force`.
  void update(int64_t step, double elapsed_s, const std::string& detail, bool force = false);

 private:
  std::string unit_;
  int64_t total_;
  double every_s_, time_budget_s_;
  int64_t start_step_ = 0;
  double start_elapsed_ = 0, last_line_s_ = -1e300;
};

}  // namespace metaevo::run
