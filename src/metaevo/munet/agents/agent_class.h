#pragma once
// An agent class: the method one agent of a multi-agent muNet system runs on its task (Gesmundo's
// multi-agent framework: each contributor brings its own method and settings). A class decides
// the population its agents evolve in (search space, mutations) and how one generation's child
// is made; the cycle around it (agents/agent.h) is shared. A new class is one file with a
// registration, reading its options from the config's `agent_classes.<name>` block.
#include <memory>
#include <string>
#include <utility>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/munet/evolve.h"

namespace metaevo::munet {

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
};

/// Classes by name; the factory reads the class's config block (empty when the config has none).
using AgentClassRegistry = Registry<AgentClass, const Config&>;

}  // namespace metaevo::munet
