// `metaevo es` killed with SIGKILL mid-run and resumed ends exactly where an uninterrupted run does.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "../support/process.h"
#include "../support/weights.h"
#include "metaevo/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;

using metaevo::testing::run_cli;

// Runs the CLI and SIGKILLs it as soon as `kill_when` exists.
void run_cli_until(const std::vector<std::string>& args, const fs::path& kill_when) {
  std::vector<std::string> argv{METAEVO_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = metaevo::testing::spawn(argv);
  if (metaevo::testing::wait_for(pid, 600, [&] { return fs::exists(kill_when); }) == -1) {
    kill(pid, SIGKILL);
    metaevo::testing::wait_for(pid, 60);
  }
}

std::string write_config(const fs::path& dir) {
  const auto path = (dir / "run.yaml").string();
  metaevo::write_file_atomic(path, R"(seed: 5
threads: 1
problem: {type: function, function: rosenbrock, dim: 60, x0: 0.1}
strategy: {name: cmaes, sigma: 0.3}
run: {generations: 3000, checkpoint_every: 1, report_every: 0, log_every_s: 100}
)");
  return path;
}

}  // namespace

TEST(CliResume, KilledRunResumesToTheSameResult) {
  const auto dir = fs::temp_directory_path() / "metaevo_cli_resume";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto config = write_config(dir);
  const auto whole = (dir / "whole").string(), killed = (dir / "killed").string();
  ASSERT_EQ(run_cli({"es", "--config", config, "--output", whole}), 0);

  // Killed as soon as its first checkpoint lands, then resumed to the end.
  const auto checkpoint = fs::path(killed) / "checkpoint.pt";
  run_cli_until({"es", "--config", config, "--output", killed}, checkpoint);
  ASSERT_TRUE(fs::exists(checkpoint));
  ASSERT_FALSE(fs::exists(fs::path(killed) / "result.json")) << "the run finished before it was killed";
  const auto metrics = fs::path(killed) / "metrics.jsonl";
  ASSERT_EQ(run_cli({"es", "--config", config, "--output", killed, "--resume"}), 0);
  EXPECT_TRUE(metaevo::testing::equal_state_dicts(whole + "/weights.pt", killed + "/weights.pt"));
  // The metrics file of the resumed run holds each generation once, like the uninterrupted one.
  const auto resumed_lines = metaevo::read_file(metrics.string());
  const auto whole_lines = metaevo::read_file(whole + "/metrics.jsonl");
  EXPECT_EQ(std::count(resumed_lines.begin(), resumed_lines.end(), '\n'),
            std::count(whole_lines.begin(), whole_lines.end(), '\n'));
  // Without --resume an existing checkpoint is refused rather than overwritten.
  EXPECT_EQ(run_cli({"es", "--config", config, "--output", killed}), 2);
  fs::remove_all(dir);
}

TEST(CliErrors, BadInputExitsNonZero) {
  const auto dir = fs::temp_directory_path() / "metaevo_cli_errors";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto config = write_config(dir);
  EXPECT_EQ(run_cli({"es", "--config", (dir / "missing.yaml").string()}), 2);
  EXPECT_EQ(run_cli({"es", "--config", config, "--set", "strategy.sigmaa=1", "--output", (dir / "o").string()}), 2);
  EXPECT_EQ(run_cli({"es", "--config", config, "--set", "run.generations=-3", "--output", (dir / "o").string()}), 2);
  EXPECT_NE(run_cli({"es", "--config", config, "--threads", "-1"}), 0);
  const auto log = (dir / "huge.stderr").string();
  EXPECT_EQ(metaevo::testing::wait_for(
                metaevo::testing::spawn({METAEVO_BINARY, "es", "--config", config, "--output", (dir / "o").string()},
                                        {"METAEVO_HUGE_PAGES=maybe"}, log),
                600),
            2);
  EXPECT_NE(metaevo::read_file(log).find("METAEVO_HUGE_PAGES: expected on or off, got 'maybe'"), std::string::npos)
      << metaevo::read_file(log);
  fs::remove_all(dir);
}
