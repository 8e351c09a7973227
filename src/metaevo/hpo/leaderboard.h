#pragma once
// A study's standings, read back from its database alone (so any worker, and `tune status`, sees
// the same): each trial's results in order, the leaderboard, and the incumbent after every
// reported epoch.
#include <map>
#include <string>
#include <vector>

#include "metaevo/hpo/store.h"
#include "metaevo/hpo/tuner.h"

namespace metaevo::hpo {

/// Trials with results, most epochs first, then the best value (in the scheduler's sense).
std::vector<int64_t> leaders(const std::vector<TrialState>& trials);

struct Standings {
  bool maximize = true;
  std::vector<TrialRow> rows;         // every trial, as stored
  std::vector<TrialState> trials;     // by trial id (0 unused); summary.value in the scheduler's sense
  std::vector<int64_t> ranked;        // leaders(trials)
  std::vector<double> incumbent;      // value of the best trial at the largest resource, after each result
  std::map<std::string, int> states;  // trials per state
  int64_t epochs = 0;
  double seconds = 0;  // training time reported
};

Standings read_standings(Store& store);

/// leaderboard.csv (every ranked trial) and results.json (the study's totals and the leaderboard)
/// in `output`.
void write_leaderboard(const Standings& standings, const std::string& scheduler, int max_resource,
                       const std::string& output);

}  // namespace metaevo::hpo
