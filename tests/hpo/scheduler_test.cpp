// Decisions of the rung-based schedulers on hand-made results.
#include "metaevo/hpo/scheduler.h"

#include <gtest/gtest.h>

namespace metaevo::hpo {
namespace {

using Kind = Job::Kind;

std::unique_ptr<Scheduler> make(const std::string& name, int max_t = 27, double eta = 3, int brackets = 1) {
  nlohmann::json settings{{"max_t", max_t}};
  if (name != "fifo") settings["eta"] = eta;
  if (name == "hyperband") settings["brackets"] = brackets;
  return make_scheduler({name, settings});
}

/// Hands out the next job, which must be of `kind`; a new trial gets id `id`.
Job take(Scheduler& s, Kind kind, int64_t id = -1, bool can_start = true) {
  Job job = s.next_job(can_start);
  EXPECT_EQ(int(job.kind), int(kind));
  if (job.kind == Kind::kStart) job.trial = id;
  s.on_job(job);
  return job;
}

TEST(RungLevels, FollowRMinTimesEtaPowers) {
  EXPECT_EQ(rung_levels(1, 3, 27), (std::vector<int>{1, 3, 9}));
  EXPECT_EQ(rung_levels(1, 3, 200), (std::vector<int>{1, 3, 9, 27, 81}));  // Syne Tune's NASBench201 example
  EXPECT_EQ(rung_levels(1, 4, 100), (std::vector<int>{1, 4, 16, 64}));
  EXPECT_EQ(rung_levels(2, 2, 9), (std::vector<int>{2, 4, 8}));
  EXPECT_EQ(rung_levels(5, 3, 5), (std::vector<int>{}));
}

TEST(SchedulerChoice, EachSchedulerReadsItsOwnSettings) {
  const auto error = [](const std::string& yaml) {
    try {
      make_scheduler(read_choice_at(Config::parse(yaml, "t.yaml"), "scheduler", default_scheduler()));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error("scheduler: {name: hyperband, brackets: 3, max_t: 81}"), "");
  EXPECT_EQ(error("scheduler: {eta: 1}"), "t.yaml: scheduler: eta: must be > 1, got 1");
  // Hyperband's brackets mean nothing to the other schedulers, r_min and eta nothing to fifo.
  EXPECT_EQ(error("scheduler: {name: pasha, brackets: 2}"), "t.yaml: scheduler: unknown key 'brackets'");
  EXPECT_EQ(error("scheduler: {name: fifo, eta: 2}"), "t.yaml: scheduler: unknown key 'eta'");
  EXPECT_NE(error("scheduler: nope").find("t.yaml: scheduler: unknown 'nope' (choose one of: asha_promotion"),
            std::string::npos);
  EXPECT_EQ(make_scheduler({"fifo", {{"max_t", 5}}})->max_resource(), 5);
}

TEST(AshaStopping, FirstResultsOfARungMustBeBestSoFar) {
  auto s = make("asha_stopping", 9);  // rungs 1, 3; max 9
  for (int id = 1; id <= 4; ++id) EXPECT_EQ(take(*s, Kind::kStart, id).milestone, 9);
  // Fewer than eta entries: floor(n / eta) < 1, so only a value at least as good as all continues.
  EXPECT_EQ(s->on_result(1, 1, 0.5), Decision::kContinue);
  EXPECT_EQ(s->on_result(2, 1, 0.4), Decision::kStop);
  EXPECT_EQ(s->on_result(3, 1, 0.6), Decision::kContinue);
  // A tie with the cutoff continues.
  EXPECT_EQ(s->on_result(4, 1, 0.6), Decision::kContinue);
  // Between rungs, trials just continue.
  EXPECT_EQ(s->on_result(1, 2, 0.55), Decision::kContinue);
}

TEST(AshaStopping, LateArrivalsAreJudgedAgainstEverythingRecorded) {
  auto s = make("asha_stopping", 9);
  for (int id = 1; id <= 7; ++id) take(*s, Kind::kStart, id);
  const double early[] = {0.9, 0.1, 0.2, 0.3, 0.4, 0.5};
  for (int id = 1; id <= 6; ++id) s->on_result(id, 1, early[id - 1]);
  // 7 entries, top floor(7/3) = 2: 0.6 ranks second and continues; 0.45 would rank fourth.
  EXPECT_EQ(s->on_result(7, 1, 0.6), Decision::kContinue);
  take(*s, Kind::kStart, 8);
  EXPECT_EQ(s->on_result(8, 1, 0.45), Decision::kStop);
  // Reaching max_t ends the trial.
  EXPECT_EQ(s->on_result(1, 3, 0.95), Decision::kContinue);
  EXPECT_EQ(s->on_result(1, 9, 0.97), Decision::kStop);
}

TEST(AshaPromotion, PromotesTheTopThirdBestFirst) {
  auto s = make("asha_promotion", 9);
  for (int id = 1; id <= 3; ++id) EXPECT_EQ(take(*s, Kind::kStart, id).milestone, 1);
  // Results pause the trials at the rung.
  EXPECT_EQ(s->on_result(1, 1, 0.3), Decision::kPause);
  EXPECT_EQ(s->on_result(2, 1, 0.5), Decision::kPause);
  // Two entries: floor(2/3) = 0 promotable, so a new trial starts.
  take(*s, Kind::kStart, 4);
  EXPECT_EQ(s->on_result(3, 1, 0.1), Decision::kPause);
  // Three entries: the best (trial 2) is promoted from 1 to 3.
  const Job job = take(*s, Kind::kResume);
  EXPECT_EQ(job.trial, 2);
  EXPECT_EQ(job.from, 1);
  EXPECT_EQ(job.milestone, 3);
  EXPECT_EQ(s->on_result(2, 2, 0.55), Decision::kContinue);
  EXPECT_EQ(s->on_result(2, 3, 0.6), Decision::kPause);
  // Trial 2 is not promoted twice: with 3 entries only one may go, so a new trial starts.
  take(*s, Kind::kStart, 5);
}

TEST(AshaPromotion, TiesGoToTheEarlierTrialAndLateArrivalsCanStillBePromoted) {
  auto s = make("asha_promotion", 9);
  for (int id = 1; id <= 3; ++id) take(*s, Kind::kStart, id);
  s->on_result(1, 1, 0.5);
  s->on_result(2, 1, 0.5);
  s->on_result(3, 1, 0.2);
  EXPECT_EQ(take(*s, Kind::kResume).trial, 1);
  // Three more, one of them late but better than everything: the top two of six now include it.
  for (int id = 4; id <= 6; ++id) take(*s, Kind::kStart, id);
  s->on_result(4, 1, 0.1);
  s->on_result(5, 1, 0.1);
  s->on_result(6, 1, 0.9);
  EXPECT_EQ(take(*s, Kind::kResume).trial, 6);
  // floor(6/3) = 2 promotions (trials 1 and 6) are used up.
  take(*s, Kind::kStart, 7);
}

TEST(AshaPromotion, WaitsWhileTrialsRunAndEndsWhenNothingIsLeft) {
  auto s = make("asha_promotion", 3);  // rungs 1; max 3
  take(*s, Kind::kStart, 1);
  EXPECT_EQ(int(s->next_job(false).kind), int(Kind::kWait));
  s->on_result(1, 1, 0.5);
  EXPECT_EQ(int(s->next_job(false).kind), int(Kind::kDone));
}

TEST(AshaPromotion, AFailedTrialLeavesTheRunningSet) {
  auto s = make("asha_promotion", 3);
  take(*s, Kind::kStart, 1);
  s->on_failure(1);
  EXPECT_EQ(int(s->next_job(false).kind), int(Kind::kDone));
  EXPECT_THROW(s->on_result(1, 1, 0.5), Error);
}

TEST(Hyperband, SuccessiveHalvingWaitsForTheWholeRung) {
  auto s = make("hyperband", 9);  // s_max = 2: 9 trials at 1, 3 at 3, 1 at 9
  for (int id = 1; id <= 9; ++id) EXPECT_EQ(take(*s, Kind::kStart, id).milestone, 1);
  EXPECT_EQ(int(s->next_job(true).kind), int(Kind::kWait));  // no tenth trial: the rung must finish first
  for (int id = 1; id <= 8; ++id) EXPECT_EQ(s->on_result(id, 1, 0.1 * id), Decision::kPause);
  EXPECT_EQ(int(s->next_job(true).kind), int(Kind::kWait));  // one straggler left
  s->on_result(9, 1, 0.05);
  // The best three (8, 7, 6), best first, go on to 3.
  for (int expected : {8, 7, 6}) {
    const Job job = take(*s, Kind::kResume);
    EXPECT_EQ(job.trial, expected);
    EXPECT_EQ(job.from, 1);
    EXPECT_EQ(job.milestone, 3);
  }
  for (int id : {8, 7, 6}) s->on_result(id, 3, id == 6 ? 0.99 : 0.5);
  const Job last = take(*s, Kind::kResume);
  EXPECT_EQ(last.trial, 6);
  EXPECT_EQ(last.milestone, 9);
  EXPECT_EQ(s->on_result(6, 9, 0.99), Decision::kStop);
  // The next bracket (brackets = 1: successive halving again) starts new trials.
  EXPECT_EQ(take(*s, Kind::kStart, 10).milestone, 1);
}

TEST(Hyperband, BracketsStartLaterWithFewerTrials) {
  auto s = make("hyperband", 9, 3, 3);
  for (int id = 1; id <= 9; ++id) take(*s, Kind::kStart, id);
  for (int id = 1; id <= 9; ++id) s->on_result(id, 1, id);
  for (int i = 0; i < 3; ++i) s->on_result(take(*s, Kind::kResume).trial, 3, 1.0 * i);
  s->on_result(take(*s, Kind::kResume).trial, 9, 1);
  // Bracket s = 1: ceil(3 / 2 * 3) = 5 trials start at 3.
  for (int id = 10; id <= 14; ++id) EXPECT_EQ(take(*s, Kind::kStart, id).milestone, 3);
  EXPECT_EQ(int(s->next_job(true).kind), int(Kind::kWait));
}

TEST(Fifo, EveryTrialRunsToMaxT) {
  auto s = make("fifo", 5);
  EXPECT_EQ(take(*s, Kind::kStart, 1).milestone, 5);
  for (int e = 1; e < 5; ++e) EXPECT_EQ(s->on_result(1, e, 0.0), Decision::kContinue);
  EXPECT_EQ(s->on_result(1, 5, 0.0), Decision::kStop);
  EXPECT_EQ(int(s->next_job(false).kind), int(Kind::kDone));
}

}  // namespace
}  // namespace metaevo::hpo
