// Regularised evolution (Real et al. 2019) over configurations: among the `population` most recent
// trials with a result, a tournament of distinct contestants picks a parent, whose configuration is mutated in one
// parameter. A trial that got further (more resource) beats one stopped earlier; at equal resource
// the better value wins. Until enough trials have results, configurations are drawn at random.
#include "metaevo/hpo/sampler.h"

namespace metaevo::hpo {
namespace {

class EvolutionarySampler : public Sampler {
 public:
  explicit EvolutionarySampler(const EvolutionaryOptions& options) : options_(options) {}

  Assignment suggest(const SearchSpace& space, const std::vector<const TrialSummary*>& history, Draws& draws) override {
    std::vector<const TrialSummary*> recent;
    for (auto it = history.rbegin(); it != history.rend() && int(recent.size()) < options_.population; ++it)
      if ((*it)->resource > 0) recent.push_back(*it);
    if (int(recent.size()) < options_.population) return space.sample(draws);
    // The tournament: `tournament` distinct contestants (a partial shuffle), the best wins.
    const TrialSummary* parent = nullptr;
    for (int i = 0; i < options_.tournament; ++i) {
      std::swap(recent[i], recent[i + draws.below(recent.size() - i)]);
      const TrialSummary* c = recent[i];
      if (!parent || c->resource > parent->resource || (c->resource == parent->resource && c->value > parent->value))
        parent = c;
    }
    return space.mutate(parent->config, draws, options_.mutation_scale);
  }

 private:
  EvolutionaryOptions options_;
};

const Registrar<SamplerRegistry> evolutionary_sampler_registration(
    "evolutionary",
    [](const Choice& c) { return std::make_unique<EvolutionarySampler>(read_choice<EvolutionaryOptions>(c)); },
    variant_doc<EvolutionaryOptions>("regularised evolution over configurations (Real et al. 2019)"));

}  // namespace
}  // namespace metaevo::hpo
