#pragma once
// One worker of a study, assembled from its settings: what `metaevo tune` runs on a registered
// objective, and what a library user runs on their own Objective (Python's metaevo.tune too).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/hpo/leaderboard.h"
#include "metaevo/hpo/objective.h"

namespace metaevo::hpo {

struct StudyOutcome {
  Standings standings;
  std::string scheduler;  // its name
  int64_t best = 0;       // best_trial(standings.trials); 0 when no trial has results
};

/// Joins (or creates) the study at `location` (a SQLite file or a postgresql:// URL) with the
/// settings of `config` - seed, space (else the objective's default), scheduler, sampler, tuner
/// and, when present, objective - and works on it until it is done; writes the leaderboard to
/// `output`, where trials keep their checkpoints. `make_objective` runs once the other settings
/// are checked, so a misspelt key fails before any data is read; every key of `config` must have
/// been read by then.
StudyOutcome run_study(const Config& config, const std::function<std::unique_ptr<Objective>()>& make_objective,
                       const std::string& location, const std::string& output);

}  // namespace metaevo::hpo
