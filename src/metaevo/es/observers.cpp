#include "metaevo/es/observers.h"

#include <spdlog/spdlog.h>

namespace metaevo::es {

void ProgressLogger::on_start(const RunState& state, bool resumed) {
  start_evals_ = state.evals;
  start_elapsed_ = state.elapsed_s;
  progress_.start(state.generation, state.elapsed_s);
  if (resumed) spdlog::info("resumed at generation {} ({} evaluations)", state.generation, state.evals);
}

void ProgressLogger::on_generation(const GenerationStats& stats, const Strategy& strategy) {
  const auto& s = stats.state;
  const bool force = !stats.report.empty();
  if (!progress_.due(s.elapsed_s, force)) return;
  const double rate = double(s.evals - start_evals_) / std::max(1e-9, s.elapsed_s - start_elapsed_);
  std::string detail = fmt::format("best {:.6g} | mean {:.6g} | best ever {:.6g} | {:.0f} evals/s", stats.best,
                                   stats.mean, s.best_fitness, rate);
  for (const auto& [k, v] : stats.report.items()) detail += fmt::format(" | {} {}", k, v.dump());
  progress_.update(s.generation, s.elapsed_s, detail, force);
}

void ProgressLogger::on_finish(const RunState& state, const std::string& reason) {
  spdlog::info("stopped after generation {} ({}), {} evaluations in {}", state.generation, reason, state.evals,
               run::format_duration(state.elapsed_s));
}

void MetricsWriter::on_start(const RunState& state, bool resumed) {
  log_ = std::make_unique<run::MetricsLog>(path_, "generation",
                                           resumed ? std::optional<int64_t>(state.generation) : std::nullopt);
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
  log_->append(record);
}

}  // namespace metaevo::es
