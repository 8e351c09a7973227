// The multipath model: it starts exactly as its main path, trains only its router and connectors,
// its gradients are the reference's straight-through surrogate's, saved tensors rebuild it, and
// bad settings are one-line errors.
#include "metaevo/munet/multipath/multipath.h"

#include <gtest/gtest.h>

#include "../../support/errors.h"
#include "../../support/munet_tasks.h"
#include "metaevo/munet/population.h"

namespace metaevo::munet {
namespace {

namespace F = torch::nn::functional;

TrainOptions multipath_training() {
  TrainOptions t;
  t.batch_size = 32;
  t.validations = 2;
  t.batches_between_validations = 10;
  t.validation_batches = 2;
  return t;
}

/// A system of two finished tasks: "quadrants" (trained) and "other" (3 classes), every component
/// locked, as published paths are.
struct MultipathSystem {
  Population pop{testing::small_vit(), HparamSpace::reference(2), testing::forced_mutations_only(), 1};
  data::Splits task = testing::quadrants(512);
  PathPtr main, other;
  MultipathSystem() {
    Rng rng(2);
    main = pop.make_child(pop.root(), "quadrants", 4, rng);
    other = pop.make_child(pop.root(), "other", 3, rng);
    const auto quality = [](const Path& p) { return p.quality; };
    train_path(*main, task, multipath_training(), pop.vit(), quality, -1, 3);
    for (const auto& p : {main, other})
      for (auto& [name, c] : p->components) c->lock(p->task);
  }
  MultipathModel model(MultipathOptions o = {}) const {
    return MultipathModel("quadrants", {main, other}, o, pop.vit());
  }
};

std::vector<torch::Tensor> every_path_tensor(const MultipathModel& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.paths())
    for (const auto& [name, c] : p->components)
      for (const auto& t : c->tensors()) out.push_back(t.clone());
  return out;
}

TEST(Multipath, StartsExactlyAsItsMainPath) {
  const MultipathSystem s;
  const auto m = s.model();
  const auto& x = s.task.test.x;
  const auto main_logits = s.main->forward(x, s.pop.vit());
  ASSERT_GT(main_logits.abs().max().item<double>(), 0) << "the main path should have been trained";
  torch::NoGradGuard no_grad;
  const auto out = m.forward(x);
  EXPECT_TRUE(torch::equal(out.argmax(1), main_logits.argmax(1)));
  EXPECT_TRUE(torch::allclose(out, 0.8 * main_logits, 1e-5, 1e-6));
  EXPECT_EQ(evaluate(m, s.task.test, 64), evaluate(*s.main, s.task.test, s.pop.vit(), 64));
  const auto w = m.router_weights(x);
  EXPECT_TRUE(torch::allclose(w.select(1, 0), torch::full({x.size(0)}, 0.8), 0, 1e-6));
}

TEST(Multipath, TrainingMovesOnlyTheRouterAndTheConnectors) {
  const MultipathSystem s;
  auto m = s.model();
  const auto paths_before = every_path_tensor(m);
  std::vector<torch::Tensor> mine_before;
  for (const auto& t : m.trainable()) mine_before.push_back(t.clone());
  train_multipath(m, s.task, multipath_training(), -1, 4);
  const auto paths_after = every_path_tensor(m);
  ASSERT_EQ(paths_before.size(), paths_after.size());
  for (size_t i = 0; i < paths_before.size(); ++i)
    EXPECT_TRUE(torch::equal(paths_before[i], paths_after[i])) << "frozen tensor " << i << " changed";
  const auto mine = m.trainable();
  ASSERT_EQ(mine.size(), 6u);
  // The router's Dense and each connector move; the LayerNorm's scale gets its first gradient only
  // once the Dense kernel has left zero, and in a short run its steps are below float32's resolution
  // at 1.
  for (size_t i = 2; i < mine.size(); ++i)
    EXPECT_FALSE(torch::equal(mine[i], mine_before[i])) << "trainable tensor " << i << " never moved";
  EXPECT_GT(m.quality, 0);
  EXPECT_EQ(m.trained_params(), 4 + 4 + 2 * 4 + 2 + 4 * 16 + 4);
}

TEST(Multipath, GradientsAreTheStraightThroughSurrogates) {
  const MultipathSystem s;
  MultipathOptions o;
  o.router_lr_mult = 0.1;
  // Away from the zero start, so that every gradient is non-trivial.
  torch::manual_seed(0);
  Params random;
  for (const auto& t : s.model(o).trainable()) random.push_back(torch::randn(t.sizes()) * 0.5);
  const MultipathModel m("quadrants", {s.main, s.other}, o, s.pop.vit(), random);
  const auto x = s.task.train.x.narrow(0, 0, 16);
  const auto y = s.task.train.y.narrow(0, 0, 16);
  auto mine = m.trainable();
  for (auto& t : mine) t.requires_grad_(true);
  F::cross_entropy(m.forward(x), y).backward();

  // The surrogate, written out: the mixture's value, each path's logits with an unweighted
  // gradient, and the router's weights with lr_mult times their gradient.
  Params leaf;
  for (const auto& t : random) leaf.push_back(t.clone().requires_grad_(true));
  const auto logits0 = s.main->forward(x, s.pop.vit()).detach();
  const auto features = vit_features(x, s.other->components, s.other->layers(), s.pop.vit()).detach();
  const auto w = torch::softmax(F::linear(torch::layer_norm(logits0, {4}, leaf[0], leaf[1], 1e-6), leaf[2], leaf[3]),
                                -1);  // [B, 2]
  const auto logits1 = F::linear(features, leaf[4], leaf[5]);
  const auto wd = w.detach();
  const auto mixture = wd.narrow(1, 0, 1) * logits0 + wd.narrow(1, 1, 1) * logits1.detach();
  const auto through_w = (w - wd).narrow(1, 0, 1) * logits0 + (w - wd).narrow(1, 1, 1) * logits1.detach();
  const auto surrogate = mixture + (logits1 - logits1.detach()) + o.router_lr_mult * through_w;
  EXPECT_TRUE(torch::allclose(surrogate, m.forward(x), 1e-5, 1e-6));
  F::cross_entropy(surrogate, y).backward();
  for (size_t i = 0; i < mine.size(); ++i) {
    ASSERT_TRUE(mine[i].grad().defined()) << "tensor " << i;
    EXPECT_TRUE(torch::allclose(mine[i].grad(), leaf[i].grad(), 1e-4, 1e-7))
        << "tensor " << i << ": " << mine[i].grad() << " vs " << leaf[i].grad();
  }
  EXPECT_GT(mine[4].grad().abs().sum().item<double>(), 0);
}

TEST(Multipath, SavedTensorsRebuildTheSameModel) {
  const MultipathSystem s;
  auto m = s.model();
  train_multipath(m, s.task, multipath_training(), -1, 5);
  const MultipathModel back("quadrants", {s.main, s.other}, {}, s.pop.vit(), m.trainable());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(back.forward(s.task.test.x), m.forward(s.task.test.x)));
}

TEST(Multipath, BadSettingsAreOneLineErrors) {
  const MultipathSystem s;
  MultipathOptions one;
  one.num_paths = 1;
  EXPECT_NE(testing::error_of([&] { s.model(one); }).find("num_paths: must be >= 2"), std::string::npos);
  MultipathOptions three;
  three.num_paths = 3;
  EXPECT_NE(testing::error_of([&] { s.model(three); }).find("2 paths given, num_paths is 3"), std::string::npos);
  MultipathOptions lr;
  lr.router_lr_mult = 0;
  EXPECT_NE(testing::error_of([&] { s.model(lr); }).find("router_lr_mult"), std::string::npos);
  const auto o = MultipathOptions{};
  EXPECT_NE(testing::error_of([&] {
              MultipathModel("quadrants", {s.other, s.main}, o, s.pop.vit());
            }).find("is a path of 'other'"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              MultipathModel("quadrants", {s.main, s.main}, o, s.pop.vit());
            }).find("attached twice"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] {
              MultipathModel("quadrants", {s.main, nullptr}, o, s.pop.vit());
            }).find("a path is missing"),
            std::string::npos);
  auto bad = s.model().trainable();
  bad[2] = torch::zeros({3, 4});
  EXPECT_NE(testing::error_of([&] {
              MultipathModel("quadrants", {s.main, s.other}, o, s.pop.vit(), bad);
            }).find("saved tensor 2 is [3, 4], expected [2, 4]"),
            std::string::npos);
}

}  // namespace
}  // namespace metaevo::munet
