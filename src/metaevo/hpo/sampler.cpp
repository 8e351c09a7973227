#include "metaevo/hpo/sampler.h"

namespace metaevo::hpo {

void SamplerOptions::validate() const {
  require(SamplerRegistry::instance().contains(name), "name", "unknown sampler '{}' (choose one of: {})", name,
          SamplerRegistry::instance().names());
  require(population >= 2, "population", "must be >= 2, got {}", population);
  require(tournament >= 1 && tournament <= population, "tournament", "must be in [1, population], got {}", tournament);
  require(mutation_scale > 0 && mutation_scale <= 1, "mutation_scale", "must be in (0, 1], got {}", mutation_scale);
}

std::unique_ptr<Sampler> make_sampler(const SamplerOptions& options) {
  options.validate();
  return SamplerRegistry::instance().create(options.name, "sampler.name", options);
}

}  // namespace metaevo::hpo
