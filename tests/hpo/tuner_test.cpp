// The tuner against its study database: a complete study, replay by another worker, kill -9 and
// resume, and two worker processes on one study.
#include "metaevo/hpo/tuner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "../support/curve_tables.h"
#include "../support/process.h"

namespace metaevo::hpo {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("metaevo_hpo_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct ResultRow {
  int64_t trial;
  int epoch;
  double value;
  std::string decision;
  bool operator==(const ResultRow& o) const {
    return trial == o.trial && epoch == o.epoch && value == o.value && decision == o.decision;
  }
};

std::vector<ResultRow> results(Store& store) {
  std::vector<ResultRow> out;
  for (const auto& e : store.events_after(0))
    if (e.kind == "result") out.push_back({e.trial, e.resource, e.value, e.decision});
  return out;
}

/// Every trial's results are epochs 1, 2, ... in order, once each.
void expect_contiguous(const std::vector<ResultRow>& rows) {
  std::map<int64_t, int> last;
  for (const auto& r : rows) {
    EXPECT_EQ(r.epoch, last[r.trial] + 1) << "trial " << r.trial;
    last[r.trial] = r.epoch;
  }
}

std::unique_ptr<Objective> table_objective(const std::string& table) {
  return make_objective(
      Config::parse("objective: {type: curve_table, path: " + table + "}", "test").section("objective"));
}

TEST(Tuner, RunsAStudyAndAnotherWorkerReplaysItExactly) {
  const auto dir = fresh_dir("replay");
  const auto table = testing::write_curves(testing::synthetic_curves(30, 9, 0.02), (dir / "curves.json").string());
  auto objective = table_objective(table);
  Store store((dir / "study.db").string());
  store.open_study("fingerprint", "settings");
  const Choice so{"pasha", {{"max_t", 9}}};
  TunerOptions to;
  to.max_trials = 24;
  to.poll_s = 0.01;
  Tuner tuner(store, *objective, objective->default_space(), make_scheduler(so), make_sampler(default_sampler()), to, 3,
              (dir / "trials").string(), "w1");
  tuner.run();
  EXPECT_EQ(store.trial_count(), 24);
  const auto rows = results(store);
  expect_contiguous(rows);
  EXPECT_EQ(int64_t(rows.size()), tuner.epochs_reported());
  for (const auto& t : store.trials()) EXPECT_NE(t.state, "running");

  // A fresh scheduler fed the log takes every decision the same way (sync throws otherwise).
  Tuner replica(store, *objective, objective->default_space(), make_scheduler(so), make_sampler(default_sampler()), to,
                3, (dir / "trials").string(), "w2");
  replica.sync();
  EXPECT_EQ(replica.epochs_reported(), tuner.epochs_reported());
  EXPECT_EQ(replica.scheduler().max_resource(), tuner.scheduler().max_resource());
  EXPECT_EQ(best_trial(replica.trials()), best_trial(tuner.trials()));
  EXPECT_EQ(int(replica.scheduler().next_job(false).kind), int(Job::Kind::kDone));

  // The same study opened with other settings is refused.
  EXPECT_THROW(store.open_study("other", "settings"), Error);
}

/// A toy objective whose trials throw `E` in their first epoch.
template <typename E>
class Throwing : public Objective {
 public:
  SearchSpace default_space() const override {
    SearchSpace space;
    space.add({"x", Param::Kind::kFloat, 0, 1, false, {}, 0.5});
    return space;
  }
  std::unique_ptr<TrialRun> open(const Assignment&, uint64_t, const std::string&) override {
    struct Run : TrialRun {
      int epoch() const override { return 0; }
      EpochMetrics recorded(int) const override { return {}; }
      EpochMetrics train_epoch() override { throw E("the trial's own failure"); }
      void save() override {}
    };
    return std::make_unique<Run>();
  }
};

TEST(Tuner, AnObjectiveErrorFailsTheTrialAnyOtherEndsTheWorker) {
  const auto dir = fresh_dir("throwing");
  const Choice so{"asha_promotion", {{"max_t", 3}}};
  TunerOptions to;
  to.max_trials = 3;
  to.poll_s = 0.01;
  {
    Store store((dir / "error.db").string());
    store.open_study("fingerprint", "settings");
    Throwing<Error> objective;
    Tuner tuner(store, objective, objective.default_space(), make_scheduler(so), make_sampler(default_sampler()), to, 1,
                (dir / "trials").string(), "w1");
    tuner.run();  // every trial fails; the study ends
    int failed = 0;
    for (const auto& t : store.trials()) failed += t.state == "failed";
    EXPECT_EQ(failed, 3);
  }
  Store store((dir / "logic.db").string());
  store.open_study("fingerprint", "settings");
  Throwing<std::logic_error> objective;
  Tuner tuner(store, objective, objective.default_space(), make_scheduler(so), make_sampler(default_sampler()), to, 1,
              (dir / "trials2").string(), "w1");
  EXPECT_THROW(tuner.run(), std::logic_error);  // a programming error is not a failed trial
  fs::remove_all(dir);
}

std::string study_config(const fs::path& dir, const std::string& table, double time_scale, int max_trials) {
  const auto path = dir / "tune.yaml";
  std::ofstream(path) << "seed: 11\nthreads: 1\n"
                      << "objective: {type: curve_table, path: " << table << ", time_scale: " << time_scale << "}\n"
                      << "scheduler: {name: asha_promotion, max_t: 9}\n"
                      << "tuner: {max_trials: " << max_trials << ", poll_s: 0.01}\n";
  return path.string();
}

TEST(TuneCli, KilledStudyResumesWithoutLosingOrRepeatingResults) {
  const auto dir = fresh_dir("kill");
  const auto table = testing::write_curves(testing::synthetic_curves(40, 9, 0.02), (dir / "curves.json").string());
  const auto config = study_config(dir, table, 0.01, 30);

  // The uninterrupted reference.
  ASSERT_EQ(testing::run_cli({"tune", "--config", config, "--output", (dir / "whole").string()}), 0);
  Store whole((dir / "whole" / "study.db").string());
  const auto expected = results(whole);
  ASSERT_GT(expected.size(), 40u);

  // The same study, killed after some results, then resumed.
  const auto out = (dir / "killed").string();
  const pid_t pid = testing::spawn({METAEVO_BINARY, "tune", "--config", config, "--output", out});
  auto enough = [&] {
    if (!fs::exists(out + "/study.db")) return false;
    try {
      Store peek(out + "/study.db");
      return results(peek).size() >= 20;
    } catch (const std::exception&) {
      return false;
    }
  };
  ASSERT_EQ(testing::wait_for(pid, 120, enough), -1) << "the study ended before it could be killed";
  ::kill(-pid, SIGKILL);
  testing::wait_for(pid, 10);
  std::vector<ResultRow> before;
  {
    Store killed(out + "/study.db");
    before = results(killed);
  }
  ASSERT_GE(before.size(), 20u);
  ASSERT_LT(before.size(), expected.size());

  ASSERT_EQ(testing::run_cli({"tune", "--config", config, "--output", out}), 0);
  Store resumed(out + "/study.db");
  const auto after = results(resumed);
  // Nothing reported before the kill is lost or repeated, and the study ends as if never killed.
  ASSERT_GE(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(after[i] == before[i]) << "result " << i;
  EXPECT_TRUE(after == expected);
  expect_contiguous(after);
}

TEST(TuneCli, TwoWorkersShareOneStudy) {
  const auto dir = fresh_dir("workers");
  const auto table = testing::write_curves(testing::synthetic_curves(40, 9, 0.02), (dir / "curves.json").string());
  const auto config = study_config(dir, table, 0.02, 30);
  const auto out = (dir / "study").string();
  fs::create_directories(out);
  const pid_t a = testing::spawn({METAEVO_BINARY, "tune", "--config", config, "--output", out});
  const pid_t b = testing::spawn({METAEVO_BINARY, "tune", "--config", config, "--output", out});
  EXPECT_EQ(testing::wait_for(a, 300), 0);
  EXPECT_EQ(testing::wait_for(b, 300), 0);

  Store store(out + "/study.db");
  EXPECT_EQ(store.trial_count(), 30);
  const auto rows = results(store);
  expect_contiguous(rows);
  std::set<std::string> workers;
  for (const auto& e : store.events_after(0)) workers.insert(e.worker);
  EXPECT_EQ(workers.size(), 2u) << "both workers should have taken jobs";
  for (const auto& t : store.trials()) EXPECT_NE(t.state, "running");
  // The log of both workers together replays into one consistent scheduler.
  auto objective = table_objective(table);
  const Choice so{"asha_promotion", {{"max_t", 9}}};
  Tuner replica(store, *objective, objective->default_space(), make_scheduler(so), make_sampler(default_sampler()),
                TunerOptions{}, 11, (dir / "trials").string(), "check");
  EXPECT_NO_THROW(replica.sync());
  EXPECT_EQ(replica.epochs_reported(), int64_t(rows.size()));
}

TEST(TuneCli, BadInputGivesOneLineErrors) {
  const auto dir = fresh_dir("errors");
  const auto bad = (dir / "bad.yaml").string();
  std::ofstream(bad) << "objective: {type: curve_table, path: " << (dir / "missing.json").string() << "}\n";
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--output", (dir / "o").string()}), 2);
  std::ofstream(bad) << "objective: {type: nope}\n";
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--output", (dir / "o").string()}), 2);
  EXPECT_EQ(testing::run_cli({"tune", "status", "--output", (dir / "nothing").string()}), 2);
}

}  // namespace
}  // namespace metaevo::hpo
