#include "metaevo/es/optimizer.h"

#include <cmath>

#include "metaevo/core/serialize.h"

namespace metaevo::es {

void LrSchedule::validate() const {
  require(lr > 0, "lr", "must be > 0, got {}", lr);
  require(lr_decay > 0 && lr_decay <= 1, "lr_decay", "must be in (0, 1], got {}", lr_decay);
  require(min_lr >= 0 && min_lr <= lr, "min_lr", "must be in [0, lr], got {}", min_lr);
}

torch::Tensor Optimizer::step(const torch::Tensor& grad, const StepShare& share) {
  const double lr = std::max(schedule_.min_lr, schedule_.lr * std::pow(schedule_.lr_decay, double(steps_)));
  ++steps_;
  return update(grad, lr, share);
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

struct SgdOptions : LrSchedule {
  double momentum = 0.9;
  template <class V>
  void visit(V& v) {
    LrSchedule::visit(v);
    v("momentum", momentum, "momentum (0 = plain gradient steps)");
  }
  void validate() const {
    LrSchedule::validate();
    require(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1), got {}", momentum);
  }
};

class Sgd : public Optimizer {
 public:
  Sgd(const SgdOptions& o, int64_t dim) : Optimizer(o), momentum_(o.momentum), velocity_(torch::zeros({dim})) {}
  torch::Tensor update(const torch::Tensor& grad, double lr, const StepShare& share) override {
    auto velocity = share.of(velocity_);
    velocity.mul_(momentum_).add_(grad);
    return velocity * lr;
  }
  std::vector<torch::Tensor> coordinate_state() const override { return {velocity_}; }
  void save_state(torch::serialize::OutputArchive& a) const override { a.write("velocity", velocity_); }
  void load_state(torch::serialize::InputArchive& a) override { read_tensor(a, "velocity", velocity_); }

 private:
  double momentum_;
  torch::Tensor velocity_;
};

struct AdamOptions : LrSchedule {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  template <class V>
  void visit(V& v) {
    LrSchedule::visit(v);
    v("beta1", beta1, "first-moment decay");
    v("beta2", beta2, "second-moment decay");
    v("eps", eps, "denominator epsilon");
  }
  void validate() const {
    LrSchedule::validate();
    require(beta1 >= 0 && beta1 < 1, "beta1", "must be in [0, 1), got {}", beta1);
    require(beta2 >= 0 && beta2 < 1, "beta2", "must be in [0, 1), got {}", beta2);
    require(eps > 0, "eps", "must be > 0, got {}", eps);
  }
};

class Adam : public Optimizer {
 public:
  Adam(const AdamOptions& o, int64_t dim) : Optimizer(o), o_(o), m_(torch::zeros({dim})), v_(torch::zeros({dim})) {}
  torch::Tensor update(const torch::Tensor& grad, double lr, const StepShare& share) override {
    const double t = double(steps());  // already counts this step
    const auto& o = o_;
    auto m = share.of(m_), v = share.of(v_);
    m.mul_(o.beta1).add_(grad, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(grad, grad, 1 - o.beta2);
    const double a = lr * std::sqrt(1 - std::pow(o.beta2, t)) / (1 - std::pow(o.beta1, t));
    return m / (v.sqrt() + o.eps) * a;
  }
  std::vector<torch::Tensor> coordinate_state() const override { return {m_, v_}; }
  void save_state(torch::serialize::OutputArchive& a) const override {
    a.write("m", m_);
    a.write("v", v_);
  }
  void load_state(torch::serialize::InputArchive& a) override {
    read_tensor(a, "m", m_);
    read_tensor(a, "v", v_);
  }

 private:
  AdamOptions o_;
  torch::Tensor m_, v_;
};

struct ClipUpOptions : LrSchedule {
  double momentum = 0.9, max_speed = 0.0;
  template <class V>
  void visit(V& v) {
    LrSchedule::visit(v);
    v("momentum", momentum, "momentum of the velocity");
    v("max_speed", max_speed, "speed limit (0 = 2 * lr)");
  }
  void validate() const {
    LrSchedule::validate();
    require(momentum >= 0 && momentum < 1, "momentum", "must be in [0, 1), got {}", momentum);
    require(max_speed >= 0, "max_speed", "must be >= 0, got {}", max_speed);
  }
};

class ClipUp : public Optimizer {
 public:
  ClipUp(const ClipUpOptions& o, int64_t dim)
      : Optimizer(o),
        momentum_(o.momentum),
        max_speed_(o.max_speed > 0 ? o.max_speed : 2 * o.lr),
        velocity_(torch::zeros({dim})) {}
  torch::Tensor update(const torch::Tensor& grad, double lr, const StepShare& share) override {
    // Both norms are over every coordinate: a share sums its squares with the other processes'.
    auto velocity = share.of(velocity_);
    const double norm = std::sqrt(share.sum(grad.square().sum(torch::kFloat64).item<double>()));
    if (norm > 0) velocity.mul_(momentum_).add_(grad, lr / norm);
    const double speed = std::sqrt(share.sum(velocity.square().sum(torch::kFloat64).item<double>()));
    if (speed > max_speed_) velocity.mul_(max_speed_ / speed);
    return velocity.clone();
  }
  std::vector<torch::Tensor> coordinate_state() const override { return {velocity_}; }
  void save_state(torch::serialize::OutputArchive& a) const override { a.write("velocity", velocity_); }
  void load_state(torch::serialize::InputArchive& a) override { read_tensor(a, "velocity", velocity_); }

 private:
  double momentum_, max_speed_;
  torch::Tensor velocity_;
};

template <typename T, typename Options>
Registrar<OptimizerRegistry> registration(const std::string& name, const std::string& summary) {
  return {name, [](const Choice& c, int64_t dim) { return std::make_unique<T>(read_choice<Options>(c), dim); },
          variant_doc<Options>(summary)};
}

const auto sgd_registration = registration<Sgd, SgdOptions>("sgd", "SGD with momentum on the ES gradient");
const auto adam_registration = registration<Adam, AdamOptions>("adam", "Adam (Kingma & Ba 2015)");
const auto clipup_registration =
    registration<ClipUp, ClipUpOptions>("clipup",
                                        "ClipUp (Toklu et al. 2020): normalised gradient, momentum, "
                                        "speed clipped to max_speed");

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const Choice& choice, int64_t dim) {
  return OptimizerRegistry::instance().create(choice.name, choice.origin.empty() ? "optimizer" : choice.origin, choice,
                                              dim);
}

}  // namespace metaevo::es
