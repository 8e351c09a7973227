#include "metaevo/mlo/engine.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "metaevo/core/error.h"
#include "metaevo/mlo/program.h"

namespace metaevo::mlo {
namespace {

/// A problem whose loss is |x|^2 plus, for each problem it reads, the mean of that problem's
/// parameters: enough to connect every dependency in the graph.
class Toy : public Problem {
 public:
  Toy(const std::string& name, std::vector<std::string> reads, int64_t unroll)
      : Problem(name, {torch::ones({2})}, options(unroll)), reads_(std::move(reads)) {}
  torch::Tensor training_step(int64_t) override {
    auto loss = params()[0].pow(2).sum();
    for (const auto& r : reads_) loss = loss + peer(r).params()[0].mean() * params()[0].sum();
    return loss;
  }

 private:
  static ProblemOptions options(int64_t unroll) {
    ProblemOptions o;
    o.unroll_steps = unroll;
    o.optimizer.settings["lr"] = 0.01;
    return o;
  }
  std::vector<std::string> reads_;
};

EngineOptions quiet() {
  EngineOptions o;
  o.log_step = 0;
  return o;
}

TEST(Engine, InnerUnrollOfTenStepsTheOuterOncePerTen) {
  auto inner = std::make_shared<Toy>("inner", std::vector<std::string>{"outer"}, 10);
  auto outer = std::make_shared<Toy>("outer", std::vector<std::string>{"inner"}, 1);
  Engine engine({inner, outer}, {{{"outer", {"inner"}}}, {{"inner", {"outer"}}}}, quiet(), 1);
  for (int i = 0; i < 10; ++i) engine.train_step();
  EXPECT_EQ(inner->count(), 10);
  EXPECT_EQ(outer->count(), 1);
  for (int i = 0; i < 15; ++i) engine.train_step();
  EXPECT_EQ(inner->count(), 25);
  EXPECT_EQ(outer->count(), 2);
  ASSERT_EQ(engine.paths("outer").size(), 1u);
  EXPECT_EQ(engine.paths("outer")[0].size(), 3u);  // outer -> inner -> outer
  EXPECT_TRUE(engine.paths("inner").empty());
}

TEST(Engine, ThreeLevelsStepRecursively) {
  auto bottom = std::make_shared<Toy>("bottom", std::vector<std::string>{"middle"}, 2);
  auto middle = std::make_shared<Toy>("middle", std::vector<std::string>{"top", "bottom"}, 3);
  auto top = std::make_shared<Toy>("top", std::vector<std::string>{"bottom"}, 1);
  Dependencies deps{{{"middle", {"bottom"}}, {"top", {"bottom"}}}, {{"bottom", {"middle"}}, {"middle", {"top"}}}};
  Engine engine({bottom, middle, top}, deps, quiet(), 1);
  for (int i = 0; i < 12; ++i) engine.train_step();
  EXPECT_EQ(bottom->count(), 12);
  EXPECT_EQ(middle->count(), 6);
  EXPECT_EQ(top->count(), 2);
  ASSERT_EQ(engine.paths("top").size(), 1u);
  std::vector<std::string> names;
  for (const auto* p : engine.paths("top")[0]) names.push_back(p->name());
  EXPECT_EQ(names, (std::vector<std::string>{"top", "bottom", "middle", "top"}));
}

TEST(Engine, BadDependenciesAreErrors) {
  auto a = std::make_shared<Toy>("a", std::vector<std::string>{}, 1);
  auto b = std::make_shared<Toy>("b", std::vector<std::string>{}, 1);
  EXPECT_THROW(Engine({a, b}, {{{"a", {"c"}}}, {}}, quiet(), 1), Error);
  EXPECT_THROW(Engine({a, b}, {{}, {{"a", {"a"}}}}, quiet(), 1), Error);
}

Config program_config(int64_t iters, const std::string& method) {
  auto config = Config::parse(R"(
seed: 5
program: {type: weight_decay, dataset: synthetic, features: 20, train_size: 40, valid_size: 40, test_size: 100, batch_size: 10}
problems:
  model: {unroll_steps: 4}
  decay: {optimizer: {lr: 0.05}}
engine: {log_step: 0, valid_step: 8, checkpoint_every: 4}
)",
                              "test.yaml");
  config.set("engine.train_iters=" + std::to_string(iters));
  config.set("problems.model.hypergradient=" + method);
  return config;
}

/// The parameters of every problem after `iters` iterations, optionally resumed from `checkpoint`.
std::vector<torch::Tensor> run_program(int64_t iters, const std::string& method, const std::string& checkpoint,
                                       nlohmann::json* history = nullptr) {
  const auto config = program_config(iters, method);
  auto program = make_program(config, 5);
  Engine engine(program->problems, program->dependencies, read_options<EngineOptions>(config.section("engine")), 5);
  engine.set_validation([&] { return program->validate(); });
  engine.set_checkpoint({checkpoint, "mlo", "settings"});
  engine.resume();
  engine.run();
  if (history) *history = engine.history();
  std::vector<torch::Tensor> out;
  for (const auto& p : engine.problems())
    for (const auto& t : p->params()) out.push_back(t.detach().clone());
  return out;
}

TEST(Engine, ResumeEqualsUninterruptedRun) {
  for (const std::string method : {"cg", "itd", "es"}) {
    const auto dir = std::filesystem::temp_directory_path() / ("metaevo_mlo_resume_" + method);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    nlohmann::json whole_history, resumed_history;
    const auto whole = run_program(24, method, (dir / "whole.pt").string(), &whole_history);
    run_program(12, method, (dir / "split.pt").string());
    const auto resumed = run_program(24, method, (dir / "split.pt").string(), &resumed_history);
    ASSERT_EQ(whole.size(), resumed.size());
    for (size_t i = 0; i < whole.size(); ++i)
      EXPECT_TRUE(torch::equal(whole[i], resumed[i])) << method << " tensor " << i;
    // The interrupted run also validated where it stopped; the records at the end agree.
    EXPECT_EQ(whole_history.back(), resumed_history.back()) << method;
    std::filesystem::remove_all(dir);
  }
}

TEST(Engine, CheckpointOfOtherSettingsIsRefused) {
  const auto dir = std::filesystem::temp_directory_path() / "metaevo_mlo_fingerprint";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "c.pt").string();
  run_program(8, "cg", path);
  const auto config = program_config(8, "cg");
  auto program = make_program(config, 5);
  Engine engine(program->problems, program->dependencies, read_options<EngineOptions>(config.section("engine")), 5);
  engine.set_checkpoint({path, "mlo", "other settings"});
  EXPECT_THROW(engine.resume(), Error);
  std::filesystem::remove_all(dir);
}

TEST(Engine, EarlyStoppingStopsWhenTheMetricStallsAndNamesAMissingMetric) {
  auto config = program_config(400, "cg");
  config.set("engine.early_stopping=true");
  config.set("engine.early_stopping_metric=train_acc");
  config.set("engine.early_stopping_mode=max");
  config.set("engine.early_stopping_tolerance=2");
  auto program = make_program(config, 5);
  Engine engine(program->problems, program->dependencies, read_options<EngineOptions>(config.section("engine")), 5);
  engine.set_validation([&] { return program->validate(); });
  engine.run();
  // 40 training points are fitted perfectly long before 400 iterations: accuracy stops improving.
  EXPECT_LT(engine.iteration(), 400);
  config.set("engine.early_stopping_metric=nonexistent");
  auto again = make_program(config, 5);
  Engine bad(again->problems, again->dependencies, read_options<EngineOptions>(config.section("engine")), 5);
  bad.set_validation([&] { return again->validate(); });
  try {
    bad.run();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("early_stopping_metric"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace metaevo::mlo
