#include "metaevo/es/optimizer.h"

#include <cmath>

#include "metaevo/core/serialize.h"

namespace metaevo::es {

void OptimizerOptions::validate() const {
  require(OptimizerRegistry::instance().contains(name), "name", "unknown optimizer '{}' (choose one of: {})",
          name, OptimizerRegistry::instance().names());
  require(lr > 0, "lr", "must be > 0, got {}", lr);
  require(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1), got {}", momentum);
  require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got {}", beta1);
  require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got {}", beta2);
  require(eps > 0, "eps", "must be > 0, got {}", eps);
  require(max_speed >= 0, "max_speed", "must be >= 0, got {}", max_speed);
}

namespace {

class Sgd : public Optimizer {
 public:
  Sgd(const OptimizerOptions& o, int64_t dim) : o_(o), velocity_(torch::zeros({dim})) {}
  torch::Tensor step(const torch::Tensor& grad) override {
    velocity_.mul_(o_.momentum).add_(grad);
    return velocity_ * o_.lr;
  }
  void save(torch::serialize::OutputArchive& a) const override { a.write("velocity", velocity_); }
  void load(torch::serialize::InputArchive& a) override { read_tensor(a, "velocity", velocity_); }

 private:
  OptimizerOptions o_;
  torch::Tensor velocity_;
};

class Adam : public Optimizer {
 public:
  Adam(const OptimizerOptions& o, int64_t dim)
      : o_(o), m_(torch::zeros({dim})), v_(torch::zeros({dim})), t_(torch::zeros({}, torch::kInt64)) {}
  torch::Tensor step(const torch::Tensor& grad) override {
    t_ += 1;
    const double t = double(t_.item<int64_t>());
    m_.mul_(o_.beta1).add_(grad, 1 - o_.beta1);
    v_.mul_(o_.beta2).addcmul_(grad, grad, 1 - o_.beta2);
    const double a = o_.lr * std::sqrt(1 - std::pow(o_.beta2, t)) / (1 - std::pow(o_.beta1, t));
    return m_ / (v_.sqrt() + o_.eps) * a;
  }
  void save(torch::serialize::OutputArchive& a) const override {
    a.write("m", m_);
    a.write("v", v_);
    a.write("t", t_);
  }
  void load(torch::serialize::InputArchive& a) override {
    read_tensor(a, "m", m_);
    read_tensor(a, "v", v_);
    read_tensor(a, "t", t_);
  }

 private:
  OptimizerOptions o_;
  torch::Tensor m_, v_, t_;
};

class ClipUp : public Optimizer {
 public:
  ClipUp(const OptimizerOptions& o, int64_t dim)
      : o_(o), max_speed_(o.max_speed > 0 ? o.max_speed : 2 * o.lr), velocity_(torch::zeros({dim})) {}
  torch::Tensor step(const torch::Tensor& grad) override {
    const double norm = grad.norm().item<double>();
    if (norm > 0) velocity_.mul_(o_.momentum).add_(grad, o_.lr / norm);
    const double speed = velocity_.norm().item<double>();
    if (speed > max_speed_) velocity_.mul_(max_speed_ / speed);
    return velocity_.clone();
  }
  void save(torch::serialize::OutputArchive& a) const override { a.write("velocity", velocity_); }
  void load(torch::serialize::InputArchive& a) override { read_tensor(a, "velocity", velocity_); }

 private:
  OptimizerOptions o_;
  double max_speed_;
  torch::Tensor velocity_;
};

template <typename T>
std::unique_ptr<Optimizer> create(const OptimizerOptions& o, int64_t dim) {
  return std::make_unique<T>(o, dim);
}
Registrar<OptimizerRegistry> reg_sgd("sgd", create<Sgd>);
Registrar<OptimizerRegistry> reg_adam("adam", create<Adam>);
Registrar<OptimizerRegistry> reg_clipup("clipup", create<ClipUp>);

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, int64_t dim) {
  return OptimizerRegistry::instance().create(options.name, "optimizer.name", options, dim);
}

}  // namespace metaevo::es
