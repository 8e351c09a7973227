#pragma once
// The shared system of many agents (muNet's multi-agent framework, Gesmundo 2022): one database
// (a SQLite file on one host, PostgreSQL across hosts) where every agent writes only what it owns.
//   components  id, owner, name, final, origin (component.h), tensors. Ids are unique across the
//               system: agent number n (given at registration) makes ids in [n << 40, (n + 1) << 40);
//               the root is number 0. A component in a published state is final and never written
//               again.
//   states      owner, cycle, generation, state (JSON). (c, 0) is the state an agent publishes when
//               its c-th cycle ends: its retained path with its own ancestors, or its multipath
//               model (whose router and connectors are one component of its own). (c, g > 0) is its
//               intermediate state after g generations of cycle c + 1, replaced by the next one
//               and deleted, with its unpublished components, when the cycle is published.
// Every save is one transaction, so a reader sees a cycle published whole or not at all. Foreign
// components are immutable to an agent: a save that holds another owner's component that is not
// stored, or whose tensors differ from the stored ones (their hash), is refused, as is one that
// would change a final component of its own. Ownership and immutability, not locks, make agents
// safe to run at once; a stalled agent holds nothing the others wait for.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "metaevo/munet/multipath/multipath.h"
#include "metaevo/munet/path.h"
#include "metaevo/storage/database.h"

namespace metaevo::munet {

/// The owner name of the root's components.
inline const std::string kRootOwner = "root";

/// The agent tables and their migrations.
const storage::Schema& agent_system_schema();

/// One agent's saved state.
struct AgentState {
  int64_t cycle = 0;       // cycles published
  int64_t generation = 0;  // generations done of cycle `cycle` + 1 (0: at a cycle's end)
  /// The agent's population: its retained paths (at a cycle's end, its best one; none when no child
  /// of the agent beat the task's published paths). Their own ancestors are saved with them.
  std::vector<PathPtr> paths;
  int64_t next_id = 0;  // the agent's next fresh id
  /// The published cycle of every other agent that the cycle in progress started from, so that a
  /// restarted agent continues it on the same view.
  std::map<std::string, int64_t> view;
  /// A multipath agent's models (multipath/multipath.h), saved as its paths are: at a cycle's end,
  /// its best one. Their paths are other agents' published ones, referenced, never written.
  std::vector<MultipathPtr> multipaths;
};

/// What an agent sees: the root, every other agent's published paths, and its own state.
struct AgentView {
  PathPtr root;
  std::map<std::string, std::vector<PathPtr>> published;  // per other agent, its retained paths
  std::map<std::string, int64_t> cycles;                  // per other agent, the cycle read
  std::optional<AgentState> own;
  /// Per path whose parent was not loaded (its owner has replaced it since), that parent's id:
  /// the link the root stands in for.
  std::map<int64_t, int64_t> retired_parents;
};

/// One published cycle, as the publication checker reads it.
struct Publication {
  std::string agent;
  int64_t cycle = 0;
  nlohmann::json paths;  // the retained paths' records (path_record.h), then any multipath model's
};

class AgentStore {
 public:
  /// Opens or creates the system at `location` (a SQLite path or a postgresql:// URL).
  explicit AgentStore(const std::string& location);
  const std::string& where() const { return db_.where(); }

  /// As SystemStore::check_settings: records the system's settings once, then requires a match.
  void check_settings(const std::string& fingerprint, const nlohmann::json& settings);
  nlohmann::json settings();

  /// The agent's number (registered on first use): its ids start at number << kOwnerShift.
  int64_t register_agent(const std::string& agent);
  /// The owner of an id: an agent, or kRootOwner.
  std::string owner_of(int64_t id);

  /// Stores the root if none is stored yet; returns whether this call stored it (else the caller
  /// loads the stored one).
  bool put_root(const Path& root);
  bool has_root();

  /// Saves `agent`'s state in one transaction: an intermediate one (generation > 0) replaces the
  /// agent's previous intermediate state; a final one (generation 0) publishes cycle
  /// `state.cycle` and drops the intermediate states. An Error (nothing written) when the state
  /// holds a component it does not own that is not stored as published, or a foreign or final
  /// component whose tensors changed, or a path id outside the agent's range.
  void save(const std::string& agent, const AgentState& state);

  /// The system as `agent` sees it, tensors on `device`: the root, every other agent's latest
  /// publication (or, with `view`, the cycles it names), and the agent's own latest state. Paths
  /// whose parent is no longer published get the root as their parent. All in one snapshot.
  AgentView load(const std::string& agent, torch::Device device,
                 const std::optional<std::map<std::string, int64_t>>& view = std::nullopt);

  /// Every publication of every agent, ordered by agent and cycle; with `latest_only` just each
  /// agent's latest.
  std::vector<Publication> publications(bool latest_only = false);

 private:
  storage::Database db_;
};

/// Tensor bytes' 64-bit hash (FNV-1a over each tensor's CPU bytes, with its shape): what makes a
/// changed component detectable.
uint64_t tensor_hash(const Params& tensors);

}  // namespace metaevo::munet
