#pragma once
// An ES run assembled from a config file: problem, strategy and driver options.
//
//   seed: 1            # every random number derives from it
//   problem: {type: function | classification, ...}   (see the problems' options)
//   strategy: {name: openai_es | pgpe | snes | cmaes | sep_cmaes, low_rank: 0, ...}
//   run: {generations: 100, ...}                        (DriverOptions)
#include <memory>
#include <string>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/es/driver.h"

namespace metaevo::es {

using ProblemRegistry = Registry<Problem, const Config&, uint64_t>;

/// The `strategy` block's keys that every strategy shares (each reads its own besides).
struct StrategyCommonOptions {
  int64_t low_rank = 0;
  template <class V>
  void visit(V& v) {
    v("low_rank", low_rank,
      "r > 0: the Gaussian strategies perturb each weight matrix by a rank-r product (W + sigma A B^T / sqrt(r))");
  }
  void validate() const { require(low_rank >= 0, "low_rank", "must be >= 0, got {}", low_rank); }
};

struct EsRun {
  uint64_t seed = 0;
  std::unique_ptr<Problem> problem;
  std::unique_ptr<Strategy> strategy;
  DriverOptions driver;
  /// run::settings_fingerprint of seed, problem and strategy (what shapes the trajectory): a
  /// checkpoint written under another fingerprint is not resumed.
  std::string fingerprint;
};

/// Reads `seed`, `problem`, `strategy` and `run` from `config`.
EsRun make_es_run(const Config& config);

}  // namespace metaevo::es
