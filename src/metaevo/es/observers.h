#pragma once
// Standard observers of the ES driver: a periodic progress line with ETA, and a JSONL metrics file
// that stays consistent with the checkpoint across kill-and-resume.
#include <fstream>
#include <string>

#include "metaevo/es/driver.h"

namespace metaevo::es {

/// Logs "gen 120/500 | best ... | evals/s ... | ETA 3m12s" at most every `every_s` seconds, and
/// always for generations with a report.
class ProgressLogger : public Observer {
 public:
  ProgressLogger(int64_t generations, double every_s) : generations_(generations), every_s_(every_s) {}
  void on_start(const RunState& state, bool resumed) override;
  void on_generation(const GenerationStats& stats, const Strategy& strategy) override;
  void on_finish(const RunState& state, const std::string& reason) override;

 private:
  int64_t generations_;
  double every_s_;
  double last_log_s_ = -1e300;
  int64_t start_evals_ = 0;
  double start_elapsed_ = 0;
};

/// One JSON object per generation in `path`. On resume, records from generations after the
/// checkpoint are dropped first, so the file equals that of an uninterrupted run.
class MetricsWriter : public Observer {
 public:
  explicit MetricsWriter(std::string path) : path_(std::move(path)) {}
  void on_start(const RunState& state, bool resumed) override;
  void on_generation(const GenerationStats& stats, const Strategy& strategy) override;

 private:
  std::string path_;
  std::ofstream out_;
};

/// "1h02m", "3m12s", "45s".
std::string format_duration(double seconds);

}  // namespace metaevo::es
