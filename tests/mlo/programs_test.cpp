#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../support/omniglot.h"
#include "../support/process.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/mlo/program.h"
#include "metaevo/run/metrics_log.h"

namespace metaevo::mlo {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Program> build(const std::string& yaml, uint64_t seed = 3) {
  return make_program(Config::parse(yaml, "test.yaml"), seed);
}

nlohmann::json run(Program& program, int64_t iters) {
  EngineOptions o;
  o.log_step = 0;
  o.train_iters = iters;
  Engine engine(program.problems, program.dependencies, o, 3);
  engine.set_validation([&] { return program.validate(); });
  return engine.run();
}

constexpr const char* kReweight = R"(
program: {type: data_reweighting, dataset: synthetic, features: 20, classes: 4, train_size: 2000, valid_size: 100,
          test_size: 200, noise: 0.4, hidden: 16, weight_hidden: 8, batch_size: 50, meta_batch_size: 50}
)";

TEST(Programs, SymmetricNoiseFlipsTheRequestedFractionToOtherClasses) {
  auto program = build(kReweight);
  const auto record = run(*program, 1);
  // 2,000 labels: the binomial standard deviation of the fraction is 1.1%.
  EXPECT_NEAR(record["flipped_fraction"].get<double>(), 0.4, 0.035);
  // Flipped means "differs from the clean label", so a label redrawn as itself would not count:
  // the fraction would fall to 0.4 * 3/4 = 0.3 with 4 classes.
  EXPECT_EQ(program->problems.size(), 2u);
}

TEST(Programs, ReweightingLearnsToDownWeightFlippedLabels) {
  auto program = build(kReweight);
  const auto record = run(*program, 400);
  EXPECT_LT(record["weight_flipped"].get<double>(), record["weight_clean"].get<double>()) << record.dump();
}

TEST(Programs, BaselineIsOneProblemWithTheSameClassifier) {
  auto config = Config::parse(kReweight, "test.yaml");
  config.set("program.reweight=false");
  auto plain = make_program(config, 3);
  auto weighted = build(kReweight);
  ASSERT_EQ(plain->problems.size(), 1u);
  for (size_t i = 0; i < plain->problems[0]->params().size(); ++i)
    EXPECT_TRUE(torch::equal(plain->problems[0]->params()[i], weighted->problems[0]->params()[i]));
}

TEST(Programs, ThreeLevelProgramStepsTheTopThroughTheMiddle) {
  auto program = build(R"(
program: {type: weight_decay_3level, dataset: synthetic, features: 10, train_size: 30, valid_size: 30, test_size: 50}
problems:
  model: {unroll_steps: 4}
  decay: {unroll_steps: 2}
)");
  const auto mu = program->problems[2]->params()[0].clone();
  const auto record = run(*program, 16);
  EXPECT_EQ(program->problems[0]->count(), 16);
  EXPECT_EQ(program->problems[1]->count(), 4);
  EXPECT_EQ(program->problems[2]->count(), 2);
  EXPECT_FALSE(torch::equal(mu, program->problems[2]->params()[0])) << "the top level never moved";
  EXPECT_TRUE(record.contains("prior_mu"));
}

TEST(Programs, BadSettingsNameTheirField) {
  auto expect_error = [](const std::string& yaml, const std::string& needle) {
    try {
      build(yaml);
      FAIL() << "expected an error for " << yaml;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("program: {type: nope}", "program.type");
  expect_error("program: {type: weight_decay, dataset: nope}", "program.dataset");
  expect_error("program: {type: weight_decay}\nproblems: {model: {hypergradient: magic}}",
               "problems.model.hypergradient");
  expect_error("program: {type: weight_decay}\nproblems: {decay: {optimizer: {lr: -1}}}",
               "problems.decay.optimizer: lr");
  expect_error("program: {type: weight_decay}\nproblems: {decay: {optimizer: {momentum: 0.9}}}",
               "problems.decay.optimizer: unknown key 'momentum'");  // decay's default is adam
  expect_error("program: {type: data_reweighting, dataset: synthetic, noise: 1.5}", "program.noise");
}

TEST(Programs, MamlAndImamlTrainOnOmniglot) {
  if (!testing::has_omniglot()) GTEST_SKIP() << testing::omniglot_dir() << " not found (see ../shared/data/README.md)";
  for (const std::string variant : {"itd", "cg"}) {
    auto program =
        build("program: {type: maml, data_dir: '" + testing::omniglot_dir() +
              "', ways: 5, shots: 1, queries: 5, channels: 8, val_episodes: 5, proximal: " +
              std::string(variant == "cg" ? "1.0" : "0.0") + "}\nproblems: {adapt: {hypergradient: " + variant +
              ", unroll_steps: 2}, meta: {gradient_accumulation: 2}}");
    const auto theta = program->problems[1]->params()[0].clone();
    const auto record = run(*program, 8);
    EXPECT_EQ(program->problems[1]->count(), 4) << variant;
    EXPECT_FALSE(torch::equal(theta, program->problems[1]->params()[0])) << variant;
    EXPECT_GE(record["test_acc"].get<double>(), 0.0);
  }
}

TEST(MloCommand, RunsResumesAndRefusesBadConfigs) {
  const auto out = fs::temp_directory_path() / "metaevo_mlo_cli";
  fs::remove_all(out);
  fs::create_directories(out);
  const auto config = (out / "c.yaml").string();
  write_file_atomic(config, R"(
seed: 2
program: {type: weight_decay, dataset: synthetic, features: 10, train_size: 20, valid_size: 20, test_size: 50}
problems: {model: {unroll_steps: 5}}
engine: {train_iters: 40, valid_step: 10, log_step: 0, checkpoint_every: 10}
)");
  const auto run_dir = (out / "run").string();
  ASSERT_EQ(testing::run_cli({"mlo", "--config", config, "--output", run_dir}), 0);
  for (const char* f : {"metrics.jsonl", "result.json", "report.html", "checkpoint.pt", "config.yaml"})
    EXPECT_TRUE(fs::exists(fs::path(run_dir) / f)) << f;
  // A second run into the same directory must be asked for explicitly.
  EXPECT_NE(testing::run_cli({"mlo", "--config", config, "--output", run_dir}), 0);
  EXPECT_EQ(
      testing::run_cli({"mlo", "--config", config, "--output", run_dir, "--resume", "--set", "engine.train_iters=60"}),
      0);
  const auto metrics = run::read_metrics((fs::path(run_dir) / "metrics.jsonl").string());
  EXPECT_EQ(metrics.x_key, "iteration");
  EXPECT_EQ(metrics.records.size(), 6u);  // iterations 10..60
  EXPECT_EQ(metrics.records.back()["iteration"], 60);
  const auto stderr_path = (out / "err.txt").string();
  const pid_t pid = testing::spawn({METAEVO_BINARY, "mlo", "--config", config, "--output", (out / "bad").string(),
                                    "--set", "problems.model.unroll_steps=0"},
                                   {}, stderr_path);
  EXPECT_EQ(testing::wait_for(pid, 60), 2);
  EXPECT_NE(read_file(stderr_path).find("problems.model.unroll_steps"), std::string::npos) << read_file(stderr_path);
  fs::remove_all(out);
}

}  // namespace
}  // namespace metaevo::mlo
