#pragma once
// Samplers propose the configuration of a new trial. Random sampling is the multi-fidelity
// schedulers' reference setting; the evolutionary sampler mutates configurations that did well,
// as the evolution code mutates models.
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/core/registry.h"
#include "metaevo/hpo/space.h"

namespace metaevo::hpo {

/// A trial as samplers see it: its configuration and its furthest result (higher is better).
struct TrialSummary {
  Assignment config;
  int resource = 0;  // 0: no result yet
  double value = 0;
};

/// The evolutionary sampler's settings (the random sampler has none).
struct EvolutionaryOptions {
  int population = 16;           // the most recent trials with results that compete
  int tournament = 4;            // parents are the best of this many drawn at random
  double mutation_scale = 0.15;  // Gaussian step, as a fraction of a numeric (log) range

  template <class V>
  void visit(V& v) {
    v("population", population, "how many recent trials with results compete");
    v("tournament", tournament, "tournament size");
    v("mutation_scale", mutation_scale, "step as a fraction of a parameter's range");
  }
  void validate() const;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// The configuration of the next trial; `history` lists earlier trials in creation order (by
  /// pointer: a study of many trials is not copied for every new one).
  virtual Assignment suggest(const SearchSpace& space, const std::vector<const TrialSummary*>& history,
                             Draws& draws) = 0;
};

using SamplerRegistry = Registry<Sampler, const Choice&>;
/// The sampler `choice` names, reading its own settings; an Error naming the block otherwise.
std::unique_ptr<Sampler> make_sampler(const Choice& choice);
/// The default choice of the `sampler` block.
inline Choice default_sampler() { return {"random"}; }

}  // namespace metaevo::hpo
