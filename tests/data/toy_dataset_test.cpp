// A data set added by one registration (the tests' "quadrants", support/toy_dataset.h) is a data
// set of every capability: es's classification problem, tune's image classifier, mlo's programs
// and muNet's tasks train on it by name, with no other change.
#include "../support/toy_dataset.h"

#include <gtest/gtest.h>

#include "../support/scratch_dir.h"
#include "metaevo/es/run.h"
#include "metaevo/hpo/objective.h"
#include "metaevo/mlo/program.h"
#include "metaevo/munet/tasks.h"

namespace metaevo {
namespace {

class ToyDataset : public testing::ScratchDirTest {
 protected:
  ToyDataset() : ScratchDirTest("metaevo_toy_") {}
};

TEST_F(ToyDataset, OneRegistrationCutByTheOneRule) {
  const auto d = data::load_dataset("quadrants", {});
  EXPECT_EQ(d.name, "quadrants");
  EXPECT_EQ(d.classes, 4);
  EXPECT_EQ(d.train.size(), 128);
  EXPECT_EQ(d.valid.size(), 256);
  EXPECT_EQ(d.test.size(), 256);
  const auto cut = data::load_dataset("quadrants:mirrored", {}, {100, 50});
  EXPECT_EQ(cut.valid.size(), 100);
  EXPECT_EQ(cut.train.size(), 50);
  EXPECT_TRUE(torch::equal(cut.valid.x, d.valid.x.narrow(0, 156, 100).flip({3})));
  EXPECT_THROW(data::load_dataset("quadrants:upside-down", {}), Error);
  EXPECT_THROW(data::load_dataset("quadrants", {}, {400, 0}), Error);
  EXPECT_EQ(data::available_datasets("quadrants", {}), (std::vector<std::string>{"quadrants", "quadrants:mirrored"}));
}

TEST_F(ToyDataset, EsTrainsOnIt) {
  auto run = es::make_es_run(Config::parse(R"(
seed: 3
problem: {type: classification, dataset: quadrants, batch: 64, model: {type: mlp, hidden: [16]}}
strategy: {name: openai_es, population: 64, sigma: 0.05, optimizer: {name: adam, lr: 0.03}}
)",
                                           "toy.yaml"));
  run.driver.generations = 60;
  run.driver.report_every = 0;
  run.driver.log_every_s = 0;
  es::Driver driver(*run.strategy, *run.problem, run.driver);
  const auto result = driver.run();
  EXPECT_GT(result.report.at("test_acc").get<double>(), 0.6);  // four classes: chance is 0.25
}

TEST_F(ToyDataset, TuneTrainsOnIt) {
  auto objective = hpo::make_objective(
      Config::parse("objective: {type: image_classifier, dataset: quadrants, model: mlp, validation_size: 256}",
                    "toy.yaml")
          .section("objective"));
  const hpo::Assignment config = {{"lr", 0.05}, {"momentum", 0.9}, {"weight_decay", 0.0}, {"width", 32},
                                  {"depth", 1}, {"dropout", 0.0},  {"batch_size", 32}};
  auto trial = objective->open(config, 1, (dir_ / "trial.pt").string());
  double value = 0;
  for (int e = 0; e < 5; ++e) value = trial->train_epoch().value;
  EXPECT_GT(value, 0.6);
}

TEST_F(ToyDataset, MloTrainsOnIt) {
  auto program = mlo::make_program(Config::parse(R"(
program: {type: weight_decay, dataset: quadrants, valid_size: 256}
problems:
  model: {unroll_steps: 20, lr: 0.1}
)",
                                                 "toy.yaml"),
                                   2);
  mlo::EngineOptions o;
  o.log_step = 0;
  o.train_iters = 40;
  mlo::Engine engine(program->problems, program->dependencies, o, 2);
  engine.set_validation([&] { return program->validate(); });
  engine.run();
  EXPECT_GT(program->validate().at("test_acc").get<double>(), 0.6);
}

TEST_F(ToyDataset, IsAMunetTask) {
  const auto task = munet::load_task("quadrants:mirrored", {});
  EXPECT_EQ(task.name, "quadrants:mirrored");
  EXPECT_EQ(task.train.x.sizes(), (std::vector<int64_t>{128, 1, 32, 32}));
  EXPECT_LE(task.train.x.max().item<float>(), 2.0f);
  EXPECT_GE(task.train.x.min().item<float>(), -2.5f);
  // The ViT's images are the data set's, scaled from [0, 1] to [-1, 1].
  const auto plain = data::load_dataset("quadrants:mirrored", {});
  EXPECT_TRUE(torch::allclose(task.test.x, plain.test.x * 2 - 1));
}

}  // namespace
}  // namespace metaevo
