// Every long-running command, killed with SIGKILL at several points (just after a checkpoint, and
// half-way through a metrics line), then continued, ends bitwise equal to an uninterrupted run:
// same weights, same results, same metrics records. The kills come from METAEVO_CRASH_AT
// (run/fault.h), so each lands at an exact place.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/tiny_runs.h"
#include "../support/weights.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/run/metrics_log.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

struct KillPoint {
  std::string command, crash_at;
};

void PrintTo(const KillPoint& p, std::ostream* os) { *os << p.command << " killed at " << p.crash_at; }

std::string name_of(const ::testing::TestParamInfo<KillPoint>& info) {
  auto n = info.param.command + "_" + info.param.crash_at;
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

class KillResume : public ::testing::TestWithParam<KillPoint> {
 protected:
  static fs::path root() { return fs::temp_directory_path() / "metaevo_kill_resume"; }

  // The uninterrupted run, in a folder of this test's own: ctest runs tests in parallel processes.
  static fs::path whole(const TinyRun& c, const std::string& test) {
    const auto out = root() / (test + "_whole");
    fs::remove_all(out);
    const int code = run_tiny(c, out, false);
    EXPECT_EQ(code, 0) << metaevo::read_file(out.string() + ".stderr");
    return out;
  }
};

// Records without the fields that measure time.
std::vector<nlohmann::json> untimed(const metaevo::run::Metrics& m) {
  std::vector<nlohmann::json> out;
  for (auto r : m.records) {
    for (const char* key : {"elapsed_s", "seconds"}) r.erase(key);
    out.push_back(r);
  }
  return out;
}

TEST_P(KillResume, EndsBitwiseEqualToAnUninterruptedRun) {
  const auto& c = tiny_runs().at(GetParam().command);
  if (c.missing && !c.missing().empty()) GTEST_SKIP() << c.missing();
  fs::create_directories(root());
  const auto out = root() / name_of({GetParam(), 0});
  const auto reference = whole(c, out.filename().string());
  fs::remove_all(out);

  const int killed = run_tiny(c, out, false, {"METAEVO_CRASH_AT=" + GetParam().crash_at});
  ASSERT_EQ(killed, 128 + SIGKILL) << "the run was not killed at " << GetParam().crash_at << ": "
                                   << metaevo::read_file(out.string() + ".stderr");
  const auto metrics = out / "metrics.jsonl";
  if (GetParam().crash_at.rfind("metrics", 0) == 0) {
    const auto text = metaevo::read_file(metrics.string());
    ASSERT_FALSE(text.empty() || text.back() == '\n') << "the kill did not tear a metrics line";
  }
  ASSERT_EQ(run_tiny(c, out, true), 0) << metaevo::read_file(out.string() + ".stderr");

  for (const auto& file : c.state_dicts)
    EXPECT_TRUE(equal_state_dicts((reference / file).string(), (out / file).string())) << file;
  for (const auto& file : c.json_files) {
    auto a = nlohmann::json::parse(metaevo::read_file((reference / file).string()));
    auto b = nlohmann::json::parse(metaevo::read_file((out / file).string()));
    if (!c.json_key.empty()) {
      a = a.at(c.json_key);
      b = b.at(c.json_key);
    }
    EXPECT_EQ(a, b) << file;
  }
  if (fs::exists(reference / "metrics.jsonl")) {
    const auto a = metaevo::run::read_metrics((reference / "metrics.jsonl").string());
    const auto b = metaevo::run::read_metrics(metrics.string());
    EXPECT_EQ(a.x_key, b.x_key);
    EXPECT_FALSE(a.records.empty());
    EXPECT_EQ(untimed(a), untimed(b));
    const auto text = metaevo::read_file(metrics.string());
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), int64_t(a.records.size()) + 1) << "a torn line was kept";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLongCommand, KillResume,
                         ::testing::Values(KillPoint{"es", "checkpoint:2"}, KillPoint{"es", "metrics:5"},
                                           KillPoint{"meta_es", "checkpoint:2"}, KillPoint{"meta_es", "metrics:5"},
                                           KillPoint{"meta_backprop", "checkpoint:2"},
                                           KillPoint{"meta_backprop", "metrics:3"}, KillPoint{"mlo", "checkpoint:2"},
                                           KillPoint{"mlo", "metrics:4"}, KillPoint{"tune", "checkpoint:2"},
                                           KillPoint{"tune", "checkpoint:5"}, KillPoint{"evolve", "checkpoint:1"},
                                           KillPoint{"evolve", "metrics:2"}, KillPoint{"grow", "checkpoint:2"},
                                           KillPoint{"grow", "expanding:2"}, KillPoint{"grow", "expanded:1"},
                                           KillPoint{"route", "checkpoint:2"}, KillPoint{"route", "metrics:3"},
                                           KillPoint{"route_continual", "checkpoint:2"},
                                           KillPoint{"route_continual", "metrics:4"}),
                         name_of);

}  // namespace
