#pragma once
// The muNet outer loop as library code: the schedule of task iterations (rounds over the
// configured tasks, then any added tasks), the root's pretraining or adoption, the system stored
// after every iteration so that a rerun continues after the last saved one, the metrics log and
// progress lines, and the baselines' budget. `metaevo evolve` reads its config into
// EvolveSettings and calls evolve_system; tests call it directly.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/munet/evolution.h"
#include "metaevo/munet/pretrain.h"

namespace metaevo::munet {

struct EvolveSettings {
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  VitOptions vit;
  ScoreOptions score;
  TrainOptions train;
  EvolutionOptions evolution;
  MutationOptions mutation;
  PretrainOptions root;
  BaselineOptions baseline;
  /// The config's changes to the reference hyperparameter space ({key: {values, default}}).
  nlohmann::json hparams = nlohmann::json::object();
  std::vector<std::string> tasks;
  int64_t task_iterations = 1;  // rounds over `tasks`
  data::DataDirs data;

  /// Every section of `config` (seed, device, vit, score, train, evolution, mutation, hparams,
  /// root, baseline, tasks, task_iterations, data), validated; an Error names the file and key.
  static EvolveSettings read(const Config& config);
  /// What the stored system is made with: a run with other values here grows another system.
  nlohmann::json identity() const;
  /// The hyperparameter space children move in: the reference's, as `evolution` and `hparams` change it.
  HparamSpace space() const;
};

/// Checks the names of every task the run will touch (configured, `add_tasks`, the root's source)
/// and their data folders, reading no data; an Error names `origin` and the task.
void check_tasks(const EvolveSettings& s, const std::vector<std::string>& add_tasks, const std::string& origin);

/// The task of every iteration: `task_iterations` rounds over the configured tasks (one round for
/// a baseline, which trains each task once for the whole budget), then, after the `done` already
/// run, the same rounds over `add_tasks`.
std::vector<std::string> task_schedule(const EvolveSettings& s, const std::vector<std::string>& add_tasks, size_t done);

/// A baseline's training budget: what the evolution spends on one task (task_iterations x
/// children x validations), as one run.
TrainOptions baseline_budget(const EvolveSettings& s);

/// The root of a new system, made in `population` as `s.root` says: adopted from another system's,
/// pretrained on a source task, or left random (null returned, nothing written); otherwise
/// returns how it was made, also written to `file`.
nlohmann::json make_root(Population& population, const EvolveSettings& s, const std::string& file);

struct EvolveOutcome {
  Population population;
  std::vector<TaskIteration> history;
  nlohmann::json pretrain;  // how the root was made (null: a random root)
};

/// Grows the system in `store` (a database location; empty: `output`/system.db), writing
/// metrics.jsonl and pretrain.json to `output`, through the schedule, continuing after the
/// iterations already stored; each iteration is saved before the next starts.
EvolveOutcome evolve_system(const EvolveSettings& s, const std::vector<std::string>& add_tasks,
                            const std::string& output, const std::string& store = "");

/// Per task: accuracy, parameters, layers, and the other tasks whose components its path uses.
nlohmann::json system_summary(const Population& population);

}  // namespace metaevo::munet
