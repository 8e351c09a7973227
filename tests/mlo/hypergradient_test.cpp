// Every hypergradient method against the closed form of a bilevel quadratic:
//   lower  L(w, lambda) = 1/2 w'Aw - w'B lambda,   w*(lambda) = A^-1 B lambda
//   upper  C(w) = 1/2 |w - c|^2,                   dC/dlambda = B' A^-1 (w* - c)
// run through the engine: the lower problem restarts from w = 0 and takes K gradient steps per
// inner loop, then the upper problem takes one SGD step with lr 1, so its gradient is the change
// of lambda.
#include <gtest/gtest.h>

#include "metaevo/mlo/engine.h"

namespace metaevo::mlo {
namespace {

struct Quadratic {
  torch::Tensor a, b, c, lambda0;
};

Quadratic make_quadratic(bool identity_hessian) {
  torch::manual_seed(3);
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
  auto q = torch::linalg::qr(torch::randn({4, 4}, opts));
  const auto basis = std::get<0>(q);
  // Eigenvalues 1..3: conditioned enough that the methods' defaults converge, not the identity.
  const auto eig = identity_hessian ? torch::ones({4}, opts) : torch::tensor({1.0, 1.5, 2.2, 3.0}, opts);
  return {basis.matmul(torch::diag(eig)).matmul(basis.t()), torch::randn({4, 3}, opts), torch::randn({4}, opts),
          torch::randn({3}, opts)};
}

class Lower : public Problem {
 public:
  Lower(const Quadratic& q, ProblemOptions o)
      : Problem("lower", {torch::zeros({4}, torch::kFloat64)}, std::move(o)), q_(q) {}
  torch::Tensor training_step(int64_t) override {
    const auto& w = params()[0];
    return 0.5 * w.dot(q_.a.mv(w)) - w.dot(q_.b.mv(peer("upper").params()[0]));
  }
  void on_inner_loop_start() override { set_params({torch::zeros({4}, torch::kFloat64).requires_grad_()}); }

 private:
  Quadratic q_;
};

class Upper : public Problem {
 public:
  Upper(const Quadratic& q, ProblemOptions o) : Problem("upper", {q.lambda0}, std::move(o)), q_(q) {}
  torch::Tensor training_step(int64_t) override { return 0.5 * (peer("lower").params()[0] - q_.c).pow(2).sum(); }

 private:
  Quadratic q_;
};

torch::Tensor closed_form(const Quadratic& q) {
  const auto w = torch::linalg::solve(q.a, q.b.mv(q.lambda0), true);
  return q.b.t().mv(torch::linalg::solve(q.a, w - q.c, true));
}

/// The upper gradient the engine applies after one inner loop of `steps` lower steps.
torch::Tensor engine_hypergradient(const Quadratic& q, ProblemOptions lower, int64_t steps = 200) {
  lower.unroll_steps = steps;
  lower.optimizer.settings["lr"] = 0.3;
  ProblemOptions upper;
  upper.optimizer.settings["lr"] = 1.0;
  auto lo = std::make_shared<Lower>(q, lower);
  auto up = std::make_shared<Upper>(q, upper);
  EngineOptions options;
  options.log_step = 0;
  Engine engine({lo, up}, {{{"upper", {"lower"}}}, {{"lower", {"upper"}}}}, options, 7);
  for (int64_t i = 0; i < steps; ++i) engine.train_step();
  EXPECT_EQ(up->count(), 1);
  return q.lambda0 - up->params()[0].detach();
}

double relative_error(const torch::Tensor& got, const torch::Tensor& want) {
  return (got - want).norm().item<double>() / want.norm().item<double>();
}

TEST(Hypergradient, ConjugateGradientIsExactAfterDimIterations) {
  const auto q = make_quadratic(false);
  ProblemOptions o;
  o.hypergradient = {"cg", {{"iterations", 4}}};  // dim(w)
  EXPECT_LT(relative_error(engine_hypergradient(q, o), closed_form(q)), 1e-6);
  o.hypergradient.settings["iterations"] = 1;  // one iteration is not enough on this spectrum: the test can tell
  EXPECT_GT(relative_error(engine_hypergradient(q, o), closed_form(q)), 1e-3);
}

TEST(Hypergradient, NeumannSeriesConverges) {
  const auto q = make_quadratic(false);
  ProblemOptions o;
  o.hypergradient = {"neumann", {{"alpha", 0.3}, {"iterations", 200}}};  // alpha below 2 / largest eigenvalue (3)
  EXPECT_LT(relative_error(engine_hypergradient(q, o), closed_form(q)), 1e-6);
}

TEST(Hypergradient, IterativeDifferentiationThroughTheUnroll) {
  const auto q = make_quadratic(false);
  ProblemOptions o;
  o.hypergradient = {"itd"};
  EXPECT_LT(relative_error(engine_hypergradient(q, o), closed_form(q)), 1e-6);
  // A short unroll differentiates a lower problem that has not converged: a different answer.
  EXPECT_GT(relative_error(engine_hypergradient(q, o, 2), closed_form(q)), 1e-2);
}

TEST(Hypergradient, EvolutionStrategiesEstimateFromUpperLosses) {
  const auto q = make_quadratic(false);
  ProblemOptions o;
  o.hypergradient = {"es", {{"pairs", 1000}, {"sigma", 0.01}}};
  // The upper loss is quadratic in lambda, so each antithetic pair measures the directional
  // derivative exactly and the error is sampling alone, ~ sqrt(dim(lambda) / pairs) = 5.5%: the
  // stated tolerance is 15%. 40 lower steps converge to 1e-6 (contraction 0.7 per step).
  EXPECT_LT(relative_error(engine_hypergradient(q, o, 40), closed_form(q)), 0.15);
}

TEST(Hypergradient, EvolutionStrategiesWithRankShapingKeepTheDirection) {
  // Centered ranks discard the losses' scale, so only the direction is comparable.
  const auto q = make_quadratic(false);
  ProblemOptions o;
  o.hypergradient = {"es", {{"pairs", 300}, {"shaping", "centered_rank"}}};
  const auto g = engine_hypergradient(q, o, 40), want = closed_form(q);
  EXPECT_GT(g.dot(want).item<double>() / (g.norm() * want.norm()).item<double>(), 0.95);
}

TEST(Hypergradient, EachMethodReadsItsOwnSettings) {
  const auto read = [](const std::string& yaml) {
    return read_options<ProblemOptions>(Config::parse(yaml, "p.yaml")).hypergradient;
  };
  EXPECT_EQ(read("hypergradient: {name: cg, iterations: 3}").settings.at("iterations"), 3);
  ProblemOptions cg;
  cg.hypergradient = {"cg", {{"iterations", 3}}};
  // The defaults' settings hold for the same method and are dropped for another.
  EXPECT_EQ(read_options(Config::parse("hypergradient: {alpha: 0.5}", "p.yaml"), cg).hypergradient.settings,
            (nlohmann::json{{"iterations", 3}, {"alpha", 0.5}}));
  EXPECT_TRUE(read_options(Config::parse("hypergradient: darts", "p.yaml"), cg).hypergradient.settings.empty());
  const auto error = [&](const std::string& yaml) {
    try {
      read(yaml);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // Another method's setting is an unknown key; a bad value and an unknown method name the key.
  EXPECT_NE(
      error("hypergradient: {name: darts, iterations: 3}").find("p.yaml: hypergradient: unknown key 'iterations'"),
      std::string::npos);
  EXPECT_NE(error("hypergradient: {name: itd, alpha: 1}").find("unknown key 'alpha'"), std::string::npos);
  EXPECT_NE(error("hypergradient: {name: cg, iterations: 0}").find("p.yaml: hypergradient: iterations: must be >= 1"),
            std::string::npos);
  EXPECT_NE(error("hypergradient: magic").find("p.yaml: hypergradient: unknown 'magic'"), std::string::npos);
}

TEST(Hypergradient, DartsIsExactWhenTheHessianIsTheIdentity) {
  // darts replaces H^-1 by I: exact for A = I, and on any A it is exactly -(d2L/dlambda dw) v = B'v.
  const auto identity = make_quadratic(true);
  ProblemOptions o;
  o.hypergradient = {"darts"};
  EXPECT_LT(relative_error(engine_hypergradient(identity, o), closed_form(identity)), 1e-6);
  const auto q = make_quadratic(false);
  const auto w = torch::linalg::solve(q.a, q.b.mv(q.lambda0), true);
  EXPECT_LT(relative_error(engine_hypergradient(q, o), q.b.t().mv(w - q.c)), 1e-6);
}

}  // namespace
}  // namespace metaevo::mlo
