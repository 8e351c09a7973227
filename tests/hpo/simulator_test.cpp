#include "metaevo/hpo/simulator.h"

#include <gtest/gtest.h>

#include "../support/curve_tables.h"

namespace metaevo::hpo {
namespace {

SimulationResult run(const CurveTable& table, const std::string& scheduler, int max_trials, uint64_t seed = 0) {
  auto s = make_scheduler({scheduler, {{"max_t", table.epochs}}});
  return simulate(table, *s, SimulationOptions{4, max_trials, seed});
}

/// Curves that never cross: row r is worth r at every epoch, scaled by e / (e + 1).
CurveTable parallel_curves(int rows, int epochs) {
  CurveTable table;
  table.epochs = epochs;
  for (int r = 0; r < rows; ++r) {
    CurveTable::Row row;
    row.config = {{"row", r}};
    for (int e = 1; e <= epochs; ++e) {
      row.value.push_back(0.01 * r * e / (e + 1.0));
      row.test.push_back(0.01 * r);
      row.seconds.push_back(1.0);
    }
    table.rows.push_back(row);
  }
  return table;
}

TEST(Simulator, FifoTrainsEveryTrialFullyAndPicksTheBestFinalValue) {
  const auto table = testing::synthetic_curves(40, 9, 0.01);
  const auto r = run(table, "fifo", 40);
  EXPECT_EQ(r.trials, 40);
  EXPECT_EQ(r.epochs, 40 * 9);
  double best = -1;
  for (const auto& row : table.rows) best = std::max(best, row.value.back());
  EXPECT_DOUBLE_EQ(r.best_value, best);
  EXPECT_EQ(r.best_resource, 9);
  // Four workers on equal-length trials: about a quarter of the serial time.
  EXPECT_LT(r.seconds, 40 * 9 * 1.2 / 4 + 12);
}

TEST(Simulator, IsDeterministicPerSeed) {
  const auto table = testing::synthetic_curves(60, 27, 0.02);
  const auto a = run(table, "pasha", 60, 5), b = run(table, "pasha", 60, 5);
  EXPECT_EQ(a.epochs, b.epochs);
  EXPECT_EQ(a.best_row, b.best_row);
  EXPECT_DOUBLE_EQ(a.seconds, b.seconds);
}

TEST(Simulator, PashaStopsEarlyWhenRankingsAreStable) {
  const auto table = parallel_curves(81, 27);
  const auto asha = run(table, "asha_promotion", 81), pasha = run(table, "pasha", 81);
  // Rankings never change, so PASHA never raises its cap above the second rung (3 epochs) ...
  EXPECT_EQ(pasha.max_resource, 3);
  // 81 trials, eta 3: ASHA pays about 81 + 27 x 2 + 9 x 6 + 3 x 18 = 243 epochs, PASHA capped at
  // the second rung about 81 + 27 x 2 = 135, a ratio near 0.56.
  EXPECT_LT(double(pasha.epochs), 0.6 * double(asha.epochs));
  // ... and still picks the configuration ASHA picks.
  EXPECT_EQ(pasha.best_row, asha.best_row);
}

TEST(Simulator, PashaRaisesItsCapWhenRankingsChange) {
  // Noisy, crossing curves: the two top rungs disagree at some point.
  const auto table = testing::synthetic_curves(81, 27, 0.05);
  const auto pasha = run(table, "pasha", 81);
  EXPECT_GT(pasha.max_resource, 3);
}

}  // namespace
}  // namespace metaevo::hpo
