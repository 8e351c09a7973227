// PASHA: soft-ranking consistency, the ranking-noise estimate, and the rung unlock.
#include "metaevo/hpo/schedulers/pasha.h"

#include <gtest/gtest.h>

namespace metaevo::hpo {
namespace {

Rung rung(int level, const std::vector<std::pair<int64_t, double>>& entries) {
  Rung r(level);
  for (const auto& [trial, value] : entries) r.add(trial, value);
  return r;
}

TEST(SoftRanking, SameOrderIsConsistent) {
  // Syne Tune's test vector (mode max): the same order in both rungs.
  const auto lower = rung(1, {{0, 10.0}, {1, 19.6}, {2, 14.3}, {3, 11.6}});
  const auto upper = rung(3, {{0, 10.5}, {1, 19.9}, {2, 14.4}, {3, 11.7}});
  EXPECT_TRUE(soft_ranking_consistent(upper, lower, 0.1));
  EXPECT_TRUE(soft_ranking_consistent(upper, lower, 0.0));
}

TEST(SoftRanking, ASwapBeyondEpsilonIsInconsistent) {
  const auto lower = rung(1, {{0, 10.0}, {1, 19.6}, {2, 14.3}, {3, 11.6}});
  // Trials 1 and 3 change places: their lower-rung values are 8 apart, far above epsilon.
  const auto upper = rung(3, {{0, 10.0}, {1, 11.55}, {2, 14.3}, {3, 19.6}});
  EXPECT_FALSE(soft_ranking_consistent(upper, lower, 0.1));
}

TEST(SoftRanking, ASwapWithinEpsilonIsATie) {
  // Syne Tune's minimisation example, negated to higher-is-better: 14.6 and 14.3 swap places.
  const auto lower = rung(1, {{0, -14.6}, {1, -14.3}, {2, -20.0}});
  const auto upper = rung(3, {{0, -14.0}, {1, -14.2}, {2, -19.0}});
  EXPECT_TRUE(soft_ranking_consistent(upper, lower, 0.3));
  EXPECT_FALSE(soft_ranking_consistent(upper, lower, 0.03));
}

TEST(SoftRanking, OnlyTrialsInBothRungsCountAndOneTrialIsAlwaysConsistent) {
  const auto lower = rung(1, {{0, 0.9}, {1, 0.8}, {2, 0.7}, {3, 0.1}});
  EXPECT_TRUE(soft_ranking_consistent(rung(3, {{2, 0.5}}), lower, 0.0));
  EXPECT_TRUE(soft_ranking_consistent(rung(3, {{0, 0.95}, {2, 0.75}}), lower, 0.0));
  EXPECT_FALSE(soft_ranking_consistent(rung(3, {{0, 0.5}, {2, 0.75}}), lower, 0.0));
}

TEST(RankingNoise, GapsOfCurvesThatCrossAndCrossBack) {
  RankingNoise noise;
  // a and b: a < b, then a > b, then a < b again at epoch 3 with gap 0.1: one criss-cross.
  const std::vector<double> a{0.1, 0.5, 0.6}, b{0.2, 0.3, 0.7};
  // c stays below both; it flips with nobody.
  const std::vector<double> c{0.0, 0.0, 0.05};
  for (int e = 1; e <= 3; ++e) {
    noise.add(1, e, a[e - 1]);
    noise.add(2, e, b[e - 1]);
    noise.add(3, e, c[e - 1]);
  }
  EXPECT_EQ(noise.gaps(), 1u);
  EXPECT_NEAR(noise.epsilon(1, 3, -1), 0.1, 1e-12);
  // Once crossed back, the pair keeps counting while it keeps that order.
  noise.add(1, 4, 0.6);
  noise.add(2, 4, 0.9);
  EXPECT_EQ(noise.gaps(), 2u);
  EXPECT_NEAR(noise.epsilon(3, 4, -1), 0.3, 1e-12);
  // Outside the window (epochs 5..9) there is nothing: the fallback is kept.
  EXPECT_DOUBLE_EQ(noise.epsilon(4, 9, 0.25), 0.25);
}

TEST(RankingNoise, OnlyAFlipBackCountsAndTheNinetiethPercentileInterpolates) {
  RankingNoise noise;
  // A single flip (a < b, then a > b forever) records nothing.
  for (int e = 1; e <= 4; ++e) {
    noise.add(1, e, e == 1 ? 0.1 : 0.9);
    noise.add(2, e, 0.5);
  }
  EXPECT_EQ(noise.gaps(), 0u);
  // Ten pairs that criss-cross at epoch 3 with gaps 0.01 .. 0.10.
  RankingNoise many;
  for (int p = 0; p < 10; ++p) {
    const double gap = 0.01 * (p + 1);
    const int64_t x = 100 + 2 * p, y = 101 + 2 * p;
    // Trials of different pairs are far apart (offset 10 * p), so only the pairs cross.
    const double base = 10.0 * p;
    const double xs[] = {base, base + 1, base}, ys[] = {base + 0.5, base + 0.5, base + gap};
    for (int e = 1; e <= 3; ++e) {
      many.add(x, e, xs[e - 1]);
      many.add(y, e, ys[e - 1]);
    }
  }
  EXPECT_EQ(many.gaps(), 10u);
  // numpy.percentile([0.01..0.10], 90) = 0.091
  EXPECT_NEAR(many.epsilon(1, 3, 0), 0.091, 1e-12);
}

TEST(Pasha, StartsCappedAtTheSecondRungAndUnlocksOnInconsistentRankings) {
  RungOptions o;
  o.max_t = 27;  // rungs 1, 3, 9; max 27
  Pasha s(o);
  EXPECT_EQ(s.max_resource(), 3);
  auto start = [&](int64_t id) {
    Job job = s.next_job(true);
    ASSERT_EQ(int(job.kind), int(Job::Kind::kStart));
    job.trial = id;
    s.on_job(job);
  };
  auto promote = [&](int64_t expected) {
    Job job = s.next_job(true);
    ASSERT_EQ(int(job.kind), int(Job::Kind::kResume));
    ASSERT_EQ(job.trial, expected);
    s.on_job(job);
  };
  // Six trials at epoch 1; the best two get promoted to 3 and keep their order: consistent.
  for (int id = 1; id <= 6; ++id) start(id);
  for (int id = 1; id <= 6; ++id) s.on_result(id, 1, 0.1 * id);
  promote(6);
  s.on_result(6, 2, 0.7);
  s.on_result(6, 3, 0.8);
  promote(5);
  s.on_result(5, 2, 0.6);
  EXPECT_EQ(s.on_result(5, 3, 0.7), Decision::kPause);
  EXPECT_EQ(s.max_resource(), 3);
  // Capped at 3: the rung at 3 does not promote even with enough entries; new trials start.
  for (int id = 7; id <= 9; ++id) start(id);
  s.on_result(7, 1, 0.05);
  s.on_result(8, 1, 0.05);
  s.on_result(9, 1, 0.95);
  promote(9);
  s.on_result(9, 2, 0.5);
  // Trial 9 was best at 1 but is worst of the three at 3: the ranking flips, 9 is unlocked.
  EXPECT_EQ(s.on_result(9, 3, 0.5), Decision::kPause);
  EXPECT_EQ(s.max_resource(), 9);
  // Now the rung at 3 (three entries) promotes its best to 9.
  Job job = s.next_job(true);
  EXPECT_EQ(int(job.kind), int(Job::Kind::kResume));
  EXPECT_EQ(job.trial, 6);
  EXPECT_EQ(job.from, 3);
  EXPECT_EQ(job.milestone, 9);
}

}  // namespace
}  // namespace metaevo::hpo
