#include "metaevo/munet/expansions.h"

#include <gtest/gtest.h>

#include "../support/errors.h"
#include "../support/transformers.h"
#include "metaevo/core/random_stream.h"

namespace metaevo::munet {
namespace {

using models::Transformer;
using testing::relative_error;

// Free entries far from zero: an expansion that relied on them being small would show.
const FreeInit kLarge = normal_init(77, 10.0);
constexpr double kExact = 1e-5, kBroken = 1e-3;

/// The six expansions, each one size up from the model's.
std::vector<Expansion> one_of_each(const Transformer& m) {
  const auto& o = m.options();
  return {mlp_expansion(m, o.mlp_dim + 7),       head_addition(m, o.heads + 2),     heads_expansion(m, o.value_dim + 3),
          attention_expansion(m, o.key_dim + 5), hidden_expansion(m, o.hidden + 6), layer_addition(m, 1)};
}

/// The model with constraint `g` of an applied expansion undone: its zero entries filled with
/// large values, or its old block's scale removed.
Transformer break_constraint(const Transformer& grown, const TensorGrowth& g) {
  Transformer broken = grown;
  auto& t = broken.tensors().at(g.name);
  t = t.clone();
  auto old = t;
  for (size_t d = 0; d < g.old_shape.size(); ++d) old = old.narrow(int64_t(d), 0, g.old_shape[d]);
  if (g.scale != 1) {
    old.div_(g.scale);
  } else {
    auto noise = kLarge(g.name + "/broken", g.shape);
    if (!g.old_shape.empty()) {
      auto keep = noise;
      for (size_t d = 0; d < g.old_shape.size(); ++d) keep = keep.narrow(int64_t(d), 0, g.old_shape[d]);
      keep.zero_();
    }
    t.add_(noise);
  }
  return broken;
}

class Expansions : public ::testing::TestWithParam<std::string> {};

TEST_P(Expansions, EachPreservesTheFunctionAndEachConstraintIsNeeded) {
  const auto o = testing::small_transformer(GetParam());
  const auto model = testing::random_transformer(o, 1);
  const auto x = testing::transformer_input(o, 2);
  const auto y = model.forward(x);
  for (const auto& e : one_of_each(model)) {
    SCOPED_TRACE(e.what);
    Transformer grown = model;
    apply(e, grown, kLarge);
    EXPECT_EQ(grown.options().layers, int64_t(grown.tensors().layers.size()));
    EXPECT_GT(grown.parameter_count(), model.parameter_count());
    EXPECT_LT(relative_error(y, grown.forward(x)), kExact);
    int constraints = 0;
    for (const auto& g : e.tensors) {
      if (!g.constrained()) continue;
      ++constraints;
      EXPECT_GT(relative_error(y, break_constraint(grown, g).forward(x)), kBroken) << "constraint on " << g.name;
    }
    EXPECT_GT(constraints, 0);
  }
}

TEST_P(Expansions, AllSixComposedInRandomOrderAndSizes) {
  const auto o = testing::small_transformer(GetParam());
  for (uint64_t seed = 0; seed < 4; ++seed) {
    SCOPED_TRACE(seed);
    RandomStream draw(seed);
    Transformer m = testing::random_transformer(o, 10 + seed);
    const auto x = testing::transformer_input(o, seed);
    const auto y = m.forward(x);
    const auto order = permutation(6, draw);
    for (int64_t which : order) {
      const auto& now = m.options();
      const int64_t more = 1 + int64_t(draw.below(6));
      Expansion e;
      switch (which) {
        case 0:
          e = mlp_expansion(m, now.mlp_dim + more);
          break;
        case 1:
          e = head_addition(m, now.heads + more);
          break;
        case 2:
          e = heads_expansion(m, now.value_dim + more);
          break;
        case 3:
          e = attention_expansion(m, now.key_dim + more);
          break;
        case 4:
          e = hidden_expansion(m, now.hidden + more);
          break;
        default:
          e = layer_addition(m, int64_t(draw.below(uint64_t(now.layers) + 1)));
          break;
      }
      apply(e, m, normal_init(seed * 10 + uint64_t(which), 10.0));
    }
    EXPECT_LT(relative_error(y, m.forward(x)), kExact);
  }
}

INSTANTIATE_TEST_SUITE_P(BothFrontEnds, Expansions, ::testing::Values("vit", "causal_lm"));

TEST(ExpansionsWithLayerNorm, AllButTheHiddenExpansionAreExactAndTheHiddenOneIsRefused) {
  const auto o = testing::small_transformer("vit", "layer");
  const auto model = testing::random_transformer(o, 3);
  const auto x = testing::transformer_input(o, 4);
  const auto y = model.forward(x);
  for (const auto& e : {mlp_expansion(model, 20), head_addition(model, 3), heads_expansion(model, 6),
                        attention_expansion(model, 8), layer_addition(model, 0)}) {
    Transformer grown = model;
    apply(e, grown, kLarge);
    EXPECT_LT(relative_error(y, grown.forward(x)), kExact) << e.what;
  }
  EXPECT_EQ(testing::error_of([&] { hidden_expansion(model, 16); }),
            "hidden: the hidden-dimension expansion is not function-preserving with norm: layer (the zero-padded "
            "features change LayerNorm's mean and variance); use norm: rms");
}

TEST(ExpansionPlans, SizesThatAreNotExpansionsAreRefused) {
  const Transformer m(testing::small_transformer("vit"), 1);
  EXPECT_EQ(testing::error_of([&] { mlp_expansion(m, 16); }),
            "mlp_dim: 16 is not an expansion of 16 (the function-preserving expansions only grow)");
  EXPECT_NE(testing::error_of([&] { head_addition(m, 1); }).find("heads: 1 is not an expansion of 2"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { layer_addition(m, 3); }).find("layers: a new layer goes at a depth in 0..2"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { plan_expansion(m, "width", 30); }).find("unknown size 'width'"), std::string::npos);
}

TEST(ExpansionPlans, LayersByCountAddOnTop) {
  const auto o = testing::small_transformer("causal_lm");
  Transformer m = testing::random_transformer(o, 5);
  const auto x = testing::transformer_input(o, 6);
  const auto y = m.forward(x);
  const auto plan = plan_expansion(m, "layers", 4);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].insert_layer, 2);
  EXPECT_EQ(plan[1].insert_layer, 3);
  for (const auto& e : plan) apply(e, m, fresh_init(9));
  EXPECT_EQ(m.tensors().layers.size(), 4u);
  EXPECT_TRUE(torch::equal(m.tensors().layers[3].norm1_gain, torch::ones({o.hidden})));
  EXPECT_LT(relative_error(y, m.forward(x)), kExact);
}

TEST(ExpansionMoments, NewEntriesStartAtZeroAndRescaledBlocksFollowTheirGradients) {
  const auto o = testing::small_transformer("vit");
  Transformer m = testing::random_transformer(o, 7);
  auto first = m.tensors().zeros_like(), second = m.tensors().zeros_like();
  for (auto& [name, t] : first.named()) t->fill_(2.0);
  for (auto& [name, t] : second.named()) t->fill_(4.0);
  const auto e = attention_expansion(m, 9);  // W_K times sqrt(9/4) = 1.5
  apply(e, m, kLarge);
  apply(e, first, Moment::first);
  apply(e, second, Moment::second);
  for (const auto& [name, t] : m.tensors().named()) EXPECT_EQ(t->sizes(), first.at(name).sizes()) << name;
  const auto& wk1 = first.layers[0].wk;
  EXPECT_TRUE(torch::allclose(wk1.narrow(2, 0, 4), torch::full({2, 12, 4}, 2.0 / 1.5)));
  EXPECT_TRUE(torch::equal(wk1.narrow(2, 4, 5), torch::zeros({2, 12, 5})));
  EXPECT_TRUE(torch::allclose(second.layers[1].wk.narrow(2, 0, 4), torch::full({2, 12, 4}, 4.0 / 2.25)));
  EXPECT_TRUE(torch::equal(second.layers[1].wq.narrow(2, 0, 4), torch::full({2, 12, 4}, 4.0)));
  EXPECT_TRUE(torch::equal(second.layers[1].wq.narrow(2, 4, 5), torch::zeros({2, 12, 5})));
  // A layer addition inserts zero moments at the same depth as the model's new layer.
  const auto add = layer_addition(m, 1);
  apply(add, m, kLarge);
  apply(add, first, Moment::first);
  EXPECT_TRUE(torch::equal(first.layers[1].w1, torch::zeros({12, 16})));
  EXPECT_TRUE(torch::equal(first.layers[2].w1, torch::full({12, 16}, 2.0)));
}

}  // namespace
}  // namespace metaevo::munet
