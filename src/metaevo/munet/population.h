#pragma once
// The evolving multitask system: the root model (every component locked to the root's
// pseudo-task), and per task its population of paths. It creates children from parents
// (hyperparameter steps, residual-adapter insertion, layers kept, cloning of frozen components,
// zero-initialised heads for new tasks), picks parents, and compartmentalises knowledge: while a
// task is active its own components are unlocked; when it ends, only its best path is kept and
// all of that path's components are locked to it, so later tasks can share them only frozen or
// clone them.
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "metaevo/munet/mutation.h"
#include "metaevo/munet/path.h"
#include "metaevo/munet/scorer.h"

namespace metaevo::munet {

class Population {
 public:
  /// A root of `vit` with random weights (or pretrained ones loaded later into its components),
  /// every tensor of the system on `device`, with the base mutation rate `mutation.probability`.
  Population(VitOptions vit, HparamSpace space, MutationOptions mutation, uint64_t seed,
             torch::Device device = torch::kCPU);

  const VitOptions& vit() const { return vit_; }
  torch::Device device() const { return device_; }
  const HparamSpace& space() const { return space_; }
  PathPtr root() const { return root_; }
  const std::vector<PathPtr>& paths(const std::string& task) const;
  std::vector<std::string> tasks() const;
  int64_t next_id() { return next_id_++; }
  int64_t peek_next_id() const { return next_id_; }
  /// Replaces the system by a saved one (its root, each task's retained paths, the next id).
  void restore(PathPtr root, std::map<std::string, std::vector<PathPtr>> paths, int64_t next_id) {
    root_ = std::move(root);
    paths_ = std::move(paths);
    next_id_ = next_id;
  }

  /// A child of `parent` for `task` with `classes` outputs: the parent's hyperparameters,
  /// architecture and components, changed by the active mutations (mutation.h), drawn with `rng`.
  PathPtr make_child(const PathPtr& parent, const std::string& task, int64_t classes, Rng& rng);
  const MutationOptions& mutation() const { return mutation_; }

  /// The task's paths best-first by `score`, each accepted with probability 0.5^offsprings; if
  /// none is, uniformly among the task's paths, the other tasks' paths and the root.
  PathPtr select_parent(const std::string& task, const std::function<double(const Path&)>& score, Rng& rng) const;

  /// Parameters of the whole system: every distinct component of the root and of all paths, once.
  int64_t system_params() const;

  /// Adds a child to its task's population (the caller decides whether it earned its place).
  void add(const PathPtr& path);
  /// Unlocks the task's own components for training.
  void start_task(const std::string& task);
  /// Keeps the task's `bound` best paths by `score` (the reference's task population bound).
  void prune(const std::string& task, const std::function<double(const Path&)>& score, size_t bound);
  /// Keeps only the task's best path and locks its components to the task; returns it.
  PathPtr end_task(const std::string& task, const std::function<double(const Path&)>& score);

 private:
  VitOptions vit_;
  HparamSpace space_;
  MutationOptions mutation_;
  std::vector<std::unique_ptr<Mutation>> mutations_;  // the active ones, in stage order
  uint64_t seed_;
  torch::Device device_;
  PathPtr root_;
  std::map<std::string, std::vector<PathPtr>> paths_;
  int64_t next_id_ = 0;
};

/// The acceptance rule of the decay parent selection, for `offsprings` earlier children.
inline double acceptance(int64_t offsprings) { return std::pow(0.5, double(offsprings)); }

}  // namespace metaevo::munet
