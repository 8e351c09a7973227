#pragma once
// One optimization problem of a multilevel program (Betty's Problem): its parameters, its
// optimizer, its loss on a batch, and how often it steps. Problems see each other by name through
// the engine: a lower problem's loss reads its upper problems' parameters (and so depends on them in
// the graph), an upper problem's loss reads its lower problems' parameters.
//
// Parameters are plain tensors used functionally by training_step, not module state: iterative
// differentiation replaces them with graph-carrying tensors for the length of an unroll, and ES
// replays an unroll from a snapshot with the upper parameters perturbed.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>

#include "metaevo/core/options.h"
#include "metaevo/mlo/data_parallel.h"
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/loss_scaler.h"
#include "metaevo/mlo/optimizer.h"
#include "metaevo/mlo/precision.h"

namespace metaevo::mlo {

class Engine;

struct ProblemOptions {
  int64_t unroll_steps = 1;           // steps of this problem before it steps its upper problems
  int64_t gradient_accumulation = 1;  // batches per optimizer step
  double gradient_clipping = 0.0;     // global norm; 0 = off
  int64_t warmup_steps = 0;           // steps before it first steps its upper problems
  Choice optimizer{"sgd"};
  Choice hypergradient{"darts"};
  Choice precision{"fp32"};
  template <class V>
  void visit(V& v) {
    v("unroll_steps", unroll_steps, "steps of this problem per step of its upper problems");
    v("gradient_accumulation", gradient_accumulation, "batches accumulated per optimizer step");
    v("gradient_clipping", gradient_clipping, "clip the gradient to this global norm (0 = off)");
    v("warmup_steps", warmup_steps, "steps taken before the upper problems are first stepped");
    v("optimizer", optimizer, "update rule and its settings: sgd | adam, or {name: sgd, lr: 0.1, momentum: 0.9}");
    v("hypergradient", hypergradient,
      "how this problem's best response is differentiated for its upper problems: a method (itd | darts | "
      "neumann | cg | es) or a block {name: method, its settings}");
    v("precision", precision,
      "fp32 | bf16 | fp16: the half types compute the losses under autocast (products in them, activations kept in "
      "them; parameters, gradients and hypergradient products in float32). fp16 is CUDA's and scales its losses: "
      "{name: fp16, initial_scale: 65536, growth_interval: 2000, ...}");
  }
  void validate() const;
};

class Problem {
 public:
  Problem(std::string name, Params params, ProblemOptions options);
  virtual ~Problem() = default;
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  /// The loss of this problem's batch number `step`. The batch must be a function of `step` (and
  /// the program's seed): ES replays steps, and a resumed run must draw the same batches.
  virtual torch::Tensor training_step(int64_t step) = 0;
  /// training_step in this problem's precision (its value as float32 under bf16), or in float32
  /// whatever the precision with `float32` (finite differences, whose steps bf16 would round away):
  /// what the engine and the hypergradient methods evaluate.
  torch::Tensor loss(int64_t step, bool float32 = false);
  Precision precision() const { return precision_; }
  /// The gradient of `loss` / gradient_accumulation w.r.t. `wrt`, times the loss scale under fp16
  /// (so that small gradients survive float16): unscale() it once it has been summed.
  Params scaled_gradient(const torch::Tensor& loss, const Params& wrt, bool create_graph) const;
  /// Divides a scaled_gradient by the scale; whether it is finite (always under fp32 and bf16).
  bool unscale(Params& grads) const { return scaler_.unscale(grads); }
  /// Called before the first step of each inner loop (e.g. MAML starts from the outer weights).
  virtual void on_inner_loop_start() {}
  /// Examples in one global batch of training_step. A problem that returns more than 0 computes
  /// its loss on parallel().share() of each batch as a term of the global loss (parallel().mean(),
  /// once(), sum()), and so can run data-parallel; 0 (the default) keeps it to one process.
  virtual int64_t batch_size() const { return 0; }

  const std::string& name() const { return name_; }
  const ProblemOptions& options() const { return o_; }
  const Params& params() const { return params_; }
  void set_params(Params params);
  /// Another problem of the same engine.
  Problem& peer(const std::string& name) const;
  /// How this process shares the batches with the others (one process outside an engine).
  const DataParallel& parallel() const;
  /// Steps taken (batches consumed), including the current one inside training_step.
  int64_t count() const { return count_; }
  int64_t steps_per_loop() const { return o_.unroll_steps * o_.gradient_accumulation; }
  /// True while its unroll is kept in the graph (its method is iterative differentiation).
  bool differentiable() const;
  Hypergradient& method() const { return *method_; }
  double last_loss() const { return last_loss_; }

  /// Parameters, optimizer state and step count: where an inner loop started, for ES to replay.
  struct Snapshot {
    Params params;
    OptimizerState state;
    int64_t count = 0;
    LossScaler::State scaler{};
  };
  Snapshot snapshot() const;
  void restore(const Snapshot& s);
  const std::optional<Snapshot>& loop_start() const { return loop_start_; }
  /// Re-runs the inner loop from `from` (its start hook, then steps [from.count, until)) with the
  /// current upper parameters, keeping no graph between steps; the problem then holds the result.
  void replay(const Snapshot& from, int64_t until);

 private:
  friend class Engine;
  /// Adds one batch's gradient, steps the optimizer at accumulation boundaries; under fp16 a step
  /// with a batch whose gradient was not finite is skipped, and the loss scale adapts.
  void apply_gradient(const Params& grad, bool finite = true);

  std::string name_;
  ProblemOptions o_;
  Precision precision_;
  Params params_;
  Optimizer optimizer_;
  LossScaler scaler_;
  bool overflowed_ = false;  // a batch of the current accumulation had a non-finite gradient
  std::unique_ptr<Hypergradient> method_;
  Engine* engine_ = nullptr;
  int64_t count_ = 0;
  Params accumulated_;
  double last_loss_ = 0;
  std::optional<Snapshot> loop_start_;
};

}  // namespace metaevo::mlo
