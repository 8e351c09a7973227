#include "metaevo/run/stop_rules.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <limits>

#include "metaevo/core/error.h"
#include "metaevo/core/serialize.h"

namespace metaevo::run {

StopRules::StopRules(int64_t max_steps, double time_budget_s, EarlyStopping early)
    : max_steps_(max_steps),
      time_budget_s_(time_budget_s),
      early_(std::move(early)),
      best_(std::numeric_limits<double>::quiet_NaN()) {
  METAEVO_CHECK(early_.mode == "min" || early_.mode == "max", "early stopping: mode must be min or max, got '{}'",
                early_.mode);
}

std::string StopRules::reason(int64_t step, double elapsed_s) const {
  if (stopped_) return "early_stopping";
  if (max_steps_ > 0 && step >= max_steps_) return "steps";
  if (time_budget_s_ > 0 && elapsed_s >= time_budget_s_) return "time_budget";
  return "";
}

void StopRules::observe(const nlohmann::json& record) {
  if (early_.metric.empty()) return;
  if (!record.contains(early_.metric) || !record[early_.metric].is_number())
    fail("early_stopping_metric: validation has no number '{}' (it has: {})", early_.metric, record.dump());
  const double value = record[early_.metric].get<double>();
  if (std::isnan(best_) || (early_.mode == "min" ? value < best_ : value > best_)) {
    best_ = value;
    bad_ = 0;
  } else if (++bad_ >= early_.patience) {
    stopped_ = true;
    spdlog::info("early stopping: {} has not improved on {} for {} validations", early_.metric, best_, bad_);
  }
}

void StopRules::save(torch::serialize::OutputArchive& archive) const {
  write_scalar(archive, "stop/best", best_);
  write_scalar(archive, "stop/bad", double(bad_));
  write_scalar(archive, "stop/stopped", stopped_ ? 1 : 0);
}

void StopRules::load(torch::serialize::InputArchive& archive) {
  best_ = read_scalar(archive, "stop/best");
  bad_ = int64_t(read_scalar(archive, "stop/bad"));
  stopped_ = read_scalar(archive, "stop/stopped") != 0;
}

}  // namespace metaevo::run
