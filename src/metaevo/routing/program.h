#pragma once
// A routing program (`metaevo route`): a multitask model that learns how its tasks share
// parameters, trained step by step over a list of tasks from the data registry, either jointly
// (every task at every step) or continually (one task after another). Programs are
// registered by name (`program.type`, programs/); each reads its settings from the `program`
// block. The command owns the loop, validation, the best-by-validation record and checkpoints.
#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/data/splits.h"

namespace metaevo::routing {

/// The tasks: data sets of the registry, each with its own classes and head.
struct RouteDataOptions {
  std::vector<std::string> tasks;
  std::string data_dir;
  template <class V>
  void visit(V& v) {
    v("tasks", tasks, "data sets, one task each (e.g. omniglot-mt:Greek)");
    v("data_dir", data_dir, "the folder of their source (default: its standard place)");
  }
  void validate() const;
  /// Checks every task's data is in place, then reads them (train, validation, test).
  std::vector<data::Splits> load() const;
};

/// The loop around a program.
struct RouteTrainOptions {
  int64_t steps = 8000;
  int64_t eval_every = 250;
  template <class V>
  void visit(V& v) {
    v("steps", steps,
      "training steps: a joint program's step trains every task once, in shuffled order; a continual "
      "program gives each task steps / tasks steps in turn");
    v("eval_every", eval_every, "steps between validations (and checkpoints)");
  }
  void validate() const;
};

/// Made from its settings alone (a bad setting fails before any data is read), then built over
/// the tasks.
class Program {
 public:
  virtual ~Program() = default;
  /// The model and its optimizers over `tasks` (their images all of one shape). Once.
  virtual void build(const std::vector<data::Splits>& tasks) = 0;
  /// Continual programs meet the tasks one at a time, in order: the command gives each an equal
  /// share of the steps and calls begin_task(t) before task t's first step. Joint programs train
  /// every task at every step and are never told.
  virtual bool continual() const { return false; }
  virtual void begin_task(int64_t /*task*/) {}
  /// One step. Joint: one batch of every task, in an order drawn from (seed, step); returns the
  /// mean of the tasks' training losses. Continual: a batch of the current task (and whatever the
  /// program replays); returns its loss. Cross-entropy, without penalties.
  virtual double train_step() = 0;
  virtual int64_t step() const = 0;
  /// Accuracy of every task on split "valid" or "test", deterministically (no noise, no dropout).
  virtual std::vector<double> evaluate(const std::string& split) = 0;
  /// Scalars worth logging beside the accuracies (e.g. the temperature).
  virtual nlohmann::json state() const = 0;
  /// What each task uses: {"components": their names, "layers": per routed layer, [tasks][components],
  /// "measure": what the entries are (e.g. connection probabilities)}; null when the allocation is
  /// fixed.
  virtual nlohmann::json allocation() const = 0;
  /// Trainable parameters of the model (not counting a router's logits).
  virtual int64_t parameter_count() const = 0;
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
};

/// Every parameter's gradient dropped, so that Adam skips what an update did not reach (another
/// task's network, an expert no input took) instead of stepping it on a zero gradient.
void clear_grads(const std::vector<torch::Tensor>& params);

/// The fraction of `split` that `logits_of` classifies right, `batch` examples at a time, without
/// gradients (0 for an empty split).
double accuracy(const data::Split& split, const std::function<torch::Tensor(const torch::Tensor&)>& logits_of,
                int64_t batch);

/// (the `program` block, the run seed).
using ProgramRegistry = Registry<Program, const Config&, uint64_t>;

/// `program.type` of `program` (the block), its settings read and checked.
std::unique_ptr<Program> make_program(const Config& program, uint64_t seed);

}  // namespace metaevo::routing
