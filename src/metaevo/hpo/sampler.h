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

struct SamplerOptions {
  std::string name = "random";
  int population = 16;           // evolutionary: the most recent trials with results that compete
  int tournament = 4;            // evolutionary: parents are the best of this many drawn at random
  double mutation_scale = 0.15;  // evolutionary: Gaussian step, as a fraction of a numeric (log) range

  template <class V>
  void visit(V& v) {
    v("name", name, "random | evolutionary");
    v("population", population, "evolutionary: how many recent trials with results compete");
    v("tournament", tournament, "evolutionary: tournament size");
    v("mutation_scale", mutation_scale, "evolutionary: step as a fraction of a parameter's range");
  }
  void validate() const;
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// The configuration of the next trial; `history` lists earlier trials in creation order.
  virtual Assignment suggest(const SearchSpace& space, const std::vector<TrialSummary>& history, Draws& draws) = 0;
};

using SamplerRegistry = Registry<Sampler, const SamplerOptions&>;
std::unique_ptr<Sampler> make_sampler(const SamplerOptions& options);

}  // namespace metaevo::hpo
