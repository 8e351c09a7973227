// The tuner against its study database, on each backend (SQLite, PostgreSQL): a complete study,
// replay by another worker, settings binding, orphaned trials, kill -9 and resume, and worker
// processes sharing one study, killed and restarted at random.
#include "metaevo/hpo/tuner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "../support/process.h"
#include "../support/studies.h"

namespace metaevo::hpo {
namespace {

namespace fs = std::filesystem;

using testing::expect_contiguous;
using testing::fresh_dir;
using testing::ResultRow;
using testing::results;
using testing::study_config;
using testing::table_objective;
using TunerTest = testing::StudyTest;

// Pausing (PASHA) and pruning (ASHA's stopping form) schedulers.
TEST_P(TunerTest, RunsAStudyAndAnotherWorkerReplaysItExactly) {
  for (const std::string scheduler : {"pasha", "asha_stopping"}) {
    SCOPED_TRACE(scheduler);
    const auto dir = this->dir("replay_" + scheduler);
    const auto table = testing::write_curves(testing::synthetic_curves(30, 9, 0.02), (dir / "curves.json").string());
    auto objective = table_objective(table);
    Store store(this->store(dir, "replay_" + scheduler));
    store.open_study("fingerprint", "settings");
    const Choice so{scheduler, {{"max_t", 9}}};
    TunerOptions to;
    to.max_trials = 24;
    to.poll_s = 0.01;
    Tuner tuner(store, *objective, objective->default_space(), so, make_sampler(default_sampler()), to, 3,
                (dir / "trials").string(), "w1");
    tuner.run();
    EXPECT_EQ(store.trial_count(), 24);
    const auto rows = results(store);
    expect_contiguous(rows);
    EXPECT_EQ(int64_t(rows.size()), tuner.epochs_reported());
    for (const auto& t : store.trials()) EXPECT_NE(t.state, "running");

    // A fresh scheduler fed the log takes every decision the same way (sync throws otherwise).
    Tuner replica(store, *objective, objective->default_space(), so, make_sampler(default_sampler()), to, 3,
                  (dir / "trials").string(), "w2");
    replica.sync();
    EXPECT_EQ(replica.epochs_reported(), tuner.epochs_reported());
    EXPECT_EQ(replica.scheduler().max_resource(), tuner.scheduler().max_resource());
    EXPECT_EQ(best_trial(replica.trials()), best_trial(tuner.trials()));
    EXPECT_EQ(int(replica.scheduler().next_job(false).kind), int(Job::Kind::kDone));

    if (scheduler == "asha_stopping") {
      int stopped = 0;
      for (const auto& t : store.trials()) stopped += t.state == "stopped" && t.resource < 9;
      EXPECT_GT(stopped, 0) << "no trial was pruned";
    }
    // The same study opened with other settings is refused.
    EXPECT_THROW(store.open_study("other", "settings"), Error);
  }
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

TEST_P(TunerTest, AnObjectiveErrorFailsTheTrialAnyOtherEndsTheWorker) {
  const auto dir = this->dir("throwing");
  const Choice so{"asha_promotion", {{"max_t", 3}}};
  TunerOptions to;
  to.max_trials = 3;
  to.poll_s = 0.01;
  {
    Store store(this->store(dir, "error"));
    store.open_study("fingerprint", "settings");
    Throwing<Error> objective;
    Tuner tuner(store, objective, objective.default_space(), so, make_sampler(default_sampler()), to, 1,
                (dir / "trials").string(), "w1");
    tuner.run();  // every trial fails; the study ends
    int failed = 0;
    for (const auto& t : store.trials()) failed += t.state == "failed";
    EXPECT_EQ(failed, 3);
  }
  Store store(this->store(dir, "logic"));
  store.open_study("fingerprint", "settings");
  Throwing<std::logic_error> objective;
  Tuner tuner(store, objective, objective.default_space(), so, make_sampler(default_sampler()), to, 1,
              (dir / "trials2").string(), "w1");
  EXPECT_THROW(tuner.run(), std::logic_error);  // a programming error is not a failed trial
  fs::remove_all(dir);
}

TEST_P(TunerTest, KilledStudyResumesWithoutLosingOrRepeatingResults) {
  const auto dir = this->dir("kill");
  const auto table = testing::write_curves(testing::synthetic_curves(40, 9, 0.02), (dir / "curves.json").string());
  const auto config = study_config(dir, table, 0.01, 30);

  // The uninterrupted reference.
  const auto reference = store(dir, "whole");
  ASSERT_EQ(
      testing::run_cli({"tune", "--config", config, "--output", (dir / "whole").string(), "--storage", reference}), 0);
  Store whole(reference);
  const auto expected = results(whole);
  ASSERT_GT(expected.size(), 40u);

  // The same study, killed after some results, then resumed.
  const auto out = (dir / "killed").string();
  const auto location = store(dir, "killed");
  const pid_t pid =
      testing::spawn({METAEVO_BINARY, "tune", "--config", config, "--output", out, "--storage", location});
  auto enough = [&] {
    try {
      Store peek(location);
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
    Store killed(location);
    before = results(killed);
  }
  ASSERT_GE(before.size(), 20u);
  ASSERT_LT(before.size(), expected.size());

  ASSERT_EQ(testing::run_cli({"tune", "--config", config, "--output", out, "--storage", location}), 0);
  Store resumed(location);
  const auto after = results(resumed);
  // Nothing reported before the kill is lost or repeated, and the study ends as if never killed.
  ASSERT_GE(after.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(after[i] == before[i]) << "result " << i;
  EXPECT_TRUE(after == expected);
  expect_contiguous(after);
}

TEST_P(TunerTest, OrphanedTrialsAreTakenOverAndLiveOnesAreNot) {
  const auto dir = this->dir("orphans");
  Store store(this->store(dir, "orphans"));
  store.open_study("fingerprint", "settings");
  char name[256] = {0};
  ::gethostname(name, sizeof(name) - 1);
  const std::string host = name;
  const pid_t dead = testing::spawn({"/bin/true"});
  ASSERT_EQ(testing::wait_for(dead, 10), 0);
  int64_t alive_elsewhere = 0, silent = 0, killed = 0, mine = 0;
  store.write([&] {
    alive_elsewhere = store.add_trial({{"x", 1}}, 3, "a");
    store.heartbeat("a", "other-host", 1);
    silent = store.add_trial({{"x", 2}}, 3, "b");
    store.heartbeat("b", "other-host", 2);
    store.database().query("UPDATE workers SET heartbeat = heartbeat - 7200 WHERE name = ?", {"b"});
    killed = store.add_trial({{"x", 3}}, 3, "c");
    store.heartbeat("c", host, dead);
    mine = store.add_trial({{"x", 4}}, 3, "d");
    store.heartbeat("d", host, ::getpid());
  });
  auto next = [&](const std::string& me) {
    const auto orphan = store.orphan(me, host, 3600);
    if (orphan) store.write([&] { store.update_trial(orphan->id, "paused", 0, 3, me); });
    return orphan ? orphan->id : 0;
  };
  EXPECT_EQ(next("e"), silent);  // another host's worker, silent for two hours
  EXPECT_EQ(next("e"), killed);  // this host's worker, whose process is gone
  EXPECT_EQ(next("e"), 0);       // the others are alive
  // A worker asking while idle takes back a trial recorded as its own (a claim whose reply it lost).
  EXPECT_EQ(next("d"), mine);
  EXPECT_EQ(store.trial(alive_elsewhere).state, "running");
}

TEST(TuneCli, TheSyntheticObjectiveRunsAStudyWithoutCheckpoints) {
  const auto dir = fresh_dir("synthetic");
  const auto config = (dir / "tune.yaml").string();
  std::ofstream(config) << "seed: 3\nobjective: {type: synthetic}\nscheduler: {name: asha_stopping, max_t: 9}\n"
                        << "tuner: {max_trials: 30}\n";
  ASSERT_EQ(testing::run_cli({"tune", "--config", config, "--output", (dir / "out").string()}), 0);
  Store store((dir / "out" / "study.db").string());
  EXPECT_EQ(store.trial_count(), 30);
  const auto rows = results(store);
  expect_contiguous(rows);
  // Each result is the closed-form curve at its epoch, and nothing was written per trial.
  for (const auto& r : rows) {
    const auto config = store.trial(r.trial).config;
    const double x = config["x"], y = config["y"];
    const double level = 0.9 - (x - 0.3) * (x - 0.3) - 0.5 * (y - 0.7) * (y - 0.7);
    EXPECT_DOUBLE_EQ(r.value, level * (1 - std::exp(-(0.05 + 0.5 * y) * r.epoch)));
  }
  EXPECT_FALSE(fs::exists(dir / "out" / "trials"));
}

TEST(TuneCli, BadInputGivesOneLineErrors) {
  const auto dir = fresh_dir("errors");
  const auto bad = (dir / "bad.yaml").string();
  std::ofstream(bad) << "objective: {type: curve_table, path: " << (dir / "missing.json").string() << "}\n";
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--output", (dir / "o").string()}), 2);
  std::ofstream(bad) << "objective: {type: nope}\n";
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--output", (dir / "o").string()}), 2);
  EXPECT_EQ(testing::run_cli({"tune", "status", "--output", (dir / "nothing").string()}), 2);
  // Databases that cannot hold this study: a server nobody listens on, another kind of store,
  // and a study made with other settings.
  std::ofstream(bad) << "objective: {type: synthetic}\ntuner: {max_trials: 2}\n";
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--storage", "postgresql://ann:pw@127.0.0.1:1/hpo"}), 2);
  storage::Database((dir / "other.db").string(), storage::Schema{"munet-system", {"CREATE TABLE settings (k TEXT);"}});
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--storage", (dir / "other.db").string()}), 2);
  ASSERT_EQ(testing::run_cli({"tune", "--config", bad, "--output", (dir / "a").string()}), 0);
  EXPECT_EQ(testing::run_cli({"tune", "--config", bad, "--output", (dir / "a").string(), "--set", "seed=5"}), 2);
}

METAEVO_BACKENDS(TunerTest);

}  // namespace
}  // namespace metaevo::hpo
