#include "metaevo/munet/agents/agent_class.h"

namespace metaevo::munet {

std::pair<PathPtr, PathPtr> AgentClass::make_child(Population& population, const std::string& task, int64_t classes,
                                                   const Scorer& scorer, Rng& rng) const {
  auto parent = population.select_parent(
      task, [&](const Path& p) { return scorer(p); }, rng);
  auto child = population.make_child(parent, task, classes, rng);
  return {std::move(parent), std::move(child)};
}

}  // namespace metaevo::munet
