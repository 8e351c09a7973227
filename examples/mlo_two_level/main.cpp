// A two-level program of your own (bilevel optimisation, Betty's Problem/Engine): the lower
// problem fits ridge-regression weights w on 20 training points; the upper problem tunes the
// penalty's strength (its log) to lower the error on held-out points, through the hypergradient
// of w's best response (conjugate gradients). Starting from a penalty far too strong, exits 1
// unless the validation error falls by a fifth (the best penalty on a fine grid gives about 26%).
#include <metaevo/metaevo.h>

#include <iostream>

namespace mlo = metaevo::mlo;

struct Data {
  torch::Tensor x_train, y_train, x_valid, y_valid;
};

class Fit : public mlo::Problem {
 public:
  Fit(std::shared_ptr<Data> d, mlo::ProblemOptions o)
      : mlo::Problem("fit", {torch::zeros({30})}, std::move(o)), d_(std::move(d)) {}
  torch::Tensor training_step(int64_t) override {
    const auto& w = params()[0];
    const auto& log_penalty = peer("penalty").params()[0];
    return (d_->x_train.matmul(w) - d_->y_train).pow(2).mean() + 0.5 * log_penalty.exp() * w.pow(2).sum();
  }

 private:
  std::shared_ptr<Data> d_;
};

class Penalty : public mlo::Problem {
 public:
  Penalty(std::shared_ptr<Data> d, mlo::ProblemOptions o)
      : mlo::Problem("penalty", {torch::full({1}, 1.0)}, std::move(o)), d_(std::move(d)) {}
  torch::Tensor training_step(int64_t) override {
    return (d_->x_valid.matmul(peer("fit").params()[0]) - d_->y_valid).pow(2).mean();
  }

 private:
  std::shared_ptr<Data> d_;
};

int main() {
  torch::manual_seed(0);
  auto d = std::make_shared<Data>();
  const auto w = torch::randn({30}) / 5;
  d->x_train = torch::randn({20, 30});
  d->y_train = d->x_train.matmul(w) + 0.3 * torch::randn({20});
  d->x_valid = torch::randn({200, 30});
  d->y_valid = d->x_valid.matmul(w) + 0.3 * torch::randn({200});

  mlo::ProblemOptions fit_options, penalty_options;
  fit_options.unroll_steps = 50;
  fit_options.optimizer = {"sgd", {{"lr", 0.05}}};
  fit_options.hypergradient = {"cg", {{"iterations", 5}}};
  penalty_options.optimizer = {"adam", {{"lr", 0.1}}};
  auto fit = std::make_shared<Fit>(d, fit_options);
  auto penalty = std::make_shared<Penalty>(d, penalty_options);
  mlo::Dependencies deps;
  deps.u2l = {{"penalty", {"fit"}}};  // the penalty's loss reads the fit's weights
  deps.l2u = {{"fit", {"penalty"}}};  // the fit steps the penalty after each unroll
  mlo::EngineOptions options;
  options.train_iters = 3000;
  options.valid_step = 500;
  options.log_step = 0;
  mlo::Engine engine({fit, penalty}, deps, options, /*seed=*/1);
  auto valid_error = [&] {
    torch::NoGradGuard no_grad;
    return (d->x_valid.matmul(fit->params()[0]) - d->y_valid).pow(2).mean().item<double>();
  };
  engine.set_validation([&] {
    return nlohmann::json{{"valid_error", valid_error()}, {"log_penalty", penalty->params()[0].item<double>()}};
  });
  for (int i = 0; i < 50; ++i) engine.train_step();  // the first fit, at the starting penalty
  const double start = valid_error();
  const auto last = engine.run();
  std::cout << "validation error " << start << " -> " << last["valid_error"] << " (log penalty 1 -> "
            << last["log_penalty"] << ")\n";
  return last["valid_error"].get<double>() < start * 0.8 ? 0 : 1;
}
