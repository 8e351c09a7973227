// Every strategy solves the sphere; checkpoints resume bitwise-identically; bad options are named.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "metaevo/es/driver.h"
#include "metaevo/es/problems/functions.h"
#include "metaevo/es/strategy.h"

namespace metaevo::es {
namespace {

struct Case {
  std::string name;
  std::string yaml;  // strategy section
  int64_t generations;
  double tolerance;  // on f(center) of 10-D sphere from x0 = 1 (f = 10)
};

std::vector<Case> cases() {
  return {
      {"openai_es",
       "name: openai_es\npopulation: 40\nsigma: 0.01\nl2: 0\noptimizer: {name: sgd, lr: 0.001, momentum: 0.5}", 400,
       1e-3},
      {"openai_es_adam", "name: openai_es\npopulation: 40\nsigma: 0.01\nl2: 0\noptimizer: {name: adam, lr: 0.01}", 500,
       1e-2},
      {"openai_es_sigma_decay",
       "name: openai_es\npopulation: 40\nsigma: 0.1\nsigma_decay: 0.99\nmin_sigma: 0.001\nl2: 0\n"
       "optimizer: {name: adam, lr: 0.02, lr_decay: 0.99, min_lr: 0.0001}",
       400, 1e-5},
      {"pgpe", "name: pgpe\npopulation: 40\nsigma: 0.5\noptimizer: {name: sgd, lr: 1.0, momentum: 0}", 400, 1e-6},
      {"pgpe_clipup", "name: pgpe\npopulation: 40\nsigma: 0.5\noptimizer: {name: clipup, lr: 0.02, max_speed: 0.04}",
       400, 1e-2},
      {"snes", "name: snes\nsigma: 0.5", 600, 1e-10},
      {"cmaes", "name: cmaes\nsigma: 0.5", 300, 1e-10},
      {"sep_cmaes", "name: sep_cmaes\nsigma: 0.5", 400, 1e-10},
  };
}

std::unique_ptr<Strategy> build(const std::string& yaml, FunctionProblem& problem, uint64_t seed) {
  StrategyContext c;
  c.layout = problem.layout();
  c.x0 = problem.initial();
  c.seed = seed;
  c.sense = problem.sense();
  return make_strategy(Config::parse(yaml, "test"), c);
}

FunctionProblemOptions sphere10() {
  FunctionProblemOptions o;
  o.function = "sphere";
  o.dim = 10;
  o.x0 = 1.0;
  return o;
}

class EveryStrategy : public ::testing::TestWithParam<Case> {};

TEST_P(EveryStrategy, SolvesTheSphere) {
  const auto& c = GetParam();
  FunctionProblem problem(sphere10());
  auto strategy = build(c.yaml, problem, 7);
  DriverOptions o;
  o.generations = c.generations;
  o.report_every = 0;
  Driver driver(*strategy, problem, o);
  auto result = driver.run();
  EXPECT_GT(result.update_s, 0.0);  // the bench's update_fraction
  const double f = problem.report(result.center)["f"].get<double>();
  EXPECT_LT(f, c.tolerance) << c.name << " after " << result.state.generation << " generations: f = " << f;
}

TEST_P(EveryStrategy, ResumeIsBitwiseIdentical) {
  const auto& c = GetParam();
  namespace fs = std::filesystem;
  const auto path = (fs::temp_directory_path() / ("metaevo_resume_" + c.name + ".pt")).string();
  fs::remove(path);
  FunctionProblem problem(sphere10());
  DriverOptions o;
  o.generations = 12;
  o.report_every = 0;
  o.checkpoint_every = 1;

  auto whole = build(c.yaml, problem, 3);
  Driver(*whole, problem, o).run();

  auto first = build(c.yaml, problem, 3);
  DriverOptions half = o;
  half.generations = 5;
  Driver d1(*first, problem, half);
  d1.set_checkpoint({path, "es", "fp"});
  d1.run();

  auto second = build(c.yaml, problem, 3);  // a fresh process would start here
  Driver d2(*second, problem, o);
  d2.set_checkpoint({path, "es", "fp"});
  ASSERT_TRUE(d2.resume());
  EXPECT_EQ(d2.state().generation, 5);
  d2.run();
  EXPECT_TRUE(torch::equal(whole->center(), second->center())) << c.name;
  EXPECT_EQ(whole->generation(), second->generation());

  Driver wrong(*build(c.yaml, problem, 3), problem, o);
  wrong.set_checkpoint({path, "es", "other settings"});
  EXPECT_THROW(wrong.resume(), Error);
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Es, EveryStrategy, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(Strategies, OpenAIESSigmaDecaysToItsFloor) {
  FunctionProblem problem(sphere10());
  auto strategy = build("name: openai_es\npopulation: 8\nsigma: 0.1\nsigma_decay: 0.5\nmin_sigma: 0.01", problem, 1);
  DriverOptions o;
  o.report_every = 0;
  for (const auto& [generations, sigma] :
       std::vector<std::pair<int64_t, float>>{{0, 0.1f}, {3, 0.0125f}, {10, 0.01f}}) {
    o.generations = generations;
    if (generations > 0) Driver(*strategy, problem, o).run();
    EXPECT_FLOAT_EQ(strategy->ask().sigma.item<float>(), sigma) << "after " << generations << " generations";
  }
}

TEST(Strategies, BadOptionsNameTheKey) {
  FunctionProblem problem(sphere10());
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"name: openai_es\npopulation: 7", "population"},
           {"name: openai_es\nsigma: -1", "sigma"},
           {"name: openai_es\nsigma_decay: 0.99", "min_sigma"},
           {"name: openai_es\nsigma_decay: 1.5", "sigma_decay"},
           {"name: pgpe\noptimizer: {name: rmsprop}", "optimizer: unknown 'rmsprop'"},
           {"name: openai_es\noptimizer: {max_speed: 1}", "max_speed"},
           {"name: snes\nshaping: best", "shaping"},
           {"name: simulated_annealing", "name"}}) {
    try {
      build(yaml, problem, 0);
      ADD_FAILURE() << "no error for " << yaml;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  }
}

TEST(Strategies, CorruptCheckpointIsAnErrorNamingTheFile) {
  namespace fs = std::filesystem;
  const auto path = (fs::temp_directory_path() / "metaevo_corrupt.pt").string();
  { std::ofstream(path) << "not a checkpoint"; }
  FunctionProblem problem(sphere10());
  auto s = build("name: snes", problem, 0);
  DriverOptions o;
  Driver d(*s, problem, o);
  d.set_checkpoint({path, "es", "fp"});
  try {
    d.resume();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  fs::remove(path);
}

}  // namespace
}  // namespace metaevo::es
