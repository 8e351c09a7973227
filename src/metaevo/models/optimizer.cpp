#include "metaevo/models/optimizer.h"

#include <cmath>
#include <functional>
#include <optional>

#include "metaevo/core/error.h"

namespace metaevo::models {

void SgdOptions::validate() const {
  require(lr > 0 && std::isfinite(lr), "lr", "must be > 0, got {}", lr);
  require(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1), got {}", momentum);
  require(!nesterov || momentum > 0, "nesterov", "needs momentum > 0");
  require(weight_decay >= 0, "weight_decay", "must be >= 0, got {}", weight_decay);
}

void AdamOptions::validate() const {
  require(lr > 0 && std::isfinite(lr), "lr", "must be > 0, got {}", lr);
  require(weight_decay >= 0, "weight_decay", "must be >= 0, got {}", weight_decay);
  require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got {}", beta1);
  require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got {}", beta2);
  require(eps > 0, "eps", "must be > 0, got {}", eps);
}

Optimizer::Optimizer(const Choice& choice) : adam_(choice.name == "adam") {
  if (adam_) {
    const auto o = read_choice<AdamOptions>(choice);
    lr_ = o.lr, weight_decay_ = o.weight_decay, beta1_ = o.beta1, beta2_ = o.beta2, eps_ = o.eps;
  } else if (choice.name == "sgd") {
    const auto o = read_choice<SgdOptions>(choice);
    lr_ = o.lr, weight_decay_ = o.weight_decay, momentum_ = o.momentum, nesterov_ = o.nesterov;
  } else {
    fail("{}: unknown optimizer '{}' (choose one of: adam, sgd)", choice.origin.empty() ? "optimizer" : choice.origin,
         choice.name);
  }
}

namespace {
Params map(const Params& xs, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
  Params out;
  out.reserve(xs.size());
  for (const auto& x : xs) out.push_back(x.defined() ? f(x) : x);
  return out;
}
}  // namespace

OptimizerState OptimizerState::clone() const {
  return {map(first, [](const torch::Tensor& t) { return t.clone(); }),
          map(second, [](const torch::Tensor& t) { return t.clone(); }), steps};
}

OptimizerState OptimizerState::detached() const {
  return {map(first, [](const torch::Tensor& t) { return t.detach(); }),
          map(second, [](const torch::Tensor& t) { return t.detach(); }), steps};
}

Params detach_params(const Params& params) {
  return map(params, [](const torch::Tensor& t) { return t.detach().requires_grad_(); });
}

Params clone_params(const Params& params) {
  return map(params, [](const torch::Tensor& t) { return t.detach().clone().requires_grad_(t.requires_grad()); });
}

Params Optimizer::step(const Params& params, const Params& grads, bool differentiable) {
  METAEVO_CHECK(params.size() == grads.size(), "optimizer: {} parameters but {} gradients", params.size(),
                grads.size());
  std::optional<torch::NoGradGuard> no_grad;
  if (!differentiable) no_grad.emplace();
  auto& s = state_;
  if (s.first.empty()) {
    for (const auto& p : params) s.first.push_back(torch::zeros_like(p.detach()));
    if (adam_)
      for (const auto& p : params) s.second.push_back(torch::zeros_like(p.detach()));
  }
  ++s.steps;
  // Adam's bias corrections.
  const double c1 = 1 - std::pow(beta1_, double(s.steps)), c2 = 1 - std::pow(beta2_, double(s.steps));
  Params out;
  out.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const auto p = differentiable ? params[i] : params[i].detach();
    auto g = differentiable ? grads[i] : grads[i].detach();
    if (weight_decay_ > 0) g = g + weight_decay_ * p;
    torch::Tensor next;
    if (!adam_) {
      torch::Tensor update = g;
      if (momentum_ > 0) {
        // The first step seeds the buffer with the gradient, as torch.optim.SGD does.
        s.first[i] = s.steps == 1 ? g : momentum_ * s.first[i] + g;
        update = nesterov_ ? g + momentum_ * s.first[i] : s.first[i];
      }
      next = p - lr_ * update;
    } else if (differentiable) {
      s.first[i] = beta1_ * s.first[i] + (1 - beta1_) * g;
      s.second[i] = beta2_ * s.second[i] + (1 - beta2_) * g * g;
      // sqrt of a zero second moment has an infinite derivative: keep eps inside it when the step
      // must be differentiated.
      next = p - lr_ * ((s.first[i] / c1) / (s.second[i] / c2 + eps_ * eps_).sqrt());
    } else {
      // In place, as torch.optim.Adam: the moments are this state's own tensors (zeros, clones or
      // read from a checkpoint), and out of place a step made about twice the passes over them: a
      // share of a step of small products, repeated on every data-parallel process.
      s.first[i].mul_(beta1_).add_(g, 1 - beta1_);
      s.second[i].mul_(beta2_).addcmul_(g, g, 1 - beta2_);
      next = torch::addcdiv(p, s.first[i], (s.second[i] / c2).sqrt_().add_(eps_), -lr_ / c1);
    }
    out.push_back(differentiable ? next : next.requires_grad_());
  }
  return out;
}

}  // namespace metaevo::models
