#pragma once
// The multilevel program (Betty's Engine): problems, the dependencies between them, and the
// stepping rule. Each iteration steps every lowest-level problem once; a problem that has taken
// its unroll_steps x gradient_accumulation steps marks itself ready for its upper problems and
// steps them, and an upper problem steps only once all its lower problems are ready. So a lower
// problem with 10 unroll steps makes its upper problem step once per 10 iterations, recursively
// for any number of levels.
//
// An upper problem's gradient is its direct gradient plus, for every path
// upper -> l1 -> ... -> upper (first edge: its loss reads l1's parameters; then "steps" edges back
// up), the product of best-response Jacobians along the path with the upper loss's gradient on l1,
// each factor computed by the hypergradient method of that path's lower problem.
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/mlo/problem.h"
#include "metaevo/run/checkpointer.h"
#include "metaevo/run/stop_rules.h"

namespace metaevo::mlo {

struct EngineOptions {
  int64_t train_iters = 1000;    // iterations (steps of the lowest-level problems)
  int64_t valid_step = 0;        // validate every this many iterations (0 = only at the end)
  int64_t log_step = 100;        // progress line every this many iterations (0 = none)
  int64_t checkpoint_every = 0;  // iterations between checkpoints (0 = none)
  bool early_stopping = false;
  std::string early_stopping_metric = "loss";
  std::string early_stopping_mode = "min";  // min | max
  int64_t early_stopping_tolerance = 5;     // validations without improvement before stopping
  template <class V>
  void visit(V& v) {
    v("train_iters", train_iters, "iterations: steps of the lowest-level problems");
    v("valid_step", valid_step, "validate every this many iterations (0 = only at the end)");
    v("log_step", log_step, "progress line every this many iterations (0 = none)");
    v("checkpoint_every", checkpoint_every,
      "iterations between checkpoints (0 = none); taken at inner-loop boundaries");
    v("early_stopping", early_stopping, "stop when the validation metric stops improving");
    v("early_stopping_metric", early_stopping_metric, "validation metric watched by early stopping");
    v("early_stopping_mode", early_stopping_mode, "min | max: which direction is better");
    v("early_stopping_tolerance", early_stopping_tolerance, "validations without improvement before stopping");
  }
  void validate() const;
};

/// upper -> lowers whose parameters its loss reads ("u2l"), and lower -> uppers whose parameters its
/// loss reads and which it steps after its unroll ("l2u").
struct Dependencies {
  std::map<std::string, std::vector<std::string>> u2l, l2u;
};

class Engine {
 public:
  Engine(std::vector<std::shared_ptr<Problem>> problems, Dependencies dependencies, EngineOptions options,
         uint64_t seed);

  Problem& problem(const std::string& name) const;
  const std::vector<std::shared_ptr<Problem>>& problems() const { return problems_; }
  /// The dependency paths from `name` back to itself, each starting with an upper -> lower edge.
  const std::vector<std::vector<Problem*>>& paths(const std::string& name) const;
  int64_t iteration() const { return iteration_; }
  const EngineOptions& options() const { return o_; }
  const DataParallel& parallel() const { return parallel_; }

  /// Runs data-parallel on the processes of `comm` (see data_parallel.h): every problem then
  /// computes its share of each batch, except when a problem's hypergradient is ES, which keeps
  /// batches whole and splits its perturbations, so the run stays bitwise equal to one process.
  /// Only rank 0 writes checkpoints; any number of processes resumes from them. Fails, before any
  /// step, when a problem cannot split its batch over the processes.
  void distribute(dist::Communicator& comm);

  /// One iteration: every lowest-level problem steps once (and upper problems as they become ready).
  void train_step();
  /// Runs to train_iters (or early stop), validating, logging and checkpointing on the way.
  /// Returns the last validation record.
  nlohmann::json run();

  /// Metrics of the current parameters (e.g. test accuracy); the engine adds "iteration".
  void set_validation(std::function<nlohmann::json()> validate) { validate_ = std::move(validate); }
  /// Receives every validation record (e.g. to append it to a file).
  void on_validation(std::function<void(const nlohmann::json&)> sink) { sink_ = std::move(sink); }
  /// Where checkpoints go (kind "mlo").
  void set_checkpoint(run::Checkpointer checkpointer) { checkpointer_ = std::move(checkpointer); }
  /// Loads the checkpoint if one exists; false when there is none.
  bool resume();
  void save_checkpoint() const;
  /// Seconds this process has spent computing validation metrics (timings of training leave them out).
  double validation_seconds() const { return validation_seconds_; }
  /// Validation records so far (kept in the checkpoint, so a resumed run reports them all).
  const nlohmann::json& history() const { return history_; }

 private:
  void step(Problem& p);
  void descend(Problem& p);
  bool ready(Problem& p) const;
  nlohmann::json validate();
  bool at_loop_boundaries() const;
  void write_state(torch::serialize::OutputArchive& archive) const;

  std::vector<std::shared_ptr<Problem>> problems_;
  std::map<std::string, Problem*> by_name_;
  Dependencies deps_;
  EngineOptions o_;
  uint64_t seed_;
  std::vector<Problem*> leaves_;
  std::map<std::string, std::vector<std::vector<Problem*>>> paths_;
  std::map<std::pair<std::string, std::string>, bool> ready_;  // (lower, upper) -> lower has finished a loop
  std::function<nlohmann::json()> validate_;
  std::function<void(const nlohmann::json&)> sink_;
  run::Checkpointer checkpointer_;
  run::StopRules stop_;
  DataParallel parallel_;
  int64_t iteration_ = 0;
  double validation_seconds_ = 0;
  nlohmann::json history_ = nlohmann::json::array();
};

}  // namespace metaevo::mlo
