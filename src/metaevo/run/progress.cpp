#include "metaevo/run/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace metaevo::run {

std::string format_duration(double s) {
  if (s < 0 || !std::isfinite(s)) return "?";
  const auto total = int64_t(std::llround(s));
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

void RunClock::restart(double before_s) {
  before_s_ = before_s;
  start_ = std::chrono::steady_clock::now();
}

double RunClock::elapsed_s() const {
  return before_s_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Progress::Progress(std::string unit, int64_t total, double every_s, double time_budget_s)
    : unit_(std::move(unit)), total_(total), every_s_(every_s), time_budget_s_(time_budget_s) {}

void Progress::start(int64_t step, double elapsed_s) {
  start_step_ = step;
  start_elapsed_ = elapsed_s;
}

double Progress::eta_s(int64_t step, double elapsed_s) const {
  double eta = -1;
  if (total_ > 0 && step > start_step_)
    eta = (elapsed_s - start_elapsed_) / double(step - start_step_) * double(std::max<int64_t>(0, total_ - step));
  if (time_budget_s_ > 0) {
    const double left = std::max(0.0, time_budget_s_ - elapsed_s);
    eta = eta < 0 ? left : std::min(eta, left);
  }
  return eta;
}

void Progress::update(int64_t step, double elapsed_s, const std::string& detail, bool force) {
  if (!due(elapsed_s, force)) return;
  last_line_s_ = elapsed_s;
  const double rate = double(step - start_step_) / std::max(1e-9, elapsed_s - start_elapsed_);
  const std::string total = total_ > 0 ? fmt::format("/{}", total_) : "";
  spdlog::info("{} {}{}{}{} | {:.3g} {}/s | ETA {}", unit_, step, total, detail.empty() ? "" : " | ", detail, rate,
               unit_, format_duration(eta_s(step, elapsed_s)));
}

}  // namespace metaevo::run
