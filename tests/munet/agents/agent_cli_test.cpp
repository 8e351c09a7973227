// `metaevo agent` as processes: killed mid-cycle and restarted it ends as an uninterrupted agent
// does (a multipath agent too), an agent stopped with SIGSTOP keeps no other agent from
// publishing, and agents on "hosts" that share only a PostgreSQL URL extend one system.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

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
    testing::mnist_dir() + "\"}\n";

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

// Many hosts: agents in folders that share nothing but a PostgreSQL URL (each its own config copy,
// outputs and logs, no local store) extend one system: two at once on two tasks, then a third
// whose multipath model runs both of their published paths, and a fourth folder reads the whole
// system by the URL.
TEST(AgentHosts, AgentsSharingOnlyAPostgresUrlExtendOneSystem) {
  METAEVO_REQUIRE_BACKEND(std::string("postgresql"));
  if (!testing::no_mnist().empty()) GTEST_SKIP() << testing::no_mnist();
  const auto a = scratch("host_a"), b = scratch("host_b"), c = scratch("host_c"), d = scratch("host_d");
  const auto storage = testing::fresh_store("postgresql", a, "hosts");
  const std::vector<std::string> one_cycle{"--set", "agent.cycles=1"};
  const pid_t pa = start_agent(a, "munet", "mnist-rot:90", storage, one_cycle);
  const pid_t pb = start_agent(b, "munet", "mnist-perm:1", storage, one_cycle);
  ASSERT_EQ(testing::wait_for(pa, 300), 0) << stderr_of(a, "munet", "mnist-rot:90");
  ASSERT_EQ(testing::wait_for(pb, 300), 0) << stderr_of(b, "munet", "mnist-perm:1");
  ASSERT_EQ(testing::wait_for(start_agent(c, "multipath", "mnist-rot:90", storage, one_cycle), 300), 0)
      << stderr_of(c, "multipath", "mnist-rot:90");
  for (const auto& host : {a, b, c}) EXPECT_FALSE(fs::exists(host / "system.db")) << host << " made a store";

  AgentStore store(storage);
  std::map<std::string, int64_t> published;
  std::set<std::string> runs_paths_of;
  for (const auto& p : store.publications()) {
    ++published[p.agent];
    if (p.agent != "multipath/mnist-rot:90") continue;
    for (const auto& record : p.paths)
      if (record.contains("paths"))
        for (const auto& path : record.at("paths")) runs_paths_of.insert(store.owner_of(path.at("id").get<int64_t>()));
  }
  EXPECT_EQ(published, (std::map<std::string, int64_t>{
                           {"multipath/mnist-rot:90", 1}, {"munet/mnist-perm:1", 1}, {"munet/mnist-rot:90", 1}}));
  EXPECT_EQ(runs_paths_of, (std::set<std::string>{"munet/mnist-perm:1", "munet/mnist-rot:90"}))
      << "host c's model does not run both other hosts' published paths";

  const auto status = (d / "status.txt").string();
  ASSERT_EQ(testing::wait_for(testing::spawn({METAEVO_BINARY, "evolve", "status", "--storage", storage}, {},
                                             (d / "status.stderr").string(), status),
                              60),
            0)
      << read_file((d / "status.stderr").string());
  const auto text = read_file(status);
  for (const auto* task : {"mnist-rot:90", "mnist-perm:1"}) EXPECT_NE(text.find(task), std::string::npos) << text;
}

}  // namespace
}  // namespace metaevo::munet
