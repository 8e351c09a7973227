#include "metaevo/es/strategy.h"

namespace metaevo::es {

Sense parse_sense(const std::string& name) {
  if (name == "minimize") return Sense::kMinimize;
  if (name == "maximize") return Sense::kMaximize;
  fail("sense: expected 'minimize' or 'maximize', got '{}'", name);
}

const char* sense_name(Sense sense) { return sense == Sense::kMinimize ? "minimize" : "maximize"; }

std::unique_ptr<Strategy> make_strategy(const Config& config, const StrategyContext& context) {
  const auto name = config.get<std::string>("name", "openai_es");
  return StrategyRegistry::instance().create(name, config.origin() + ": " + config.path("name"), config, context);
}

}  // namespace metaevo::es
