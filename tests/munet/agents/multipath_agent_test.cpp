// The `multipath` agent class on a shared store: it builds its models on other agents' published
// paths, publishes its best one, which reloads from the store and re-evaluates to the test
// accuracy it was published with; bad settings are one-line errors, and until the system holds
// paths to build on, it waits.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../support/agent_systems.h"
#include "../../support/errors.h"
#include "../../support/stores.h"
#include "metaevo/munet/agents/agent.h"
#include "metaevo/run/metrics_log.h"

namespace metaevo::munet {
namespace {

namespace fs = std::filesystem;

class MultipathAgentTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    METAEVO_REQUIRE_BACKEND(GetParam());
    dir_ = fs::temp_directory_path() / ("metaevo_multipath_agent_" + GetParam() + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    location_ = testing::fresh_store(GetParam(), dir_, "agents");
    system_.tasks = {"quadrants", "mirrored"};
    store_ = std::make_unique<AgentStore>(location_);
    prepare_agent_system(*store_, system_, dir_.string());
  }
  AgentRun run(const std::string& cls, const data::Splits& task, const std::string& block = "{}", int64_t cycles = 1) {
    AgentOptions o;
    o.cycles = cycles;
    o.generations = 3;
    o.max_population = 2;
    return run_agent(system_, o, cls, *testing::agent_class(cls, block), task, *store_, log_dir(cls, task.name));
  }
  std::string log_dir(const std::string& cls, const std::string& task) const { return (dir_ / cls / task).string(); }

  EvolveSettings system_ = testing::tiny_agent_system();
  const data::Splits quadrants_ = testing::quadrants(128), mirrored_ = testing::mirrored(128);
  fs::path dir_;
  std::string location_;
  std::unique_ptr<AgentStore> store_;
};

TEST_P(MultipathAgentTest, PublishesAModelThatReloadsAndReevaluatesIdentically) {
  run("munet", quadrants_);
  run("munet", mirrored_);
  run("multipath", quadrants_, "{num_paths: [2], router_lr_mult: [0.5], main_path: best}");

  const auto log = run::read_metrics((fs::path(log_dir("multipath", "quadrants")) / "publications.jsonl").string());
  ASSERT_EQ(log.records.size(), 1u);
  const auto& record = log.records[0];
  ASSERT_FALSE(record.at("path").is_null()) << record.dump();
  EXPECT_EQ(record.at("multipath").at("tasks"), nlohmann::json({"quadrants", "mirrored"}));
  EXPECT_EQ(record.at("uses"), nlohmann::json({"munet/mirrored", "munet/quadrants"}));
  std::map<std::string, std::string> logs;
  for (const auto& [cls, task] : {std::pair{"munet", "quadrants"}, {"munet", "mirrored"}, {"multipath", "quadrants"}})
    logs[agent_id(cls, task)] = (fs::path(log_dir(cls, task)) / "publications.jsonl").string();
  const auto check = check_publications(*store_, logs);
  EXPECT_TRUE(check.ok()) << check.to_json().dump();

  // A new connection, as a later process would open it.
  AgentStore reopened(location_);
  const auto own = reopened.load("multipath/quadrants", torch::kCPU).own;
  ASSERT_TRUE(own.has_value());
  ASSERT_EQ(own->multipaths.size(), 1u);
  const auto& m = *own->multipaths[0];
  EXPECT_EQ(m.id, record.at("path").get<int64_t>());
  EXPECT_EQ(reopened.owner_of(m.id), "multipath/quadrants");
  EXPECT_EQ(m.paths().at(1)->task, "mirrored");
  EXPECT_EQ(evaluate(m, quadrants_.test, system_.train.batch_size), record.at("test_accuracy").get<double>());
  // Its paths are the published ones, frozen: they re-evaluate to their own test accuracy.
  EXPECT_NEAR(evaluate(*m.paths()[0], quadrants_.test, system_.vit, system_.train.batch_size),
              m.paths()[0]->test_quality, 1e-9);
}

TEST_P(MultipathAgentTest, BadSettingsAreOneLineErrors) {
  EXPECT_NE(testing::error_of([&] {
              testing::agent_class("multipath", "{num_paths: [1, 2]}");
            }).find("num_paths: must be >= 2"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              testing::agent_class("multipath", "{router_lr_mult: [0]}");
            }).find("router_lr_mult: must be in (0, 1]"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              testing::agent_class("multipath", "{main_path: first}");
            }).find("main_path: must be random or best, got 'first'"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              run("multipath", quadrants_, "{attach: [nosuch]}");
            }).find("attach: 'nosuch' is not another task of the system (tasks: quadrants, mirrored)"),
            std::string::npos);
}

TEST_P(MultipathAgentTest, WaitsUntilThereArePathsToBuildOn) {
  EXPECT_EQ(run("multipath", quadrants_).cycles, 1);
  run("munet", quadrants_);
  EXPECT_EQ(run("multipath", quadrants_, "{}", 2).cycles, 2);  // still no path of another task
  int64_t cycles = 0;
  for (const auto& p : store_->publications()) {
    if (p.agent != "multipath/quadrants") continue;
    ++cycles;
    EXPECT_TRUE(p.paths.empty()) << "cycle " << p.cycle << " published a model";
  }
  EXPECT_EQ(cycles, 2);
}

METAEVO_BACKENDS(MultipathAgentTest);

}  // namespace
}  // namespace metaevo::munet
