#include "metaevo/es/observers.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "metaevo/core/atomic_file.h"

namespace metaevo::es {

std::string format_duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  const auto total = int64_t(std::llround(s));
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

void ProgressLogger::on_start(const RunState& state, bool resumed) {
  start_evals_ = state.evals;
  start_elapsed_ = state.elapsed_s;
  if (resumed) spdlog::info("resumed at generation {} ({} evaluations)", state.generation, state.evals);
}

void ProgressLogger::on_generation(const GenerationStats& stats, const Strategy& strategy) {
  const auto& s = stats.state;
  if (s.elapsed_s - last_log_s_ < every_s_ && stats.report.empty()) return;
  last_log_s_ = s.elapsed_s;
  const double rate = double(s.evals - start_evals_) / std::max(1e-9, s.elapsed_s - start_elapsed_);
  std::string report;
  for (const auto& [k, v] : stats.report.items()) report += fmt::format(" | {} {}", k, v.dump());
  const std::string total = generations_ > 0 ? fmt::format("/{}", generations_) : "";
  spdlog::info("gen {}{} | best {:.6g} | mean {:.6g} | best ever {:.6g} | {:.0f} evals/s | ETA {}{}", s.generation,
               total, stats.best, stats.mean, s.best_fitness, rate, format_duration(stats.eta_s), report);
}

void ProgressLogger::on_finish(const RunState& state, const std::string& reason) {
  spdlog::info("stopped after generation {} ({}), {} evaluations in {}", state.generation, reason, state.evals,
               format_duration(state.elapsed_s));
}

void MetricsWriter::on_start(const RunState& state, bool resumed) {
  if (resumed && std::filesystem::exists(path_)) {
    std::istringstream in(read_file(path_));
    std::string kept;
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      // A torn last line (killed mid-write) is dropped like any record past the checkpoint.
      if (record.is_discarded() || record.value("generation", int64_t(0)) > state.generation) continue;
      kept += line + "\n";
    }
    write_file_atomic(path_, kept);
    out_.open(path_, std::ios::app);
  } else {
    out_.open(path_, std::ios::trunc);
  }
  if (!out_) fail("{}: cannot write metrics", path_);
}

void MetricsWriter::on_generation(const GenerationStats& stats, const Strategy& strategy) {
  nlohmann::json record = {{"generation", stats.state.generation},
                           {"evals", stats.state.evals},
                           {"elapsed_s", stats.state.elapsed_s},
                           {"seconds", stats.seconds},
                           {"best", stats.best},
                           {"mean", stats.mean},
                           {"worst", stats.worst},
                           {"best_ever", stats.state.best_fitness}};
  for (const auto& [k, v] : stats.report.items()) record[k] = v;
  out_ << record.dump() << "\n";
  out_.flush();
}

}  // namespace metaevo::es
