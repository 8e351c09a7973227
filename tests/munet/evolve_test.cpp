// The muNet outer loop (munet/evolve.h) run in-process on the tests' toy data set (quadrants).
#include "metaevo/munet/evolve.h"

#include <gtest/gtest.h>

#include "../support/munet_tasks.h"
#include "../support/scratch_dir.h"
#include "metaevo/run/metrics_log.h"

namespace metaevo::munet {
namespace {

EvolveSettings tiny(int64_t task_iterations = 2) {
  EvolveSettings s;
  s.seed = 2;
  s.vit = testing::small_vit();
  s.train.batch_size = 32;
  s.train.validations = 1;
  s.train.batches_between_validations = 4;
  s.evolution.children = 2;
  s.tasks = {"quadrants"};
  s.task_iterations = task_iterations;
  return s;
}

std::vector<nlohmann::json> records(const std::vector<TaskIteration>& history) {
  std::vector<nlohmann::json> out;
  for (const auto& it : history) out.push_back(it.to_json());
  return out;
}

class MunetEvolve : public testing::ScratchDirTest {
 protected:
  MunetEvolve() : ScratchDirTest("metaevo_munet_evolve_") {}
  std::string out(const std::string& name) { return (dir_ / name).string(); }
};

TEST_F(MunetEvolve, ScheduleRunsRoundsThenTheAddedTasks) {
  auto s = tiny(2);
  s.tasks = {"a", "b"};
  EXPECT_EQ(task_schedule(s, {}, 0), (std::vector<std::string>{"a", "b", "a", "b"}));
  // Added tasks come after everything already run, however many that was.
  EXPECT_EQ(task_schedule(s, {"c"}, 4), (std::vector<std::string>{"a", "b", "a", "b", "c", "c"}));
  EXPECT_EQ(task_schedule(s, {"c"}, 6), (std::vector<std::string>{"a", "b", "a", "b", "", "", "c", "c"}));
  s.baseline.kind = "finetune";  // a baseline trains each task once, for the whole budget
  EXPECT_EQ(task_schedule(s, {"c"}, 2), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(baseline_budget(s).validations, s.train.validations * s.evolution.children * 2);
}

TEST_F(MunetEvolve, ContinuesAfterTheStoredIterationsAsIfNeverStopped) {
  const auto whole = evolve_system(tiny(2), {}, out("whole"));
  ASSERT_EQ(whole.history.size(), 2u);
  EXPECT_TRUE(whole.pretrain.is_null());
  // Stopped after one round, then asked for two: the second round continues the stored system.
  EXPECT_EQ(evolve_system(tiny(1), {}, out("split")).history.size(), 1u);
  const auto split = evolve_system(tiny(2), {}, out("split"));
  EXPECT_EQ(records(split.history), records(whole.history));
  const auto metrics = run::read_metrics(out("split") + "/metrics.jsonl");
  EXPECT_EQ(metrics.x_key, "task_iterations");
  ASSERT_EQ(metrics.records.size(), 2u);
  EXPECT_EQ(metrics.records[1]["test_quality"], whole.history[1].test_quality);
  // Nothing left to do: a rerun changes nothing.
  EXPECT_EQ(records(evolve_system(tiny(2), {}, out("split")).history), records(whole.history));
}

TEST_F(MunetEvolve, AddedTasksExtendTheSystemWithoutTouchingTheOthers) {
  const auto first = evolve_system(tiny(1), {}, out("run"));
  const auto kept = first.population.paths("quadrants")[0];
  const auto x = testing::quadrants(16).test.x;
  const auto before = kept->forward(x, first.population.vit());
  const auto grown = evolve_system(tiny(1), {"quadrants:mirrored"}, out("run"));
  ASSERT_EQ(grown.history.size(), 2u);
  EXPECT_EQ(grown.history[1].task, "quadrants:mirrored");
  const auto rows = system_summary(grown.population);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(torch::equal(grown.population.paths("quadrants")[0]->forward(x, grown.population.vit()), before));
}

TEST_F(MunetEvolve, ABaselineTrainsEachTaskOnce) {
  auto s = tiny(2);
  s.baseline.kind = "adapters";
  const auto run = evolve_system(s, {}, out("base"));
  ASSERT_EQ(run.history.size(), 1u);
  EXPECT_EQ(run.history[0].children, 1);
  EXPECT_TRUE(run.population.paths("quadrants")[0]->components.count("residual_adapter_0"));
}

TEST_F(MunetEvolve, AnotherShapeOrMutationSettingIsAnotherSystem) {
  evolve_system(tiny(1), {}, out("run"));
  auto wider = tiny(1);
  wider.vit.width = 24;
  EXPECT_THROW(evolve_system(wider, {}, out("run")), Error);
  auto other = tiny(1);
  other.mutation.probability = 0.2;
  EXPECT_THROW(evolve_system(other, {}, out("run")), Error);
  auto longer = tiny(3);  // more rounds of the same system is fine
  EXPECT_EQ(evolve_system(longer, {}, out("run")).history.size(), 3u);
}

TEST_F(MunetEvolve, SettingsComeFromTheConfigAndTasksAreCheckedFirst) {
  const auto config = Config::parse(
      "seed: 4\nvit: {width: 16, heads: 2, mlp_dim: 32, depth: 2}\nevolution: {children: 3}\n"
      "train: {batch_size: 16, validations: 1, batches_between_validations: 2, validation_batches: 1}\n"
      "mutation: {probability: 0.2, forced: [], kinds: [hp, clone]}\ntasks: [quadrants]\ntask_iterations: 2\n"
      "hparams: {opt_lr: {default: 0.05}, adapter_dim: {values: [8, 16], default: 16}, opt_nesterov: {default: "
      "true}}\n",
      "c.yaml");
  const auto s = EvolveSettings::read(config);
  EXPECT_EQ(s.seed, 4u);
  EXPECT_EQ(s.evolution.children, 3);
  EXPECT_EQ(s.mutation.probability, 0.2);
  EXPECT_TRUE(s.mutation.forced.empty());
  EXPECT_EQ(s.mutation.kinds, (std::vector<std::string>{"hp", "clone"}));
  EXPECT_EQ(s.task_iterations, 2);
  // A system's fingerprint is the one it had before growth mutations existed, unless it grows.
  const auto mutation_keys = [](const EvolveSettings& e) {
    std::vector<std::string> keys;
    const auto identity = e.identity();
    for (const auto& [key, value] : identity.at("mutation").items()) keys.push_back(key);
    return keys;
  };
  EXPECT_EQ(mutation_keys(s), (std::vector<std::string>{"forced", "kinds", "probability", "rate_values"}));
  auto growing = s;
  growing.mutation.grow = {{"heads", {4}}};
  EXPECT_EQ(mutation_keys(growing).size(), 5u);
  const auto space = s.space();
  EXPECT_EQ(space.defaults.at("opt_lr"), 0.05);
  EXPECT_EQ(space.defaults.at("opt_nesterov"), true);
  EXPECT_EQ(space.ranges.at("adapter_dim"), (std::vector<nlohmann::json>{8, 16}));
  EXPECT_EQ(evolve_system(s, {}, out("configured")).population.root()->hparams.at("adapter_dim"), 16);
  EXPECT_NO_THROW(check_tasks(s, {"quadrants:mirrored"}, "c.yaml"));
  const auto message = [&](const std::string& text, const std::vector<std::string>& add = {}) {
    try {
      check_tasks(EvolveSettings::read(Config::parse(text, "c.yaml")), add, "c.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message("tasks: [quadrants:upside-down]").find("c.yaml: tasks"), std::string::npos);
  EXPECT_NE(message("tasks: [quadrants]", {"no-such-task"}).find("--add-task"), std::string::npos);
  EXPECT_NE(message("tasks: []").find("c.yaml: tasks"), std::string::npos);
  EXPECT_NE(message("mutation: {kinds: [shrink]}\ntasks: [quadrants]").find("mutation.kinds"), std::string::npos);
  EXPECT_NE(message("mutation: {grow: {width: [256]}}\ntasks: [quadrants]").find("mutation.grow"), std::string::npos);
  EXPECT_NE(message("task_iterations: 0\ntasks: [quadrants]").find("task_iterations"), std::string::npos);
  EXPECT_NE(
      message("hparams: {learning_rate: {default: 0.1}}\ntasks: [quadrants]").find("c.yaml: hparams: learning_rate"),
      std::string::npos);
  EXPECT_NE(message("hparams: {opt_lr: {default: 0.07}}\ntasks: [quadrants]").find("opt_lr.default"),
            std::string::npos);
  EXPECT_NE(message("hparams: {opt_lr: {valeus: [0.1]}}\ntasks: [quadrants]").find("valeus"), std::string::npos);
  EXPECT_NE(message("tasks: [mnist]\ndata: {mnist: /nonexistent}").find("c.yaml: data"), std::string::npos);
}

}  // namespace
}  // namespace metaevo::munet
