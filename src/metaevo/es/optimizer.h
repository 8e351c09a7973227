#pragma once
// Update rules that turn an ES gradient estimate into a step on the center: SGD (with momentum),
// Adam (Kingma & Ba 2015) and ClipUp (Toklu et al., PPSN 2020: normalised gradient, momentum,
// speed clipped to max_speed). All ascend: callers pass the direction of improvement.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "metaevo/core/options.h"
#include "metaevo/core/registry.h"

namespace metaevo::es {

struct OptimizerOptions {
  std::string name = "adam";  // adam | sgd | clipup
  double lr = 0.01;           // step size (ClipUp: alpha; default 0.5*max_speed when lr unset)
  double momentum = 0.9;      // sgd and clipup
  double beta1 = 0.9;         // adam
  double beta2 = 0.999;       // adam
  double eps = 1e-8;          // adam
  double max_speed = 0.0;     // clipup: speed limit (0 = 2*lr)
  double lr_decay = 1.0;      // lr multiplied by this every step (1 = constant)
  double min_lr = 0.0;        // floor of the decayed lr
  template <class V>
  void visit(V& v) {
    v("name", name, "update rule: adam | sgd | clipup");
    v("lr", lr, "learning rate (ClipUp: step size alpha)");
    v("momentum", momentum, "momentum for sgd and clipup");
    v("beta1", beta1, "Adam first-moment decay");
    v("beta2", beta2, "Adam second-moment decay");
    v("eps", eps, "Adam denominator epsilon");
    v("max_speed", max_speed, "ClipUp speed limit; 0 means 2*lr");
    v("lr_decay", lr_decay, "multiplicative lr decay per step (1 = constant)");
    v("min_lr", min_lr, "lower bound of the decayed lr");
  }
  void validate() const;
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerOptions& options) : options_(options) {}
  virtual ~Optimizer() = default;
  /// The step to add to the parameters for ascent direction `grad` (same shape).
  torch::Tensor step(const torch::Tensor& grad);
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 protected:
  /// The rule itself, at the current (decayed) learning rate.
  virtual torch::Tensor update(const torch::Tensor& grad, double lr) = 0;
  virtual void save_state(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load_state(torch::serialize::InputArchive& archive) = 0;
  int64_t steps() const { return steps_; }

  OptimizerOptions options_;

 private:
  int64_t steps_ = 0;
};

using OptimizerRegistry = Registry<Optimizer, const OptimizerOptions&, int64_t>;
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, int64_t dim);

}  // namespace metaevo::es
