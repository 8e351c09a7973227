#include "metaevo/munet/agents/agent_class.h"

#include "metaevo/munet/evolution.h"

namespace metaevo::munet {

std::pair<PathPtr, PathPtr> AgentClass::make_child(Population& population, const std::string& task, int64_t classes,
                                                   const Scorer& scorer, Rng& rng) const {
  auto parent = population.select_parent(
      task, [&](const Path& p) { return scorer(p); }, rng);
  auto child = population.make_child(parent, task, classes, rng);
  return {std::move(parent), std::move(child)};
}

void AgentClass::generation(AgentSearch& a, Rng& rng) const {
  const auto& task = a.splits.name;
  const auto [parent, child] = make_child(a.population, task, a.splits.classes, a.scorer, rng);
  train_child(a.population, parent, child, a.splits, a.scorer, a.s.train, a.s.seed, a.label);
  a.population.prune(
      task, [&](const Path& p) { return a.scorer(p); }, size_t(a.max_population));
  a.state.paths = a.population.paths(task);
}

double AgentClass::best_quality(const AgentSearch& a) const {
  const auto& own = a.population.paths(a.splits.name);
  return own.empty() ? 0.0 : own.front()->quality;
}

nlohmann::json AgentClass::finish(AgentSearch& a, AgentState& published) const {
  const auto& task = a.splits.name;
  if (a.population.paths(task).empty()) return nlohmann::json::object();
  const auto best = a.population.end_task(task, [&](const Path& p) { return a.scorer(p); });
  best->test_quality = evaluate(*best, a.splits.test, a.s.vit, a.s.train.batch_size);
  published.paths = {best};
  return {{"path", best->id},
          {"validation_accuracy", best->quality},
          {"test_accuracy", best->test_quality},
          {"score", a.scorer(*best)},
          {"accounted_params", accounted_params(*best)},
          {"uses", used_agents(*best, a.agent, a.store)},
          {"clones", cloned_agents(*best, a.agent, a.store)}};
}

std::set<std::string> owners_besides(const std::vector<int64_t>& ids, const std::string& self, AgentStore& store) {
  std::set<std::string> out;
  for (const auto id : ids) {
    const auto owner = store.owner_of(id);
    if (owner != self && owner != kRootOwner) out.insert(owner);
  }
  return out;
}

std::set<std::string> used_agents(const Path& path, const std::string& self, AgentStore& store) {
  std::vector<int64_t> ids;
  for (const auto& [name, c] : path.components) ids.push_back(c->id());
  return owners_besides(ids, self, store);
}

std::set<std::string> cloned_agents(const Path& path, const std::string& self, AgentStore& store) {
  std::vector<int64_t> origins;
  for (const auto& [name, c] : path.components)
    if (c->origin() != kNoOrigin && store.owner_of(c->id()) == self) origins.push_back(c->origin());
  return owners_besides(origins, self, store);
}

}  // namespace metaevo::munet
