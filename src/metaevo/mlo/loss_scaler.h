#pragma once
// fp16's dynamic loss scaling (the rule of torch.cuda.amp.GradScaler): the loss is multiplied by a
// scale before its backward pass, so small gradients do not flush to zero in float16, and the
// gradients are divided by it afterwards. A step whose gradients came out infinite or NaN is
// skipped and the scale shrinks; after `growth_interval` steps without one it grows again.
#include <torch/torch.h>

#include "metaevo/core/options.h"
#include "metaevo/mlo/optimizer.h"

namespace metaevo::mlo {

/// The settings of `precision: {name: fp16, ...}`.
struct LossScalingOptions {
  double initial_scale = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
  template <class V>
  void visit(V& v) {
    v("initial_scale", initial_scale, "fp16: the loss scale to start from");
    v("growth_factor", growth_factor, "fp16: the scale's factor after growth_interval finite steps");
    v("backoff_factor", backoff_factor, "fp16: the scale's factor after a step with infinite or NaN gradients");
    v("growth_interval", growth_interval, "fp16: finite steps before the scale grows");
  }
  void validate() const;
};

class LossScaler {
 public:
  /// Where it is, for checkpoints and the snapshots ES replays from.
  struct State {
    double scale = 1.0;
    int64_t finite_steps = 0;  // since the scale last changed
  };

  /// Off: the scale is 1 and every gradient counts as finite.
  LossScaler() = default;
  explicit LossScaler(const LossScalingOptions& o);

  bool active() const { return active_; }
  double scale() const { return state_.scale; }
  /// Divides `grads` by the scale; whether all of them are finite (always true when off).
  bool unscale(Params& grads) const;
  /// After an optimizer step's gradients, finite or not (skipped).
  void update(bool finite);

  const State& state() const { return state_; }
  void set_state(const State& s) { state_ = s; }

 private:
  bool active_ = false;
  LossScalingOptions o_;
  State state_;
};

}  // namespace metaevo::mlo
