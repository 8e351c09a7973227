#include "metaevo/models/transformer.h"

#include <gtest/gtest.h>

#include "../support/errors.h"
#include "../support/transformers.h"

namespace metaevo::models {
namespace {

using testing::small_transformer;

TEST(Transformer, VitGivesLogitsPerImage) {
  const auto o = small_transformer("vit");
  const Transformer m(o, 1);
  EXPECT_EQ(m.forward(testing::transformer_input(o, 2)).sizes(), (std::vector<int64_t>{3, o.outputs}));
  EXPECT_EQ(o.positions(), 10);  // 3x3 patches and the class token
}

TEST(Transformer, CausalModelSeesNoFutureToken) {
  const auto o = small_transformer("causal_lm");
  const auto m = testing::random_transformer(o, 3);
  auto tokens = testing::transformer_input(o, 4);
  const auto before = m.forward(tokens);
  EXPECT_EQ(before.sizes(), (std::vector<int64_t>{3, o.context, o.vocab}));
  tokens.select(1, 5).fill_(0);
  tokens.select(1, 6).fill_(1);
  const auto after = m.forward(tokens);
  EXPECT_TRUE(torch::equal(before.slice(1, 0, 5), after.slice(1, 0, 5)));
  EXPECT_FALSE(torch::allclose(before.slice(1, 5), after.slice(1, 5)));
  // A shorter sequence gives the same logits for its positions.
  EXPECT_LT(testing::relative_error(after.slice(1, 0, 4), m.forward(tokens.slice(1, 0, 4))), 1e-5);
}

TEST(Transformer, SameSeedSameWeightsAndCountsParameters) {
  const auto o = small_transformer("vit", "layer");
  const Transformer a(o, 5), b(o, 5), c(o, 6);
  const auto x = testing::transformer_input(o, 1);
  EXPECT_TRUE(torch::equal(a.forward(x), b.forward(x)));
  EXPECT_FALSE(torch::equal(a.tensors().layers[0].wq, c.tensors().layers[0].wq));
  const int64_t h = o.hidden, layer = 4 * h + 2 * o.heads * h * o.key_dim + 2 * o.heads * h * o.value_dim +
                                      2 * h * o.mlp_dim + o.mlp_dim + h;
  EXPECT_EQ(a.parameter_count(),
            o.input_dim() * h + h + o.positions() * h + o.layers * layer + 2 * h + h * o.outputs + o.outputs);
}

TEST(Transformer, NamesEveryTensorOnceAndFindsSlots) {
  Transformer m(small_transformer("causal_lm"), 1);
  const auto named = m.tensors().named();
  EXPECT_EQ(named.front().first, "embed");
  EXPECT_EQ(named.back().first, "out_b");
  EXPECT_EQ(named.size(), 2 + 2 * 10 + 3u);  // no cls, no norm biases with RMSNorm
  EXPECT_FALSE(m.tensors().at("layers.1.norm1_bias").defined());
  EXPECT_EQ(&m.tensors().at("layers.1.w2"), &m.tensors().layers[1].w2);
  EXPECT_NE(testing::error_of([&] { m.tensors().at("layers.9.w2"); }).find("no tensor 'layers.9.w2'"),
            std::string::npos);
}

TEST(Transformer, BadOptionsAndInputsAreOneLineErrors) {
  auto o = small_transformer("vit");
  o.norm = "batch";
  EXPECT_EQ(testing::error_of([&] { o.validate(); }), "norm: must be rms or layer, got 'batch'");
  o = small_transformer("vit");
  o.image_size = 10;
  EXPECT_NE(testing::error_of([&] { o.validate(); }).find("image_size: must be a positive multiple of patch"),
            std::string::npos);
  const auto lm = small_transformer("causal_lm");
  const Transformer m(lm, 1);
  EXPECT_NE(testing::error_of([&] {
              m.forward(torch::zeros({2, lm.context + 1}, torch::kLong));
            }).find("token ids [B, T] with 1 <= T <= 9"),
            std::string::npos);
}

}  // namespace
}  // namespace metaevo::models
