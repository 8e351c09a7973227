#include "metaevo/mlo/problem.h"

#include "metaevo/core/error.h"
#include "metaevo/mlo/engine.h"

namespace metaevo::mlo {

void ProblemOptions::validate() const {
  require(unroll_steps >= 1, "unroll_steps", "must be >= 1, got {}", unroll_steps);
  require(gradient_accumulation >= 1, "gradient_accumulation", "must be >= 1, got {}", gradient_accumulation);
  require(gradient_clipping >= 0, "gradient_clipping", "must be >= 0 (0 = off), got {}", gradient_clipping);
  require(warmup_steps >= 0, "warmup_steps", "must be >= 0, got {}", warmup_steps);
  if (precision_of(precision) == Precision::fp16) read_choice<LossScalingOptions>(precision);
  Optimizer{optimizer};  // checks the rule and its settings
  HypergradientRegistry::instance().create(hypergradient.name, hypergradient.origin, hypergradient);
}

Problem::Problem(std::string name, Params params, ProblemOptions options)
    : name_(std::move(name)),
      o_(std::move(options)),
      params_(detach_params(clone_params(params))),
      optimizer_(o_.optimizer) {
  o_.validate();
  precision_ = precision_of(o_.precision);
  if (precision_ == Precision::fp16) scaler_ = LossScaler(read_choice<LossScalingOptions>(o_.precision));
  method_ = HypergradientRegistry::instance().create(o_.hypergradient.name, name_ + ".hypergradient", o_.hypergradient);
}

void Problem::set_params(Params params) {
  METAEVO_CHECK(params.size() == params_.size(), "{}: {} tensors for {} parameters", name_, params.size(),
                params_.size());
  params_ = std::move(params);
}

Problem& Problem::peer(const std::string& name) const {
  METAEVO_CHECK(engine_, "{}: not part of an engine yet", name_);
  return engine_->problem(name);
}

const DataParallel& Problem::parallel() const {
  static const DataParallel one_process;
  return engine_ ? engine_->parallel() : one_process;
}

torch::Tensor Problem::loss(int64_t step, bool float32) {
  const Autocast autocast(float32 ? Precision::fp32 : precision_,
                          params_.empty() ? torch::Device(torch::kCPU) : params_.front().device());
  auto loss = training_step(step);
  return precision_ == Precision::fp32 ? loss : loss.to(torch::kFloat32);
}

bool Problem::differentiable() const { return method_->needs_graph(); }

Params Problem::scaled_gradient(const torch::Tensor& loss, const Params& wrt, bool create_graph) const {
  return vector_grad({loss * (scaler_.scale() / double(o_.gradient_accumulation))}, wrt, {}, create_graph, false);
}

Problem::Snapshot Problem::snapshot() const {
  return {clone_params(params_), optimizer_.state().clone(), count_, scaler_.state()};
}

void Problem::restore(const Snapshot& s) {
  params_ = clone_params(s.params);
  optimizer_.state() = s.state.clone();
  count_ = s.count;
  scaler_.set_state(s.scaler);
  accumulated_.clear();
  overflowed_ = false;
}

void Problem::replay(const Snapshot& from, int64_t until) {
  restore(from);
  on_inner_loop_start();
  while (count_ < until) {
    auto grad = scaled_gradient(loss(count_++), params_, false);
    const bool finite = unscale(grad);
    apply_gradient(grad, finite);
  }
}

void Problem::apply_gradient(const Params& grad, bool finite) {
  overflowed_ = overflowed_ || !finite;
  if (overflowed_) {
    accumulated_.clear();
  } else if (accumulated_.empty()) {
    accumulated_ = grad;
  } else {
    for (size_t i = 0; i < grad.size(); ++i) accumulated_[i] = accumulated_[i] + grad[i];
  }
  if (count_ % o_.gradient_accumulation != 0) return;
  scaler_.update(!overflowed_);
  if (overflowed_) {  // the skipped step of fp16's loss scaling
    overflowed_ = false;
    return;
  }
  if (o_.gradient_clipping > 0) {
    torch::Tensor norm2 = torch::zeros({}, params_.front().options().dtype(torch::kFloat64));
    for (const auto& g : accumulated_) norm2 = norm2 + g.detach().to(torch::kFloat64).pow(2).sum();
    const double norm = std::sqrt(norm2.item<double>());
    if (norm > o_.gradient_clipping)
      for (auto& g : accumulated_) g = g * (o_.gradient_clipping / norm);
  }
  params_ = optimizer_.step(params_, accumulated_, differentiable());
  accumulated_.clear();
}

}  // namespace metaevo::mlo
