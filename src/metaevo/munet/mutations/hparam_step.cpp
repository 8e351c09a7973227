// "hp:<key>": each hyperparameter of the space takes one incremental step along its value list.
#include "metaevo/munet/mutation.h"

namespace metaevo::munet {
namespace {

class HparamStep : public Mutation {
  Stage stage() const override { return Stage::hparams; }
  void apply(ChildDraft& d, Mutator& m) const override {
    for (const auto& [key, values] : d.space.ranges)
      if (m.fires("hp:" + key)) d.child.hparams[key] = d.space.step(key, d.child.hparams.at(key), m.rng());
  }
};

const Registrar<MutationRegistry> hparam_step_registration("hp", [] { return std::make_unique<HparamStep>(); });

}  // namespace
}  // namespace metaevo::munet
