// Worker processes sharing one study, on each backend: eight workers with no result lost or
// duplicated (checked against each worker's own log) and every decision reproduced by replaying
// the log; the same with workers killed at random and restarted; a PostgreSQL server restarted
// under running workers; and worker groups in separate folders that share only the server's URL.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "../support/process.h"
#include "../support/studies.h"
#include "metaevo/hpo/tuner.h"

namespace metaevo::hpo {
namespace {

namespace fs = std::filesystem;
using testing::ResultRow;

using TuneWorkersTest = testing::StudyTest;

struct Worker {
  pid_t pid = 0;
  std::string log;
};

Worker start_worker(const std::string& config, const fs::path& output, const std::string& location,
                    const std::string& log) {
  return {
      testing::spawn({METAEVO_BINARY, "tune", "--config", config, "--output", output.string(), "--storage", location},
                     {}, log, log),
      log};
}

struct Logged {
  int64_t trial;
  int epoch;
  std::string decision;
};

/// The results a worker logged: it logs one only after the database confirmed it.
std::vector<Logged> logged_results(const std::string& log) {
  static const std::regex line(R"(trial (\d+) epoch (\d+): \S+ -> (\w+))");
  std::vector<Logged> out;
  std::ifstream in(log);
  for (std::string text; std::getline(in, text);) {
    std::smatch m;
    if (std::regex_search(text, m, line)) out.push_back({std::stoll(m[1]), std::stoi(m[2]), m[3]});
  }
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The study's invariants: each trial's results contiguous, none duplicated, none left running;
/// every result a worker logged is in the log with that worker and that decision (all of them, and
/// nothing else, when `exact`); and a fresh scheduler replaying the log takes every decision the
/// log records (Tuner::sync throws otherwise).
void check_study(const std::string& location, const std::vector<Worker>& workers, bool exact, const std::string& table,
                 int max_t) {
  Store store(location);
  const auto rows = testing::results(store);
  testing::expect_contiguous(rows);
  std::map<std::pair<int64_t, int>, ResultRow> by_key;
  for (const auto& r : rows) EXPECT_TRUE(by_key.emplace(std::make_pair(r.trial, r.epoch), r).second) << "duplicate";
  size_t logged = 0;
  for (const auto& w : workers)
    for (const auto& l : logged_results(w.log)) {
      ++logged;
      const auto it = by_key.find({l.trial, l.epoch});
      if (it == by_key.end()) {
        ADD_FAILURE() << "lost: trial " << l.trial << " epoch " << l.epoch << " logged by " << w.log;
        continue;
      }
      EXPECT_EQ(it->second.decision, l.decision) << "trial " << l.trial << " epoch " << l.epoch;
      EXPECT_NE(it->second.worker.find(":" + std::to_string(w.pid) + ":"), std::string::npos)
          << "trial " << l.trial << " epoch " << l.epoch << " recorded for " << it->second.worker;
    }
  if (exact) {
    EXPECT_EQ(logged, rows.size());
  }
  for (const auto& t : store.trials()) EXPECT_NE(t.state, "running") << "trial " << t.id;
  auto objective = testing::table_objective(table);
  Tuner replica(store, *objective, objective->default_space(), Choice{"asha_promotion", {{"max_t", max_t}}},
                make_sampler(default_sampler()), TunerOptions{}, 11, "", "check");
  EXPECT_NO_THROW(replica.sync());
  EXPECT_EQ(replica.epochs_reported(), int64_t(rows.size()));
}

// ASHA up to 27 epochs averages about 3 epochs a trial: 1350 trials give about 500 results per
// worker.
constexpr int kWorkers = 8, kTrials = 1350, kMaxT = 27;

TEST_P(TuneWorkersTest, EightWorkersLoseAndDuplicateNothing) {
  const auto dir = this->dir("eight");
  const auto table = testing::write_curves(testing::synthetic_curves(60, kMaxT, 0.02), (dir / "curves.json").string());
  const auto config = testing::study_config(dir, table, 0, kTrials, kMaxT);
  const auto location = store(dir, "eight");
  std::vector<Worker> workers;
  for (int w = 0; w < kWorkers; ++w)
    workers.push_back(start_worker(config, dir / "out", location, (dir / ("w" + std::to_string(w) + ".log")).string()));
  for (const auto& w : workers) EXPECT_EQ(testing::wait_for(w.pid, 600), 0) << read_text(w.log);
  check_study(location, workers, true, table, kMaxT);
  size_t logged = 0;
  for (const auto& w : workers) {
    const auto n = logged_results(w.log).size();
    EXPECT_GT(n, 0u) << w.log << " took no job";
    logged += n;
  }
  EXPECT_GE(logged, size_t(kWorkers * 450));
}

TEST_P(TuneWorkersTest, WorkersKilledAtRandomAndRestartedLoseNothing) {
  const auto dir = this->dir("killed");
  const auto table = testing::write_curves(testing::synthetic_curves(60, kMaxT, 0.02), (dir / "curves.json").string());
  const auto config = testing::study_config(dir, table, 0.002, kTrials / 6, kMaxT);
  const auto location = store(dir, "killed");
  std::vector<Worker> live, all;
  int started = 0;
  auto start = [&] {
    const auto log = (dir / ("w" + std::to_string(started++) + ".log")).string();
    return start_worker(config, dir / "out", location, log);
  };
  for (int w = 0; w < kWorkers; ++w) live.push_back(start());
  // kill -9 one worker after another (a fixed schedule: 0, 3, 6, 1, ...) and start a new one.
  for (int k = 0; k < 8; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto& victim = live[size_t(k * 3 % kWorkers)];
    if (testing::wait_for(victim.pid, 0.01) != -2) continue;  // it had finished: the study is ending
    all.push_back(victim);
    victim = start();
  }
  for (const auto& w : live) {
    EXPECT_EQ(testing::wait_for(w.pid, 600), 0) << read_text(w.log);
    all.push_back(w);
  }
  EXPECT_GT(started, kWorkers + 3) << "the study ended before workers could be killed";
  check_study(location, all, false, table, kMaxT);
  Store store(location);
  EXPECT_EQ(store.trial_count(), kTrials / 6);
}

METAEVO_BACKENDS(TuneWorkersTest);

/// PostgreSQL only, on a server of the suite's own (scripts/throwaway_postgres.sh): these tests
/// restart it, which would break the PostgreSQL tests that CTest runs beside them on the shared one.
class TunePostgresTest : public ::testing::Test {
 protected:
  static std::string script() { return std::string(METAEVO_SOURCE_DIR) + "/scripts/throwaway_postgres.sh"; }
  static void SetUpTestSuite() {
    if (testing::postgres_admin_url().empty()) return;
    char dir[] = "/tmp/metaevo-pg-XXXXXX";  // short: the server's socket lives in it
    if (!::mkdtemp(dir)) return;
    server_ = dir;
    std::string out;
    if (FILE* pipe = ::popen((script() + " start '" + server_ + "' 2>&1").c_str(), "r")) {
      char buffer[4096];
      for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
      if (::pclose(pipe) != 0) return;
    }
    // Its lines are `export NAME=VALUE`, VALUE possibly in single quotes.
    static const std::regex line("export ([A-Z_]+)=(.*)");
    std::istringstream lines(out);
    for (std::string l; std::getline(lines, l);) {
      std::smatch m;
      if (!std::regex_match(l, m, line)) continue;
      auto value = m[2].str();
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
      const char* before = std::getenv(m[1].str().c_str());
      saved_.emplace_back(m[1].str(), before ? std::optional<std::string>(before) : std::nullopt);
      ::setenv(m[1].str().c_str(), value.c_str(), 1);
    }
    started_ = true;
  }
  /// Stops it and gives the shared server back to the suites that run after, in one process.
  static void TearDownTestSuite() {
    if (!server_.empty()) (void)std::system((script() + " stop '" + server_ + "'").c_str());
    for (const auto& [name, value] : saved_)
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
  }
  void SetUp() override {
    METAEVO_REQUIRE_BACKEND(std::string("postgresql"));
    ASSERT_TRUE(started_) << "could not start this suite's PostgreSQL server in " << server_;
  }
  static inline std::string server_;
  static inline bool started_ = false;
  static inline std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

/// Restarts the test server (scripts/throwaway_postgres.sh says how).
void restart_server() {
  const char* ctl = std::getenv("METAEVO_TEST_PG_CTL");
  ASSERT_NE(ctl, nullptr) << "METAEVO_TEST_PG_CTL is unset (scripts/throwaway_postgres.sh sets it)";
  ASSERT_EQ(std::system((std::string(ctl) + " -m fast restart >/dev/null 2>&1").c_str()), 0);
}

/// Waits until the study at `location` holds `n` results.
bool results_reach(const std::string& location, size_t n) {
  try {
    Store peek(location);
    return testing::results(peek).size() >= n;
  } catch (const std::exception&) {
    return false;
  }
}

/// Whether a worker has opened the study (it names it once connected): a worker still starting when
/// the server goes down fails to connect, as it should, and that is not what this test is about.
bool connected(const Worker& w) { return read_text(w.log).find(": worker ") != std::string::npos; }

TEST_F(TunePostgresTest, AServerRestartIsWaitedOutAndChangesNothing) {
  const auto dir = testing::fresh_dir("restart");
  const auto table = testing::write_curves(testing::synthetic_curves(40, 9, 0.02), (dir / "curves.json").string());
  const auto config = testing::study_config(dir, table, 0.02, 40);

  const auto reference = testing::fresh_store("postgresql", dir, "reference");
  ASSERT_EQ(testing::run_cli({"tune", "--config", config, "--output", (dir / "a").string(), "--storage", reference}),
            0);
  Store whole(reference);
  const auto expected = testing::results(whole);

  // One worker: the study ends exactly as without the restart.
  const auto location = testing::fresh_store("postgresql", dir, "restarted");
  const auto one = start_worker(config, dir / "b", location, (dir / "one.log").string());
  ASSERT_EQ(testing::wait_for(one.pid, 120, [&] { return connected(one) && results_reach(location, 30); }), -1);
  restart_server();
  ASSERT_EQ(testing::wait_for(one.pid, 300), 0) << read_text(one.log);
  EXPECT_NE(read_text(one.log).find("retrying"), std::string::npos) << "the worker never saw the restart";
  Store restarted(location);
  EXPECT_TRUE(testing::results(restarted) == expected);
  check_study(location, {one}, true, table, 9);

  // Three workers: every invariant holds.
  const auto shared = testing::fresh_store("postgresql", dir, "three");
  std::vector<Worker> three;
  for (int w = 0; w < 3; ++w)
    three.push_back(start_worker(config, dir / "c", shared, (dir / ("three" + std::to_string(w) + ".log")).string()));
  ASSERT_EQ(testing::wait_for(
                three[0].pid, 120,
                [&] { return std::all_of(three.begin(), three.end(), connected) && results_reach(shared, 30); }),
            -1);
  restart_server();
  for (const auto& w : three) EXPECT_EQ(testing::wait_for(w.pid, 300), 0) << read_text(w.log);
  check_study(shared, three, true, table, 9);
}

/// stdout of the metaevo CLI.
std::string cli_output(const std::string& args) {
  std::string out;
  if (FILE* pipe = ::popen((std::string(METAEVO_BINARY) + " " + args + " 2>/dev/null").c_str(), "r")) {
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
    ::pclose(pipe);
  }
  return out;
}

TEST_F(TunePostgresTest, HostsSharingOnlyTheUrlFinishOneStudy) {
  const auto dir = testing::fresh_dir("hosts");
  const auto table = testing::write_curves(testing::synthetic_curves(40, 9, 0.02), (dir / "curves.json").string());
  const auto location = testing::fresh_store("postgresql", dir, "hosts");
  // Two "hosts": each its own folder with its own config copy, checkpoints and logs.
  std::vector<Worker> workers;
  for (const std::string host : {"host_a", "host_b"}) {
    fs::create_directories(dir / host);
    const auto config = testing::study_config(dir / host, table, 0.01, 40);
    for (int w = 0; w < 2; ++w)
      workers.push_back(start_worker(config, dir / host / "out", location,
                                     (dir / host / ("w" + std::to_string(w) + ".log")).string()));
  }
  for (const auto& w : workers) EXPECT_EQ(testing::wait_for(w.pid, 300), 0) << read_text(w.log);
  check_study(location, workers, true, table, 9);
  Store store(location);
  std::set<std::string> hosts_with_results;
  for (const auto& w : workers)
    if (!logged_results(w.log).empty()) hosts_with_results.insert(fs::path(w.log).parent_path().filename());
  EXPECT_EQ(hosts_with_results.size(), 2u);
  // Checkpoints travel through the database: each trial's is there, as of its last result.
  for (const auto& t : store.trials()) {
    if (t.resource == 0) continue;
    const auto stored = store.checkpoint(t.id);
    ASSERT_TRUE(stored) << "trial " << t.id;
    EXPECT_EQ(stored->first, t.resource) << "trial " << t.id;
  }
  // A third folder sees the study through the URL alone.
  const auto status = cli_output("tune status --storage '" + location + "'");
  EXPECT_NE(status.find("40 trials"), std::string::npos) << status;
  const auto exported = (dir / "curves-out.json").string();
  const auto export_log = (dir / "export.log").string();
  EXPECT_EQ(
      testing::wait_for(testing::spawn({METAEVO_BINARY, "tune", "export", "--storage", location, "--table", exported},
                                       {}, export_log),
                        600),
      0)
      << read_text(export_log);
  EXPECT_TRUE(fs::exists(exported));
}

}  // namespace
}  // namespace metaevo::hpo
