#pragma once
// An agent class: the method one agent of a multi-agent muNet system runs on its task (Gesmundo's
// multi-agent framework: each contributor brings its own method and settings). A class decides
// the population its agents evolve in (search space, mutations), what one generation does (by
// default: make a child path, train it, prune), and what a cycle publishes (by default: its best
// path); the cycle around them (agents/agent.h) is shared. A new class is one file with a
// registration, reading its options from the config's `agent_classes.<name>` block.
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/munet/agents/agent_store.h"
#include "metaevo/munet/evolve.h"

namespace metaevo::munet {

/// What a generation and a cycle's end work on.
struct AgentSearch {
  const EvolveSettings& s;
  const data::Splits& splits;  // the agent's task
  const std::string& agent;    // its id in the store
  AgentStore& store;
  Population& population;  // the system as the agent sees it, its own paths under its task
  const Scorer& scorer;
  AgentState& state;           // the agent's state, which generations update
  int64_t max_population = 4;  // the bound on the agent's own population
  std::string label;           // the generation, for log lines
};

class AgentClass {
 public:
  virtual ~AgentClass() = default;
  /// The search space of the class's population; by default the system config's.
  virtual HparamSpace space(const EvolveSettings& s) const { return s.space(); }
  /// The class's mutations; by default the system config's.
  virtual MutationOptions mutation(const EvolveSettings& s) const { return s.mutation; }
  /// One generation's parent and child for `task`, drawn with `rng`. By default muNet's: decay
  /// selection over the agent's own paths, else uniformly among every published path and the
  /// root, and a mutated child.
  virtual std::pair<PathPtr, PathPtr> make_child(Population& population, const std::string& task, int64_t classes,
                                                 const Scorer& scorer, Rng& rng) const;
  /// One generation, drawn with `rng`, leaving the agent's population in `search.state`. By
  /// default: a child from make_child, trained (train_child), the task's paths pruned to the bound.
  virtual void generation(AgentSearch& search, Rng& rng) const;
  /// The best validation accuracy among the agent's own models (0 when it has none yet).
  virtual double best_quality(const AgentSearch& search) const;
  /// The cycle's end: puts what the agent publishes in `published` (by default its best path,
  /// locked) and returns the publication record's fields: path (its id; null when there is
  /// nothing to publish), validation_accuracy, test_accuracy, and what else the class reports.
  virtual nlohmann::json finish(AgentSearch& search, AgentState& published) const;
};

/// The owners of components `ids`, besides `self` and the root.
std::set<std::string> owners_besides(const std::vector<int64_t>& ids, const std::string& self, AgentStore& store);
/// The agents whose components `path` uses (shares, frozen), besides `self` and the root.
std::set<std::string> used_agents(const Path& path, const std::string& self, AgentStore& store);
/// The agents whose trained components `self`'s own components of `path` are copies of (their
/// origins, component.h), besides the root.
std::set<std::string> cloned_agents(const Path& path, const std::string& self, AgentStore& store);

/// Classes by name; the factory reads the class's config block (empty when the config has none).
using AgentClassRegistry = Registry<AgentClass, const Config&>;

}  // namespace metaevo::munet
