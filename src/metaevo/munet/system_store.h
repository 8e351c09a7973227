#pragma once
// The whole multitask system in one SQLite file: components (name, locks, tensors as a LibTorch
// archive blob), paths (task, parent, hyperparameters, component ids by name, metrics, whether it
// is a task's retained path), the task iterations run so far, and the settings the system was
// made with. A save is one transaction, so a killed run leaves the previous state or the new one.
// Components are immutable once written (a path's own components stop changing when its training
// ends), so each blob is written once and only locks are updated; paths and components no longer
// reachable from a retained path are deleted.
#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <string>
#include <vector>

#include "metaevo/munet/evolution.h"
#include "metaevo/munet/population.h"

namespace metaevo::munet {

class SystemStore {
 public:
  explicit SystemStore(const std::string& path);
  const std::string& path() const { return path_; }

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
  std::string path_;
  SQLite::Database db_;
};

/// The system stored at `path`, built with the ViT shape it was made with, and its history, with
/// its tensors on `device`; an Error naming the file when there is no saved system there.
Population load_system(const std::string& path, std::vector<TaskIteration>& history,
                       torch::Device device = torch::kCPU);

}  // namespace metaevo::munet
