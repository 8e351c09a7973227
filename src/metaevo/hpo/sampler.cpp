#include "metaevo/hpo/sampler.h"

namespace metaevo::hpo {

void EvolutionaryOptions::validate() const {
  require(population >= 2, "population", "must be >= 2, got {}", population);
  require(tournament >= 1 && tournament <= population, "tournament", "must be in [1, population], got {}", tournament);
  require(mutation_scale > 0 && mutation_scale <= 1, "mutation_scale", "must be in (0, 1], got {}", mutation_scale);
}

std::unique_ptr<Sampler> make_sampler(const Choice& choice) {
  return SamplerRegistry::instance().create(choice.name, choice.origin.empty() ? "sampler" : choice.origin, choice);
}

}  // namespace metaevo::hpo
