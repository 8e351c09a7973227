// `metaevo agent` as processes: killed mid-cycle and restarted it ends as an uninterrupted agent
// does (a multipath agent too), and an agent stopped with SIGSTOP keeps no other agent from
// publishing.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../support/process.h"
#include "../../support/stores.h"
#include "../../support/tiny_runs.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/munet/agents/agent_store.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/storage/database.h"

namespace metaevo::munet {
namespace {

namespace fs = std::filesystem;

const std::string kConfig =
    "seed: 3\nthreads: 1\n"
    "vit: {channels: 1, image_size: 32, patch: 16, width: 16, depth: 2, heads: 2, mlp_dim: 32}\n"
    "train: {batch_size: 32, validations: 2, batches_between_validations: 3, validation_batches: 2}\n"
    "agent: {cycles: 2, generations: 2, max_population: 2}\n"
    "data: {mnist: \"" +
    testing::kMnist + "\"}\n";

fs::path scratch(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("metaevo_agent_cli_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  write_file_atomic((dir / "agents.yaml").string(), kConfig);
  return dir;
}

pid_t start_agent(const fs::path& dir, const std::string& cls, const std::string& task, const std::string& storage,
                  const std::vector<std::string>& extra = {}, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{METAEVO_BINARY, "agent", "--config", (dir / "agents.yaml").string(),
                                "--class",      cls,     "--task",   task,
                                "--storage",    storage, "--output", dir.string(),
                                "--log-level",  "warn"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return testing::spawn(argv, env, (dir / (cls + "-" + task + ".stderr")).string());
}

std::string stderr_of(const fs::path& dir, const std::string& cls, const std::string& task) {
  return read_file((dir / (cls + "-" + task + ".stderr")).string());
}

class AgentKill : public ::testing::TestWithParam<std::string> {};

TEST_P(AgentKill, ARestartedAgentEndsAsAnUninterruptedOne) {
  if (!testing::no_mnist().empty()) GTEST_SKIP() << testing::no_mnist();
  const std::string task = "mnist-rot:90";
  const auto whole = scratch("whole_" + GetParam().substr(0, GetParam().find(':')));
  ASSERT_EQ(testing::wait_for(start_agent(whole, "munet", task, (whole / "system.db").string()), 300), 0)
      << stderr_of(whole, "munet", task);

  const auto killed = scratch("killed_" + GetParam().substr(0, GetParam().find(':')));
  const auto storage = (killed / "system.db").string();
  ASSERT_EQ(testing::wait_for(start_agent(killed, "munet", task, storage, {}, {"METAEVO_CRASH_AT=" + GetParam()}), 300),
            128 + SIGKILL)
      << stderr_of(killed, "munet", task);
  ASSERT_EQ(testing::wait_for(start_agent(killed, "munet", task, storage), 300), 0) << stderr_of(killed, "munet", task);

  const auto log = fs::path("agents") / "munet~mnist-rot:90" / "publications.jsonl";
  const auto a = run::read_metrics((whole / log).string()).records;
  const auto b = run::read_metrics((killed / log).string()).records;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);
  AgentStore x((whole / "system.db").string()), y(storage);
  const auto pa = x.publications(), pb = y.publications();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(pa[i].paths, pb[i].paths) << "cycle " << pa[i].cycle;
  storage::Database db(storage);
  EXPECT_EQ(db.one("SELECT COUNT(*) FROM states WHERE generation > 0")->integer(0), 0)
      << "an intermediate state outlived its cycle";
}

// Mid-way through the second cycle, and between a publication and the next cycle.
INSTANTIATE_TEST_SUITE_P(KillPoints, AgentKill, ::testing::Values("checkpoint:3", "published:1"),
                         [](const auto& info) { return info.param.substr(0, info.param.find(':')); });

// The multipath class over two published tasks, killed mid-cycle and restarted: the same
// publications as an uninterrupted run, on copies of one system.
TEST(MultipathAgentKill, ARestartedMultipathAgentEndsAsAnUninterruptedOne) {
  if (!testing::no_mnist().empty()) GTEST_SKIP() << testing::no_mnist();
  const auto base = scratch("multipath_base");
  const auto system = (base / "system.db").string();
  for (const auto* task : {"mnist-rot:90", "mnist-perm:1"})
    ASSERT_EQ(testing::wait_for(start_agent(base, "munet", task, system), 300), 0) << stderr_of(base, "munet", task);
  const std::string task = "mnist-rot:90";
  const auto whole = scratch("multipath_whole"), killed = scratch("multipath_killed");
  for (const auto& dir : {whole, killed}) fs::copy_file(system, dir / "system.db");
  ASSERT_EQ(testing::wait_for(start_agent(whole, "multipath", task, (whole / "system.db").string()), 300), 0)
      << stderr_of(whole, "multipath", task);
  const auto storage = (killed / "system.db").string();
  ASSERT_EQ(
      testing::wait_for(start_agent(killed, "multipath", task, storage, {}, {"METAEVO_CRASH_AT=checkpoint:3"}), 300),
      128 + SIGKILL)
      << stderr_of(killed, "multipath", task);
  ASSERT_EQ(testing::wait_for(start_agent(killed, "multipath", task, storage), 300), 0)
      << stderr_of(killed, "multipath", task);

  const auto log = fs::path("agents") / "multipath~mnist-rot:90" / "publications.jsonl";
  const auto a = run::read_metrics((whole / log).string()).records;
  const auto b = run::read_metrics((killed / log).string()).records;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.back().at("path").is_null()) << "no multipath model was published";
}

class AgentStall : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { METAEVO_REQUIRE_BACKEND(GetParam()); }
};

TEST_P(AgentStall, AStoppedAgentKeepsNoOtherFromPublishing) {
  if (!testing::no_mnist().empty()) GTEST_SKIP() << testing::no_mnist();
  const auto dir = scratch("stall_" + GetParam());
  const auto storage = testing::fresh_store(GetParam(), dir, "agents");
  // Stopped by itself just after its first save, outside any transaction: a stall there must hold
  // nothing (a stall inside one is the storage tests' business). It does more work than the others.
  const pid_t stalled =
      start_agent(dir, "munet", "mnist-rot:90", storage, {"--set", "agent.cycles=3"}, {"METAEVO_STOP_AT=checkpoint:1"});
  ASSERT_TRUE(testing::wait_stopped(stalled, 300)) << stderr_of(dir, "munet", "mnist-rot:90");

  const pid_t a = start_agent(dir, "finetune", "mnist-rot:90", storage);
  const pid_t b = start_agent(dir, "munet", "mnist-perm:1", storage);
  EXPECT_EQ(testing::wait_for(a, 300), 0) << stderr_of(dir, "finetune", "mnist-rot:90");
  EXPECT_EQ(testing::wait_for(b, 300), 0) << stderr_of(dir, "munet", "mnist-perm:1");
  std::map<std::string, int64_t> published;
  for (const auto& p : AgentStore(storage).publications()) ++published[p.agent];
  EXPECT_EQ(published["finetune/mnist-rot:90"], 2);
  EXPECT_EQ(published["munet/mnist-perm:1"], 2);
  EXPECT_EQ(published["munet/mnist-rot:90"], 0) << "the stopped agent went on";
  int status = 0;
  EXPECT_EQ(::waitpid(stalled, &status, WNOHANG), 0) << "the stopped agent is gone";

  ASSERT_EQ(::kill(stalled, SIGCONT), 0);
  EXPECT_EQ(testing::wait_for(stalled, 300), 0) << stderr_of(dir, "munet", "mnist-rot:90");
  published.clear();
  for (const auto& p : AgentStore(storage).publications()) ++published[p.agent];
  EXPECT_EQ(published["munet/mnist-rot:90"], 3);
}

METAEVO_BACKENDS(AgentStall);

}  // namespace
}  // namespace metaevo::munet
