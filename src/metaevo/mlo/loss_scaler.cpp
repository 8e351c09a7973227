#include "metaevo/mlo/loss_scaler.h"

namespace metaevo::mlo {

void LossScalingOptions::validate() const {
  require(initial_scale >= 1, "initial_scale", "must be >= 1, got {}", initial_scale);
  require(growth_factor >= 1, "growth_factor", "must be >= 1, got {}", growth_factor);
  require(backoff_factor > 0 && backoff_factor < 1, "backoff_factor", "must be in (0, 1), got {}", backoff_factor);
  require(growth_interval >= 1, "growth_interval", "must be >= 1, got {}", growth_interval);
}

LossScaler::LossScaler(const LossScalingOptions& o) : active_(true), o_(o) {
  o_.validate();
  state_.scale = o_.initial_scale;
}

bool LossScaler::unscale(Params& grads) const {
  if (!active_ || grads.empty()) return true;
  std::vector<torch::Tensor> finite;
  for (auto& g : grads) {
    g = g / state_.scale;
    finite.push_back(torch::isfinite(g.detach()).all());
  }
  // One read of the device for all of them.
  return torch::stack(finite).all().item<bool>();
}

void LossScaler::update(bool finite) {
  if (!active_) return;
  if (!finite) {
    state_ = {state_.scale * o_.backoff_factor, 0};
  } else if (++state_.finite_steps == o_.growth_interval) {
    state_ = {state_.scale * o_.growth_factor, 0};
  }
}

}  // namespace metaevo::mlo
