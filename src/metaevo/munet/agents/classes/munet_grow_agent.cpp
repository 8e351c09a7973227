// `munet-grow`: a second evolutionary class with another search space. Besides the system's
// mutations, a child may grow its own blocks by function-preserving expansions (wider MLPs, more
// layers: munet/grow.h), starts from its own mutation rate, and steps learning rates over its own
// list.
#include "metaevo/munet/agents/agent_class.h"

namespace metaevo::munet {
namespace {

struct MunetGrowOptions {
  double probability = 0.2;                         // the class's starting mutation rate
  double mlp_growth = 2.0;                          // grow:mlp_dim steps up to mlp_dim x this
  int64_t extra_layers = 1;                         // grow:layers steps up to depth + this
  std::vector<double> lr_values{0.01, 0.02, 0.05};  // opt_lr's values ([] = the system's)
  template <class V>
  void visit(V& v) {
    v("probability", probability, "starting mutation rate of the class's paths");
    v("mlp_growth", mlp_growth, "grow:mlp_dim steps up to mlp_dim x this (1 = no MLP growth)");
    v("extra_layers", extra_layers, "grow:layers steps up to depth + this (0 = no new layers)");
    v("lr_values", lr_values, "the learning rates opt_lr steps over ([] = the system's)");
  }
  void validate() const {
    require(probability >= 0 && probability <= 1, "probability", "must be in [0, 1], got {}", probability);
    require(mlp_growth >= 1, "mlp_growth", "must be >= 1, got {}", mlp_growth);
    require(extra_layers >= 0, "extra_layers", "must be >= 0, got {}", extra_layers);
    for (const double lr : lr_values) require(lr > 0, "lr_values", "must be > 0, got {}", lr);
  }
};

class MunetGrowAgent : public AgentClass {
 public:
  explicit MunetGrowAgent(MunetGrowOptions o) : o_(std::move(o)) {}
  HparamSpace space(const EvolveSettings& s) const override {
    auto space = s.space();
    if (!o_.lr_values.empty()) {
      // The system's default stays when the list holds it (children of the root start there).
      const double system = space.defaults.at("opt_lr").get<double>();
      const bool held = std::find(o_.lr_values.begin(), o_.lr_values.end(), system) != o_.lr_values.end();
      space.override_with({{"opt_lr", {{"values", o_.lr_values}, {"default", held ? system : o_.lr_values.front()}}}});
    }
    return space;
  }
  MutationOptions mutation(const EvolveSettings& s) const override {
    auto m = s.mutation;
    m.probability = o_.probability;
    const auto mlp = int64_t(double(s.vit.mlp_dim) * o_.mlp_growth);
    if (mlp > s.vit.mlp_dim) m.grow["mlp_dim"] = {mlp};
    if (o_.extra_layers > 0) m.grow["layers"] = {s.vit.depth + o_.extra_layers};
    return m;
  }

 private:
  MunetGrowOptions o_;
};

const Registrar<AgentClassRegistry> munet_grow_agent_registration(
    "munet-grow",
    [](const Config& block) { return std::make_unique<MunetGrowAgent>(read_options<MunetGrowOptions>(block)); },
    variant_doc<MunetGrowOptions>("muNet evolution whose children may also grow (wider MLPs, more layers), with "
                                  "its own mutation rate and learning rates"));

}  // namespace
}  // namespace metaevo::munet
