// ES meta-training of a ProtoNet: a tiny run learns, a resumed run ends where an uninterrupted
// one does, and validation episodes take their own shape.
#include "metaevo/meta/few_shot_problem.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/errors.h"
#include "../support/omniglot.h"
#include "metaevo/es/driver.h"

namespace metaevo::meta {
namespace {

namespace fs = std::filesystem;

FewShotOptions tiny_es_data() {
  FewShotOptions o;
  o.data_dir = testing::omniglot_dir();
  o.ways = 5;
  o.shots = 1;
  o.queries = 5;
  o.channels = 8;
  o.episodes = 4;
  o.val_episodes = 200;
  return o;
}

std::unique_ptr<es::Strategy> strategy(const es::Problem& problem, uint64_t seed) {
  es::StrategyContext c;
  c.layout = problem.layout();
  c.x0 = problem.initial();
  c.seed = seed;
  c.sense = problem.sense();
  return es::make_strategy(
      Config::parse("name: openai_es\npopulation: 32\nsigma: 0.05\noptimizer: {name: adam, lr: 0.05}", "test"), c);
}

es::DriverOptions generations(int64_t n) {
  es::DriverOptions d;
  d.generations = n;
  d.report_every = 0;
  d.checkpoint_every = 1;
  return d;
}

TEST(FewShotEs, FlopsPerEvalCountEveryConvOfTheEpisodes) {
  SKIP_WITHOUT_OMNIGLOT();
  auto o = tiny_es_data();
  o.channels = 64;
  o.shots = 5;
  o.queries = 15;
  o.episodes = 2;
  // conv4-64 on 28x28: 3x3 kernels at 28, 14, 7 and 3 pixels a side (max-pool 2 in between).
  const double macs_per_image = 1 * 64 * 9 * 28 * 28 + 64 * 64 * 9 * (14 * 14 + 7 * 7 + 3 * 3);
  EXPECT_DOUBLE_EQ(FewShotProblem(o, 1).flops_per_eval(), 2 * macs_per_image * 5 * (5 + 15) * 2);
}

TEST(FewShotEs, ValidationEpisodesTakeTheirOwnShape) {
  SKIP_WITHOUT_OMNIGLOT();
  auto o = tiny_es_data();
  o.ways = 10;
  o.val_ways = 3;
  o.val_queries = 2;
  const auto d = load_few_shot_data(o, 1);
  const auto train = d.train->episode(0), val = d.val->episode(0);
  EXPECT_EQ(train.support.size(0), 10 * 1);
  EXPECT_EQ(train.query.size(0), 10 * 5);
  EXPECT_EQ(val.support.size(0), 3 * 1) << "val_shots 0 keeps the training shots";
  EXPECT_EQ(val.query.size(0), 3 * 2);
  EXPECT_EQ(std::get<0>(torch::_unique(val.query_labels)).numel(), 3);

  o.val_ways = 1;
  EXPECT_NE(testing::error_of([&] { o.validate(); }).find("val_ways"), std::string::npos);
  o.val_ways = 0;
  o.val_queries = -1;
  EXPECT_NE(testing::error_of([&] { o.validate(); }).find("val_queries"), std::string::npos);
}

TEST(FewShotEs, TinyRunImprovesValidationAccuracy) {
  SKIP_WITHOUT_OMNIGLOT();
  // One thread: under `ctest -j`, a parallel generation waits for its slowest chunk whenever
  // another test holds a core, and this run took minutes instead of seconds.
  at::set_num_threads(1);
  FewShotProblem problem(tiny_es_data(), 1);
  const double before = problem.report(problem.initial())["val_acc"];
  auto s = strategy(problem, 1);
  es::Driver driver(*s, problem, generations(40));
  const double after = driver.run().report["val_acc"];
  std::cout << "[ info     ] 5-way 1-shot validation accuracy " << before << " -> " << after << "\n";
  EXPECT_GT(after, 0.4) << "chance is 0.2";
  EXPECT_GT(after, before + 0.1);
}

TEST(FewShotEs, ResumedRunMatchesUninterrupted) {
  SKIP_WITHOUT_OMNIGLOT();
  auto o = tiny_es_data();
  o.val_episodes = 5;
  const auto dir = fs::temp_directory_path() / "metaevo_few_shot_resume";
  fs::remove_all(dir);
  fs::create_directories(dir);
  FewShotProblem problem(o, 2);

  auto whole_strategy = strategy(problem, 2);
  es::Driver whole(*whole_strategy, problem, generations(4));
  const auto expected = whole.run().center;

  auto first_strategy = strategy(problem, 2);
  es::Driver first(*first_strategy, problem, generations(2));
  first.set_checkpoint({(dir / "checkpoint.pt").string(), "es", "tiny"});
  first.run();
  auto second_strategy = strategy(problem, 2);
  es::Driver second(*second_strategy, problem, generations(4));
  second.set_checkpoint({(dir / "checkpoint.pt").string(), "es", "tiny"});
  ASSERT_TRUE(second.resume());
  EXPECT_TRUE(torch::equal(second.run().center, expected));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace metaevo::meta
