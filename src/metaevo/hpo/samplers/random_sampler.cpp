#include "metaevo/hpo/sampler.h"

namespace metaevo::hpo {
namespace {

class RandomSampler : public Sampler {
 public:
  Assignment suggest(const SearchSpace& space, const std::vector<const TrialSummary*>&, Draws& draws) override {
    return space.sample(draws);
  }
};

const Registrar<SamplerRegistry> random_sampler_registration(
    "random",
    [](const Choice& c) {
      read_choice<NoOptions>(c);
      return std::make_unique<RandomSampler>();
    },
    variant_doc<NoOptions>("configurations drawn independently from the search space"));

}  // namespace
}  // namespace metaevo::hpo
