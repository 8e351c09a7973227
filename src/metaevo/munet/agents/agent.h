#pragma once
// One agent of a multi-agent muNet system: bound to one task, running one agent class, for a
// number of cycles or a time budget, on a shared AgentStore. A cycle, as in the reference:
// load the system (every other agent's latest publication, this agent's own latest state) ->
// start the cycle (unlock the agent's own paths) -> generations of make a child / train /
// evaluate / keep it if it improved -> prune the task population to its bound -> save the
// intermediate state -> ... -> end the cycle (keep the best path, lock it) -> measure its test
// accuracy -> publish. Every choice derives from (seed, agent, cycle, generation) and ids, and a
// restarted agent continues its cycle on the view it started from, so a killed agent resumes
// where it was and ends as the uninterrupted one would.
#include <string>

#include "metaevo/core/options.h"
#include "metaevo/munet/agents/agent_class.h"
#include "metaevo/munet/agents/agent_store.h"

namespace metaevo::munet {

struct AgentOptions {
  int64_t cycles = 2;          // cycles to publish (counted over restarts)
  int64_t generations = 8;     // children trained per cycle (the reference's samples per cycle)
  int64_t max_population = 4;  // the task population's bound after each generation
  double budget_s = 0;         // no cycle starts after this many seconds of this process (0 = no limit)
  template <class V>
  void visit(V& v) {
    v("cycles", cycles, "cycles each agent publishes");
    v("generations", generations, "children trained per cycle");
    v("max_population", max_population, "paths an agent keeps for its task between generations");
    v("budget_s", budget_s, "no new cycle starts after this many seconds (0 = no limit)");
  }
  void validate() const;
};

/// The `agents` block: which agents `metaevo agents` starts.
struct AgentsOptions {
  std::vector<std::string> classes{"munet"};  // every class runs on every task of `tasks`
  int64_t parallel = 4;
  template <class V>
  void visit(V& v) {
    v("classes", classes, "agent classes; each runs on every task of `tasks`");
    v("parallel", parallel, "agents running at once (local processes; under mpirun one per rank)");
  }
  void validate() const {
    require(!classes.empty(), "classes", "name at least one agent class");
    require(parallel >= 1, "parallel", "must be >= 1, got {}", parallel);
  }
};

/// `class/task`, the agent's id in the store.
std::string agent_id(const std::string& agent_class, const std::string& task);

/// The part of the system settings every agent must share (seed, ViT, score, root): the store's
/// fingerprint.
nlohmann::json agent_system_identity(const EvolveSettings& s);

/// Checks the store's settings against `s` and makes the root if it has none (pretrained or
/// adopted as `s.root` says, its record written to `output`/pretrain.json).
void prepare_agent_system(AgentStore& store, const EvolveSettings& s, const std::string& output);

struct AgentRun {
  int64_t cycles = 0;  // cycles published in all
  PathPtr best;        // the last published path (null when no cycle was published)
};

/// Runs agent `agent_class`/`task.name` until it has published `o.cycles` cycles (or the budget
/// ends), writing publications.jsonl (one record per published cycle, before the store's
/// publication) to `output`.
AgentRun run_agent(const EvolveSettings& s, const AgentOptions& o, const std::string& agent_class,
                   const AgentClass& method, const data::Splits& task, AgentStore& store, const std::string& output);

/// Every agent's log (publications.jsonl) against the store: a logged cycle the store lacks is
/// lost, a published one no log holds is unlogged, one held twice is duplicated, and one whose
/// path or test accuracy differs is mismatched; `problems` says which.
struct PublicationCheck {
  int64_t published = 0, logged = 0, lost = 0, unlogged = 0, duplicated = 0, mismatched = 0;
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
  nlohmann::json to_json() const;
};
/// `logs` maps each agent id to its publications.jsonl.
PublicationCheck check_publications(AgentStore& store, const std::map<std::string, std::string>& logs);

/// Per task, the system's answer: the best published path across agents by `score` (agent, path,
/// accuracies, accounted parameters), the agents whose components it shares (`uses`), the agents
/// whose trained components its own ones are copies of (`clones`), and the agent whose published
/// path its own line of paths started from (`builds_on`: empty when it started from the root).
/// A published multipath model whose validation accuracy beats that score answers instead (its
/// `uses`: the owners of its paths' components; no `clones`, as it references paths whole;
/// `builds_on`: its main path's owner; no accounted parameters).
nlohmann::json agent_system_summary(AgentStore& store, const ScoreOptions& score);

/// Per agent, from the store and a summary: cycles published, its latest published path's test
/// accuracy (null when it published none), whether it is its task's winner, and the tasks whose
/// winning path shares or clones its components or builds on its path.
nlohmann::json agent_contributions(AgentStore& store, const nlohmann::json& summary);

}  // namespace metaevo::munet
