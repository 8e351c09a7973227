#include "metaevo/munet/mutation.h"

#include <gtest/gtest.h>

#include "../support/munet_tasks.h"
#include "metaevo/munet/component_kind.h"
#include "metaevo/munet/evolution.h"

namespace metaevo::munet {
namespace {

/// A toy mutation, registered here and nowhere else: it counts its own firings down a lineage.
/// It acts only on children of the task "toy", so the rest of the suite draws no number for it.
class Toy : public Mutation {
  Stage stage() const override { return Stage::components; }
  void apply(ChildDraft& d, Mutator& m) const override {
    if (d.child.task != "toy" || !m.fires("toy:count")) return;
    d.child.hparams["toy_count"] =
        d.parent.hparams.count("toy_count") ? d.parent.hparams.at("toy_count").get<int>() + 1 : 1;
  }
};
const Registrar<MutationRegistry> toy_registration("toy", [] { return std::make_unique<Toy>(); });

TEST(MunetMutation, AToyMutationRegisteredInOneFileRunsInEvolution) {
  EXPECT_NE(MutationRegistry::instance().names().find("toy"), std::string::npos);
  auto space = HparamSpace::reference(2);
  space.defaults["opt_lr"] = 0.05;
  TrainOptions train;
  train.batch_size = 32;
  train.validations = 1;
  train.batches_between_validations = 3;
  EvolutionOptions evolution;
  evolution.children = 2;
  auto task = testing::quadrants(128);
  task.name = "toy";
  for (const bool active : {true, false}) {
    MutationOptions mutation;
    mutation.forced = {"clone:encoder_norm", "toy:count"};
    if (!active) mutation.kinds = {"hp", "add", "clone"};
    Population pop(testing::small_vit(), space, mutation, 3);
    const Scorer scorer({}, *pop.root(), pop.vit());
    run_task_iteration(pop, task, scorer, evolution, train, 5, 0);
    run_task_iteration(pop, task, scorer, evolution, train, 5, 1);
    ASSERT_EQ(pop.paths("toy").size(), 1u);
    const auto& kept = pop.paths("toy")[0]->hparams;
    if (active) {
      // Forced: every generation of the lineage counted it once.
      ASSERT_TRUE(kept.count("toy_count"));
      EXPECT_EQ(kept.at("toy_count").get<int64_t>(), pop.paths("toy")[0]->generation);
    } else {
      EXPECT_FALSE(kept.count("toy_count"));
    }
  }
}

TEST(MunetMutation, ForcedTypesMustNameARegisteredMutation) {
  MutationOptions o;
  o.forced = {"toy:count", "clone:head"};
  EXPECT_NO_THROW(o.validate());
  o.forced = {"shrink:head"};
  EXPECT_THROW(o.validate(), Error);
  o.forced = {};
  o.rate_values = {0.3, 0.1};
  EXPECT_THROW(o.validate(), Error);
}

TEST(MunetComponentKind, NamesParseToRegisteredKindsAndLayers) {
  const auto block = ComponentName::parse("encoderblock_12");
  EXPECT_EQ(block.kind, "encoderblock");
  EXPECT_EQ(block.layer, 12);
  EXPECT_EQ(block.str(), "encoderblock_12");
  const auto norm = ComponentName::parse("encoder_norm");
  EXPECT_EQ(norm.kind, "encoder_norm");
  EXPECT_EQ(norm.layer, -1);
  EXPECT_EQ(ComponentName::parse("residual_adapter_0").kind, "residual_adapter");
  EXPECT_THROW(ComponentName::parse("head_1"), Error);  // the head does not repeat per layer
  EXPECT_THROW(ComponentName::parse("decoderblock_0"), Error);
  EXPECT_THROW(ComponentName::parse("encoderblock_x"), Error);
  EXPECT_TRUE(component_kind("residual_adapter").optional());
  EXPECT_TRUE(component_kind("head").task_specific());
  EXPECT_EQ(component_names("encoderblock", 3),
            (std::vector<std::string>{"encoderblock_0", "encoderblock_1", "encoderblock_2"}));
}

TEST(MunetComponentKind, ForwardRefusesAPathWithoutARequiredComponent) {
  Population pop(testing::small_vit(), HparamSpace::reference(2), {}, 1);
  auto parts = pop.root()->components;
  const auto x = torch::zeros({2, 1, 32, 32});
  EXPECT_EQ(vit_forward(x, parts, 2, pop.vit()).sizes(), (std::vector<int64_t>{2, 1}));
  // A block beyond the layers kept is not needed; one inside them is.
  parts.erase("encoderblock_1");
  EXPECT_NO_THROW(vit_forward(x, parts, 1, pop.vit()));
  EXPECT_THROW(vit_forward(x, parts, 2, pop.vit()), Error);
}

}  // namespace
}  // namespace metaevo::munet
