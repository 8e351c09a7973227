#include "metaevo/hpo/scheduler.h"

#include <cmath>

namespace metaevo::hpo {

const char* decision_name(Decision decision) {
  switch (decision) {
    case Decision::kContinue:
      return "continue";
    case Decision::kPause:
      return "pause";
    default:
      return "stop";
  }
}

Decision parse_decision(const std::string& name) {
  if (name == "continue") return Decision::kContinue;
  if (name == "pause") return Decision::kPause;
  if (name == "stop") return Decision::kStop;
  fail("unknown decision '{}'", name);
}

void RungOptions::validate() const {
  require(r_min >= 1, "r_min", "must be >= 1, got {}", r_min);
  require(eta > 1, "eta", "must be > 1, got {}", eta);
  require(max_t >= r_min, "max_t", "must be >= r_min ({}), got {}", r_min, max_t);
}

std::vector<int> rung_levels(int r_min, double eta, int max_t) {
  std::vector<int> levels;
  for (double r = r_min; std::lround(r) < max_t; r *= eta) {
    const int level = int(std::lround(r));
    if (levels.empty() || level > levels.back()) levels.push_back(level);
  }
  return levels;
}

std::unique_ptr<Scheduler> make_scheduler(const Choice& choice) {
  return SchedulerRegistry::instance().create(choice.name, choice.origin.empty() ? "scheduler" : choice.origin, choice);
}

}  // namespace metaevo::hpo
