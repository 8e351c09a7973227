#include "metaevo/es/optimizer.h"

#include <cmath>

#include "metaevo/core/serialize.h"

namespace metaevo::es {

void OptimizerOptions::validate() const {
  require(OptimizerRegistry::instance().contains(name), "name", "unknown optimizer '{}' (choose one of: {})", name,
          OptimizerRegistry::instance().names());
  require(lr > 0, "lr", "must be > 0, got {}", lr);
  require(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1), got {}", momentum);
  require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got {}", beta1);
  require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got {}", beta2);
  require(eps > 0, "eps", "must be > 0, got {}", eps);
  require(max_speed >= 0, "max_speed", "must be >= 0, got {}", max_speed);
  require(lr_decay > 0 && lr_decay <= 1, "lr_decay", "must be in (0, 1], got {}", lr_decay);
  require(min_lr >= 0 && min_lr <= lr, "min_lr", "must be in [0, lr], got {}", min_lr);
}

torch::Tensor Optimizer::step(const torch::Tensor& grad) {
  const double lr = std::max(options_.min_lr, options_.lr * std::pow(options_.lr_decay, double(steps_)));
  ++steps_;
  return update(grad, lr);
}

void Optimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("steps", torch::tensor(steps_));
  save_state(archive);
}

void Optimizer::load(torch::serialize::InputArchive& archive) {
  torch::Tensor steps;
  read_tensor(archive, "steps", steps);
  steps_ = steps.item<int64_t>();
  load_state(archive);
}

namespace {

class Sgd : public Optimizer {
 public:
  Sgd(const OptimizerOptions& o, int64_t dim) : Optimizer(o), velocity_(torch::zeros({dim})) {}
  torch::Tensor update(const torch::Tensor& grad, double lr) override {
    velocity_.mul_(options_.momentum).add_(grad);
    return velocity_ * lr;
  }
  void save_state(torch::serialize::OutputArchive& a) const override { a.write("velocity", velocity_); }
  void load_state(torch::serialize::InputArchive& a) override { read_tensor(a, "velocity", velocity_); }

 private:
  torch::Tensor velocity_;
};

class Adam : public Optimizer {
 public:
  Adam(const OptimizerOptions& o, int64_t dim) : Optimizer(o), m_(torch::zeros({dim})), v_(torch::zeros({dim})) {}
  torch::Tensor update(const torch::Tensor& grad, double lr) override {
    const double t = double(steps());  // already counts this step
    const auto& o = options_;
    m_.mul_(o.beta1).add_(grad, 1 - o.beta1);
    v_.mul_(o.beta2).addcmul_(grad, grad, 1 - o.beta2);
    const double a = lr * std::sqrt(1 - std::pow(o.beta2, t)) / (1 - std::pow(o.beta1, t));
    return m_ / (v_.sqrt() + o.eps) * a;
  }
  void save_state(torch::serialize::OutputArchive& a) const override {
    a.write("m", m_);
    a.write("v", v_);
  }
  void load_state(torch::serialize::InputArchive& a) override {
    read_tensor(a, "m", m_);
    read_tensor(a, "v", v_);
  }

 private:
  torch::Tensor m_, v_;
};

class ClipUp : public Optimizer {
 public:
  ClipUp(const OptimizerOptions& o, int64_t dim)
      : Optimizer(o), max_speed_(o.max_speed > 0 ? o.max_speed : 2 * o.lr), velocity_(torch::zeros({dim})) {}
  torch::Tensor update(const torch::Tensor& grad, double lr) override {
    const double norm = grad.norm().item<double>();
    if (norm > 0) velocity_.mul_(options_.momentum).add_(grad, lr / norm);
    const double speed = velocity_.norm().item<double>();
    if (speed > max_speed_) velocity_.mul_(max_speed_ / speed);
    return velocity_.clone();
  }
  void save_state(torch::serialize::OutputArchive& a) const override { a.write("velocity", velocity_); }
  void load_state(torch::serialize::InputArchive& a) override { read_tensor(a, "velocity", velocity_); }

 private:
  double max_speed_;
  torch::Tensor velocity_;
};

template <typename T>
std::unique_ptr<Optimizer> create(const OptimizerOptions& o, int64_t dim) {
  return std::make_unique<T>(o, dim);
}
Registrar<OptimizerRegistry> sgd_registration("sgd", create<Sgd>);
Registrar<OptimizerRegistry> adam_registration("adam", create<Adam>);
Registrar<OptimizerRegistry> clipup_registration("clipup", create<ClipUp>);

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, int64_t dim) {
  return OptimizerRegistry::instance().create(options.name, "optimizer.name", options, dim);
}

}  // namespace metaevo::es
