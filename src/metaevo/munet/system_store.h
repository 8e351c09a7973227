#pragma once
// The whole multitask system in one database (storage/: a SQLite file, or PostgreSQL): components
// (name, locks, tensors as a LibTorch archive blob), paths (task, parent, hyperparameters,
// component ids by name, metrics, whether it is a task's retained path), the task iterations run
// so far, and the settings the system was made with. A save is one transaction, so a killed run
// leaves the previous state or the new one.
// Components are immutable once written (a path's own components stop changing when its training
// ends), so each blob is written once and only locks are updated; paths and components no longer
// reachable from a retained path are deleted.
#include <optional>
#include <string>
#include <vector>

#include "metaevo/munet/evolution.h"
#include "metaevo/munet/population.h"
#include "metaevo/storage/database.h"

namespace metaevo::munet {

/// The system tables and their migrations.
const storage::Schema& system_schema();

class SystemStore {
 public:
  /// Opens or creates the system at `location` (a SQLite path or a postgresql:// URL).
  explicit SystemStore(const std::string& location);
  /// Where the system is, as it may be shown (a path, or a URL without its password).
  const std::string& where() const { return db_.where(); }

  /// Records the settings the system is made with (seed, ViT shape, score, ...) and their
  /// fingerprint (run/settings.h) on first use; afterwards the fingerprint must match (an Error
  /// names the file).
  void check_settings(const std::string& fingerprint, const nlohmann::json& settings);
  /// The recorded settings; null before the first check_settings.
  nlohmann::json settings();
  void save(const Population& population, const std::vector<TaskIteration>& history);
  /// True when a saved system exists; then fills `population` and `history`.
  bool load(Population& population, std::vector<TaskIteration>& history);

 private:
  storage::Database db_;
};

/// The system stored at `location`, built with the ViT shape it was made with, and its history,
/// with its tensors on `device`; an Error naming the location when there is no saved system there.
Population load_system(const std::string& location, std::vector<TaskIteration>& history,
                       torch::Device device = torch::kCPU);

}  // namespace metaevo::munet
