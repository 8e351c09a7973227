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
  template <class V>
  void visit(V& v) {
    v("name", name, "update rule: adam | sgd | clipup");
    v("lr", lr, "learning rate (ClipUp: step size alpha)");
    v("momentum", momentum, "momentum for sgd and clipup");
    v("beta1", beta1, "Adam first-moment decay");
    v("beta2", beta2, "Adam second-moment decay");
    v("eps", eps, "Adam denominator epsilon");
    v("max_speed", max_speed, "ClipUp speed limit; 0 means 2*lr");
  }
  void validate() const;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  /// The step to add to the parameters for ascent direction `grad` (same shape).
  virtual torch::Tensor step(const torch::Tensor& grad) = 0;
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
};

using OptimizerRegistry = Registry<Optimizer, const OptimizerOptions&, int64_t>;
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, int64_t dim);

}  // namespace metaevo::es
