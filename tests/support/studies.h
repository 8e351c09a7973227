#pragma once
// Tuning studies for the tuner tests: a fresh folder, a study config over a curve table, each
// backend as a test parameter, and the result rows of a study's log.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "curve_tables.h"
#include "metaevo/core/config.h"
#include "metaevo/hpo/objective.h"
#include "metaevo/hpo/store.h"
#include "stores.h"

namespace metaevo::testing {

inline std::filesystem::path fresh_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("metaevo_hpo_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// Tests that run once per backend; `store(dir, name)` is a fresh study location.
class StudyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { METAEVO_REQUIRE_BACKEND(GetParam()); }
  std::string store(const std::filesystem::path& dir, const std::string& name) {
    return fresh_store(GetParam(), dir, name);
  }
  /// The folder for this test and backend.
  std::filesystem::path dir(const std::string& name) { return fresh_dir(name + "_" + GetParam()); }
};

struct ResultRow {
  int64_t trial;
  int epoch;
  double value;
  std::string decision;
  std::string worker;
  /// Same result and decision (whoever reported it).
  bool operator==(const ResultRow& o) const {
    return trial == o.trial && epoch == o.epoch && value == o.value && decision == o.decision;
  }
};

inline std::vector<ResultRow> results(hpo::Store& store) {
  std::vector<ResultRow> out;
  for (const auto& e : store.events_after(0))
    if (e.kind == "result") out.push_back({e.trial, e.resource, e.value, e.decision, e.worker});
  return out;
}

/// Every trial's results are epochs 1, 2, ... in order, once each.
inline void expect_contiguous(const std::vector<ResultRow>& rows) {
  std::map<int64_t, int> last;
  for (const auto& r : rows) {
    EXPECT_EQ(r.epoch, last[r.trial] + 1) << "trial " << r.trial;
    last[r.trial] = r.epoch;
  }
}

inline std::unique_ptr<hpo::Objective> table_objective(const std::string& table) {
  return hpo::make_objective(
      Config::parse("objective: {type: curve_table, path: " + table + "}", "test").section("objective"));
}

/// A study config (ASHA with promotions up to `max_t`) over the curve table `table`.
inline std::string study_config(const std::filesystem::path& dir, const std::string& table, double time_scale,
                                int max_trials, int max_t = 9) {
  const auto path = dir / "tune.yaml";
  std::ofstream(path) << "seed: 11\nthreads: 1\n"
                      << "objective: {type: curve_table, path: " << table << ", time_scale: " << time_scale << "}\n"
                      << "scheduler: {name: asha_promotion, max_t: " << max_t << "}\n"
                      << "tuner: {max_trials: " << max_trials << ", poll_s: 0.01}\n";
  return path.string();
}

}  // namespace metaevo::testing
