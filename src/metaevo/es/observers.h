#pragma once
// The ES driver's ties to the run lifecycle: the progress line and the metrics log (run/), fed
// one generation at a time.
#include <memory>
#include <string>

#include "metaevo/es/driver.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/progress.h"

namespace metaevo::es {

/// "gen 120/500 | best ... | evals/s ... | ETA 3m12s" at most every `every_s` seconds, and always
/// for generations with a report.
class ProgressLogger : public Observer {
 public:
  explicit ProgressLogger(const DriverOptions& options)
      : progress_("gen", options.generations, options.log_every_s, options.time_budget_s) {}
  void on_start(const RunState& state, bool resumed) override;
  void on_generation(const GenerationStats& stats, const Strategy& strategy) override;
  void on_finish(const RunState& state, const std::string& reason) override;

 private:
  run::Progress progress_;
  int64_t start_evals_ = 0;
  double start_elapsed_ = 0;
};

/// One record per generation in the run's metrics log (x axis "generation"); on resume the log
/// keeps the generations the checkpoint covers.
class MetricsWriter : public Observer {
 public:
  explicit MetricsWriter(std::string path) : path_(std::move(path)) {}
  void on_start(const RunState& state, bool resumed) override;
  void on_generation(const GenerationStats& stats, const Strategy& strategy) override;

 private:
  std::string path_;
  std::unique_ptr<run::MetricsLog> log_;
};

}  // namespace metaevo::es
