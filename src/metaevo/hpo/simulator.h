#pragma once
// Runs a scheduler on a recorded curve table in simulated time with N workers: each epoch of a
// trial takes the seconds recorded for it, results arrive in time order, idle workers ask again
// after every result. Comparing schedulers over many seeds takes seconds and is exactly
// repeatable. Trial n of a seed gets the n-th row of a seeded permutation of the table.
#include <cstdint>

#include "metaevo/hpo/curve_table.h"
#include "metaevo/hpo/scheduler.h"

namespace metaevo::hpo {

struct SimulationOptions {
  int workers = 4;
  int max_trials = 128;
  uint64_t seed = 0;
};

struct SimulationResult {
  int trials = 0;
  int64_t epochs = 0;    // resource spent, all trials together
  double seconds = 0;    // simulated wall-clock time until the last worker finished
  int max_resource = 0;  // the scheduler's maximum resource at the end (PASHA's final cap)
  size_t best_row = 0;   // the selected configuration: best value at the largest resource reached
  int best_resource = 0;
  double best_value = 0;        // its value where it was selected
  double best_final_value = 0;  // its value after the full max epochs of the table
  double best_final_test = 0;   // and its test score then
};

SimulationResult simulate(const CurveTable& table, Scheduler& scheduler, const SimulationOptions& options);

}  // namespace metaevo::hpo
