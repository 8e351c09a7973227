// Mixed precision: bf16 computes a problem's products in bfloat16 under autocast while its
// parameters and gradients stay float32, a bf16 run agrees with the float32 one within a stated
// tolerance (fp16 too, on CUDA), and fp16 on the CPU, an unknown name or bad loss-scaling settings
// are one-line errors naming the field.
#include "metaevo/mlo/precision.h"

#include <gtest/gtest.h>

#include "../support/errors.h"
#include "metaevo/mlo/engine.h"
#include "metaevo/mlo/program.h"

namespace metaevo::mlo {
namespace {

using namespace metaevo::testing;

/// A least-squares problem that notes the dtype its product is computed in.
class Product : public Problem {
 public:
  explicit Product(const std::string& precision) : Problem("product", {torch::ones({4, 3})}, options(precision)) {}
  torch::Tensor training_step(int64_t) override {
    const auto y = torch::matmul(torch::ones({2, 4}), params()[0]);
    seen = y.scalar_type();
    return (y - 1).pow(2).mean();
  }
  at::ScalarType seen = at::kFloat;

 private:
  static ProblemOptions options(const std::string& precision) {
    ProblemOptions o;
    o.precision = precision;
    return o;
  }
};

TEST(Precision, Bf16ComputesProductsInBfloat16AndKeepsParametersAndGradientsInFloat32) {
  for (const std::string precision : {"fp32", "bf16"}) {
    auto problem = std::make_shared<Product>(precision);
    const auto loss = problem->loss(0);
    EXPECT_EQ(problem->seen, precision == "bf16" ? at::kBFloat16 : at::kFloat) << precision;
    EXPECT_EQ(loss.scalar_type(), at::kFloat) << precision;
    EXPECT_EQ(vector_grad({loss}, problem->params(), {})[0].scalar_type(), at::kFloat) << precision;
    // The region ends with the call.
    EXPECT_FALSE(autocast_enabled(torch::kCPU));
    Engine engine({problem}, {}, EngineOptions{}, 1);
    engine.train_step();
    EXPECT_EQ(problem->params()[0].scalar_type(), at::kFloat) << precision;
    EXPECT_FALSE(torch::equal(problem->params()[0], torch::ones({4, 3}))) << precision;
  }
}

TEST(Precision, AutocastNestsAndRestoresThePreviousState) {
  EXPECT_FALSE(autocast_enabled(torch::kCPU));
  {
    const Autocast outer(Precision::bf16, torch::kCPU);
    {
      const Autocast inner(Precision::bf16, torch::kCPU);
      EXPECT_TRUE(autocast_enabled(torch::kCPU));
    }
    EXPECT_TRUE(autocast_enabled(torch::kCPU));
    const Autocast none(Precision::fp32, torch::kCPU);
    EXPECT_TRUE(autocast_enabled(torch::kCPU));
  }
  EXPECT_FALSE(autocast_enabled(torch::kCPU));
}

nlohmann::json run_weight_decay(const std::string& precision, const std::string& device = "cpu") {
  auto config = Config::parse(
      "program: {type: weight_decay, dataset: synthetic, features: 100, informative: 10, classes: 2,"
      " train_size: 100, valid_size: 100, test_size: 2000, init_decay: 0.01}\n"
      "problems: {model: {optimizer: {name: sgd, lr: 0.1}, unroll_steps: 100, hypergradient: {name: cg, iterations: "
      "3}},"
      " decay: {optimizer: {name: adam, lr: 0.05}}}\n",
      "test.yaml");
  config.set("problems.model.precision=" + precision);
  config.set("problems.decay.precision=" + precision);
  config.set("program.device=" + device);
  auto program = make_program(config, 1);
  EngineOptions o;
  o.log_step = 0;
  o.train_iters = 2000;
  Engine engine(program->problems, program->dependencies, o, 1);
  engine.set_validation([&] { return program->validate(); });
  return engine.run();
}

// The stated tolerance: 20 decay steps of the weight-decay program end with validation losses
// within 0.5% and test accuracies within 1 point (bfloat16 keeps 8 bits of mantissa; seen here:
// 0.9087 against 0.9085, both 60.05%).
TEST(Precision, Bf16AndFp32RunsOfASmallProgramAgree) {
  const auto fp32 = run_weight_decay("fp32"), bf16 = run_weight_decay("bf16");
  const double loss32 = fp32["valid_loss"].get<double>(), loss16 = bf16["valid_loss"].get<double>();
  EXPECT_NEAR(loss16, loss32, 0.005 * loss32) << fp32.dump() << "\n" << bf16.dump();
  EXPECT_NEAR(bf16["test_acc"].get<double>(), fp32["test_acc"].get<double>(), 0.01);
  EXPECT_NE(loss16, loss32) << "the bf16 run computed exactly as the float32 one";
  EXPECT_LT(loss32, 1.5) << "the program did not train";
}

// fp16 with loss scaling, on CUDA only, within the bf16 test's tolerance of the float32 run
// (float16 keeps 11 bits of mantissa to bfloat16's 8).
TEST(Precision, Fp16AndFp32RunsOfASmallProgramAgreeOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: fp16 runs on CUDA only";
  const auto fp32 = run_weight_decay("fp32", "cuda"), fp16 = run_weight_decay("fp16", "cuda");
  const double loss32 = fp32["valid_loss"].get<double>(), loss16 = fp16["valid_loss"].get<double>();
  EXPECT_NEAR(loss16, loss32, 0.005 * loss32) << fp32.dump() << "\n" << fp16.dump();
  EXPECT_NEAR(fp16["test_acc"].get<double>(), fp32["test_acc"].get<double>(), 0.01);
  EXPECT_LT(loss32, 1.5) << "the program did not train";
}

/// The weight net's first step under plain SGD (lr 1): minus its hypergradient by darts, with the
/// classifier in `precision`.
torch::Tensor first_hypergradient_step(const std::string& precision) {
  auto config = Config::parse(
      "program: {type: data_reweighting, dataset: synthetic, features: 20, classes: 4, train_size: 2000,"
      " valid_size: 100, test_size: 200, hidden: 64, weight_hidden: 8, batch_size: 50, meta_batch_size: 50}\n"
      "problems: {classifier: {optimizer: {name: sgd, lr: 0.1}, hypergradient: darts},"
      " reweight: {optimizer: {name: sgd, lr: 1}}}\n",
      "test.yaml");
  config.set("problems.classifier.precision=" + precision);
  auto program = make_program(config, 1);
  const auto before = clone_params(program->problems[1]->params());
  Engine engine(program->problems, program->dependencies, EngineOptions{}, 1);
  engine.train_step();
  std::vector<torch::Tensor> step;
  for (size_t i = 0; i < before.size(); ++i) step.push_back((program->problems[1]->params()[i] - before[i]).flatten());
  return torch::cat(step).to(torch::kFloat64);
}

// darts's finite differences run in float32 whatever the lower's precision: in bfloat16 its shift
// eps v would round away, and the hypergradient would be noise.
TEST(Precision, DartsUnderABf16LowerProblemFollowsTheFloat32Hypergradient) {
  const auto fp32 = first_hypergradient_step("fp32"), bf16 = first_hypergradient_step("bf16");
  ASSERT_GT(fp32.norm().item<double>(), 0);
  const double cosine = (fp32 * bf16).sum().item<double>() / (fp32.norm() * bf16.norm()).item<double>();
  // Seen: 1.000; 0.93 with darts's losses in bfloat16.
  EXPECT_GT(cosine, 0.99);
}

TEST(Precision, Fp16OnTheCpuUnknownNamesAndBadScalingAreOneLineErrorsNamingTheField) {
  for (const auto& [value, says] : std::vector<std::pair<std::string, std::string>>{
           {"fp16", "precision: fp16 needs a CUDA device (program.device is cpu)"},
           {"half", "precision: unknown 'half'"},
           {"{name: bf16, growth_interval: 10}", "precision: bf16 takes no settings"},
           {"{name: fp16, growth_interval: 0}", "precision: growth_interval: must be >= 1"},
           {"{name: fp16, backoff_factor: 2}", "precision: backoff_factor: must be in (0, 1)"}}) {
    auto config = Config::parse("program: {type: weight_decay}\n", "test.yaml");
    config.set("problems.decay.precision=" + value);
    const auto message = error_of([&] { make_program(config, 1); });
    EXPECT_NE(message.find("test.yaml: problems.decay." + says), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace metaevo::mlo
