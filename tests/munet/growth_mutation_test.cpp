// The growth mutations (mutations/grow_component.cpp) and the encoder block's expansions they use.
#include <gtest/gtest.h>

#include "../support/munet_tasks.h"
#include "metaevo/munet/component_kind.h"
#include "metaevo/munet/population.h"
#include "metaevo/munet/scorer.h"

namespace metaevo::munet {
namespace {

const ComponentKind& encoder_block() { return component_kind("encoderblock"); }

/// An encoder block with every tensor random (none of the zeros a fresh block starts with).
Params random_block(const VitOptions& o, uint64_t seed) {
  auto p = init_component("encoderblock_0", o, 1, 0, seed, torch::kCPU);
  TensorInit noise(seed + 1);
  for (auto& t : p) t = t + noise.normal(t.sizes().vec(), 0.5);
  return p;
}

torch::Tensor random_tokens(const VitOptions& o) {
  TensorInit init(99);
  return init.normal({3, o.tokens(), o.width}, 1.0);
}

void expect_same_function(const torch::Tensor& got, const torch::Tensor& want) {
  const double error = (got - want).abs().max().item<double>() / want.abs().max().item<double>();
  EXPECT_LT(error, 1e-5);
}

TEST(MunetGrowth, EncoderBlockGainsHeadsAndMlpWidthComputingTheSameFunction) {
  const auto o = testing::small_vit();  // width 16, 2 heads of 8, MLP 32
  const auto p = random_block(o, 1);
  const auto x = random_tokens(o);
  const auto before = encoder_block().forward(x, p, o);
  TensorInit init(7);
  const auto wider = encoder_block().grow(p, "mlp_dim", 48, o, init);
  EXPECT_EQ(encoder_block().size(wider, "mlp_dim", o), 48);
  expect_same_function(encoder_block().forward(x, wider, o), before);
  const auto more_heads = encoder_block().grow(wider, "heads", 4, o, init);
  EXPECT_EQ(encoder_block().size(more_heads, "heads", o), 4);
  EXPECT_EQ(more_heads[2].sizes(), (std::vector<int64_t>{3 * 4 * 8, 16}));
  expect_same_function(encoder_block().forward(x, more_heads, o), before);
  EXPECT_GT(encoder_block().flops(more_heads, o), encoder_block().flops(p, o));
  // The zero slices are what keeps the function: filling any of them changes the output.
  for (const auto& [tensor, slice] : {std::pair<int, int64_t>{10, 32}, {4, 16}}) {
    auto broken = more_heads;
    broken[size_t(tensor)] = broken[size_t(tensor)].clone();
    broken[size_t(tensor)].narrow(1, slice, broken[size_t(tensor)].size(1) - slice).fill_(0.5);
    const auto error = (encoder_block().forward(x, broken, o) - before).abs().max().item<double>();
    EXPECT_GT(error, 1e-2) << "tensor " << tensor;
  }
  // Sizes that are not expansions are refused.
  EXPECT_THROW(encoder_block().grow(p, "mlp_dim", 32, o, init), Error);
  EXPECT_THROW(encoder_block().grow(p, "heads", 1, o, init), Error);
  EXPECT_THROW(encoder_block().grow(p, "width", 32, o, init), Error);
  EXPECT_THROW(component_kind("head").grow(p, "mlp_dim", 64, o, init), Error);
}

TEST(MunetGrowth, IdentityBlockPassesTokensThroughUntilTrained) {
  const auto o = testing::small_vit();
  TensorInit init(3);
  auto p = encoder_block().identity({o, 1, 0}, init);
  const auto x = random_tokens(o);
  EXPECT_TRUE(torch::equal(encoder_block().forward(x, p, o), x));
  p[10] = p[10] + 0.1;  // the MLP's output layer away from zero
  EXPECT_FALSE(torch::allclose(encoder_block().forward(x, p, o), x));
  EXPECT_THROW(component_kind("head").identity({o, 1, 0}, init), Error);
}

/// A population whose only mutations are the forced ones, growing blocks 0 and the layer count.
Population growing(std::vector<std::string> forced) {
  auto m = testing::forced_mutations_only();
  m.forced = std::move(forced);
  m.grow = {{"mlp_dim", {48, 64}}, {"heads", {3, 4}}, {"layers", {3}}};
  return Population(testing::small_vit(), HparamSpace::reference(2), m, 1);
}

/// Stands in for training: every trainable tensor moves, so no zero slice is left.
void perturb_all(const Path& path, uint64_t seed) {
  TensorInit noise(seed);
  for (auto& t : path.trainable()) t.add_(noise.normal(t.sizes().vec(), 0.1));
}

TEST(MunetGrowth, GrownChildComputesItsParentsFunctionAndCountsTheAddedParameters) {
  const std::vector<std::string> forced{"clone:encoder_norm", "clone:encoderblock_0", "grow:mlp_dim:encoderblock_0",
                                        "grow:heads:encoderblock_0", "grow:layers"};
  auto pop = growing(forced);
  Rng rng(4);
  auto quiet = testing::forced_mutations_only();
  Population plain(testing::small_vit(), HparamSpace::reference(2), quiet, 1);
  auto parent = plain.make_child(plain.root(), "a", 5, rng);
  perturb_all(*parent, 5);
  const auto x = torch::rand({4, 1, 32, 32});
  const auto before = parent->forward(x, pop.vit());
  auto child = pop.make_child(parent, "a", 5, rng);
  EXPECT_EQ(child->grown,
            (std::vector<std::string>{"heads:encoderblock_0:2->3", "mlp_dim:encoderblock_0:32->48", "layers:2->3"}));
  EXPECT_EQ(child->layers(), 3);
  const auto& grown = child->components.at("encoderblock_0")->tensors();
  EXPECT_EQ(encoder_block().size(grown, "mlp_dim", pop.vit()), 48);
  EXPECT_EQ(encoder_block().size(grown, "heads", pop.vit()), 3);
  // The block it did not own stays the parent's, shared and unchanged.
  EXPECT_EQ(child->components.at("encoderblock_1").get(), parent->components.at("encoderblock_1").get());
  expect_same_function(child->forward(x, pop.vit()), before);
  EXPECT_GT(total_params(*child), total_params(*parent));
  EXPECT_GT(path_flops(*child, pop.vit()), path_flops(*parent, pop.vit()));

  // A grandchild inherits the grown block (the width still fits) and grows it one value further.
  pop.add(child);
  auto grandchild = pop.make_child(child, "a", 5, rng);
  EXPECT_EQ(encoder_block().size(grandchild->components.at("encoderblock_0")->tensors(), "mlp_dim", pop.vit()), 64);
  EXPECT_EQ(encoder_block().size(grandchild->components.at("encoderblock_0")->tensors(), "heads", pop.vit()), 4);
  EXPECT_EQ(grandchild->layers(), 3);  // at the end of its list: no further layer
  EXPECT_EQ(grandchild->grown.size(), 2u);
  // Sharing a frozen grown block: after the task ends, a new task's child takes it by reference.
  pop.end_task("a", [](const Path&) { return 1.0; });
  Population sharing(testing::small_vit(), HparamSpace::reference(2), quiet, 1);
  auto other = sharing.make_child(child, "b", 3, rng);
  EXPECT_EQ(other->components.at("encoderblock_0").get(), child->components.at("encoderblock_0").get());
}

TEST(MunetGrowth, IdentityBlocksGoOnTopOfTheParentsLayersOnly) {
  // A child that lost a layer (hp:num_layers) does not get an identity block where its parent had a
  // trained one.
  auto pop = growing({"clone:encoder_norm", "hp:num_layers", "grow:layers"});
  Rng rng(6);
  int removed = 0, grown = 0;
  for (int i = 0; i < 20; ++i) {
    const auto child = pop.make_child(pop.root(), "a", 5, rng);
    if (child->layers() == 1) {
      ++removed;
      EXPECT_TRUE(child->grown.empty());
    } else {
      ++grown;
      EXPECT_EQ(child->layers(), 3);
      EXPECT_EQ(child->grown, (std::vector<std::string>{"layers:2->3"}));
    }
  }
  EXPECT_GT(removed, 0);
  EXPECT_GT(grown, 0);
}

TEST(MunetGrowth, GrowthListsAreChecked) {
  auto m = testing::forced_mutations_only();
  m.grow = {{"width", {32}}};
  EXPECT_THROW(m.validate(), Error);
  m.grow = {{"mlp_dim", {64, 48}}};
  EXPECT_THROW(m.validate(), Error);
  m.grow = {{"heads", {0, 4}}};
  EXPECT_THROW(m.validate(), Error);
  m.grow = {{"heads", {4}}, {"layers", {3, 4}}};
  EXPECT_NO_THROW(m.validate());
  m.kinds = {"clone", "hp"};  // lists for a mutation that is not in use
  EXPECT_THROW(m.validate(), Error);
}

TEST(MunetGrowth, WithoutListsNothingGrowsAndNoRandomnessIsUsed) {
  // The same children with and without the growth mutation registered in `kinds`: a run that does
  // not list sizes is the run it was before growth existed.
  auto with = testing::forced_mutations_only();
  with.probability = 0.3;
  auto without = with;
  without.kinds = {"add", "clone", "hp"};
  Population a(testing::small_vit(), HparamSpace::reference(2), with, 1);
  Population b(testing::small_vit(), HparamSpace::reference(2), without, 1);
  Rng ra(8), rb(8);
  for (int i = 0; i < 10; ++i) {
    const auto ca = a.make_child(a.root(), "t", 4, ra), cb = b.make_child(b.root(), "t", 4, rb);
    EXPECT_TRUE(ca->grown.empty());
    EXPECT_EQ(ca->hparams, cb->hparams);
    EXPECT_EQ(ca->rates.to_json(), cb->rates.to_json());
  }
}

}  // namespace
}  // namespace metaevo::munet
