#pragma once
// Update rules that turn an ES gradient estimate into a step on the center: SGD (with momentum),
// Adam (Kingma & Ba 2015) and ClipUp (Toklu et al., PPSN 2020: normalised gradient, momentum,
// speed clipped to max_speed). All ascend: callers pass the direction of improvement.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/core/registry.h"
#include "metaevo/es/sharding.h"

namespace metaevo::es {

/// The learning-rate schedule every optimizer shares: lr * lr_decay^step, never below min_lr.
/// Each optimizer reads it with its own settings from the strategy's `optimizer` block.
struct LrSchedule {
  double lr = 0.01;       // step size (ClipUp: alpha)
  double lr_decay = 1.0;  // lr multiplied by this every step (1 = constant)
  double min_lr = 0.0;    // floor of the decayed lr
  template <class V>
  void visit(V& v) {
    v("lr", lr, "learning rate (ClipUp: step size alpha)");
    v("lr_decay", lr_decay, "multiplicative lr decay per step (1 = constant)");
    v("min_lr", min_lr, "lower bound of the decayed lr");
  }
  void validate() const;
};

/// The coordinates one step updates: all of them, or one process's share of a sliced update, with
/// the sum over the job's processes that a rule needing a global norm (ClipUp) takes.
struct StepShare {
  FlatRange range;
  std::function<double(double)> sum = [](double x) { return x; };
  /// `full`'s elements in range (a view: writes go to `full`).
  torch::Tensor of(const torch::Tensor& full) const { return full.narrow(0, range.begin, range.size()); }
};

class Optimizer {
 public:
  explicit Optimizer(const LrSchedule& schedule) : schedule_(schedule) {}
  virtual ~Optimizer() = default;
  /// The step to add to the parameters for ascent direction `grad` (same shape).
  torch::Tensor step(const torch::Tensor& grad) { return step(grad, {{0, grad.numel()}}); }
  /// The step for `share`'s coordinates; `grad` holds just those. Every process of a sliced update
  /// calls it once per step, each for its share.
  torch::Tensor step(const torch::Tensor& grad, const StepShare& share);
  /// The state kept per coordinate ([dim] tensors, aliasing the optimizer's own): what a sliced
  /// update gathers from the processes after each step.
  virtual std::vector<torch::Tensor> coordinate_state() const = 0;
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 protected:
  /// The rule itself, at the current (decayed) learning rate, on `share`'s coordinates.
  virtual torch::Tensor update(const torch::Tensor& grad, double lr, const StepShare& share) = 0;
  virtual void save_state(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load_state(torch::serialize::InputArchive& archive) = 0;
  int64_t steps() const { return steps_; }

  LrSchedule schedule_;

 private:
  int64_t steps_ = 0;
};

using OptimizerRegistry = Registry<Optimizer, const Choice&, int64_t>;
/// The optimizer `choice` names (a strategy's `optimizer` block) for `dim` parameters, reading its
/// own settings; an Error naming the block otherwise.
std::unique_ptr<Optimizer> make_optimizer(const Choice& choice, int64_t dim);

}  // namespace metaevo::es
