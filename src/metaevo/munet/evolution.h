#pragma once
// One task iteration of the evolutionary multitask system (muNet's outer loop body): unlock the
// task's components, then for each of `children` generations pick a parent (decay selection), make
// a mutated child, train it, and keep it if it beat its parent's score (a child of another task's
// path, or of the root, is always kept); finally keep only the task's best path, lock it to the
// task, and measure its test accuracy.
#include <nlohmann/json.hpp>

#include "metaevo/core/options.h"
#include "metaevo/munet/baselines.h"
#include "metaevo/munet/population.h"
#include "metaevo/munet/trainer.h"

namespace metaevo::munet {

struct EvolutionOptions {
  int64_t children = 4;  // children trained per task iteration
  /// Whether children step num_layers (layer removal). muNet mutates it; mu2Net's auto-tuning
  /// leaves it fixed unless the score penalises size, where removing a layer has something to win.
  bool mutate_num_layers = true;
  template <class V>
  void visit(V& v) {
    v("children", children, "children trained per task iteration");
    v("mutate_num_layers", mutate_num_layers, "step the number of layers kept (layer removal)");
  }
  void validate() const { require(children >= 1, "children", "must be >= 1, got {}", children); }
};

struct TaskIteration {
  std::string task;
  int64_t iteration = 0, children = 0, kept = 0;
  int64_t grown = 0, grown_kept = 0;  // children made by a growth mutation, and those of them kept
  double quality = 0, test_quality = 0, score = 0;
  double accounted_params = 0;
  int64_t total_params = 0;
  int64_t system_params = 0;  // the whole system's size after the iteration
  nlohmann::json to_json() const;
  static TaskIteration from_json(const nlohmann::json& j);
};

/// The reference's Ti3 value lists for a ViT of `depth` blocks; unless `evolution` mutates it, the
/// number of layers is fixed at `depth`.
HparamSpace hparam_space(const EvolutionOptions& evolution, int64_t depth);

/// Trains `child` of `parent` on `task` (batches drawn from `seed` and the child's id) and adds it
/// to the population if it beat its parent's score (a child of another task's path, or of the
/// root, always); logs the outcome after `label`. Returns whether it was kept.
bool train_child(Population& population, const PathPtr& parent, const PathPtr& child, const data::Splits& task,
                 const Scorer& scorer, const TrainOptions& train, uint64_t seed, const std::string& label);

/// Runs task iteration `iteration` of `task`; every random choice derives from (seed, iteration,
/// child id), so a rerun from the same state makes the same choices.
TaskIteration run_task_iteration(Population& population, const data::Splits& task, const Scorer& scorer,
                                 const EvolutionOptions& evolution, const TrainOptions& train, uint64_t seed,
                                 int64_t iteration);

/// The baseline model of a new task (see baselines.h): built from the root, trained once for the
/// budget in `train`, kept and locked like an evolved task's best path.
TaskIteration run_baseline_task(Population& population, const data::Splits& task, const Scorer& scorer,
                                const BaselineOptions& baseline, const TrainOptions& train, uint64_t seed,
                                int64_t iteration);

}  // namespace metaevo::munet
