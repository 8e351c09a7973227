#include "metaevo/munet/trainer.h"

#include <gtest/gtest.h>

#include "../support/munet_tasks.h"
#include "metaevo/munet/population.h"

namespace metaevo::munet {
namespace {

TEST(MunetTrainer, LearningRateSchedules) {
  Hparams h{{"opt_lr", 0.1}, {"opt_lr_schedule", "constant"}, {"opt_lr_warmup_ratio", 0.1}};
  EXPECT_DOUBLE_EQ(learning_rate(h, 7, 100, 20), 0.05);
  h["opt_lr_schedule"] = "cosine";
  EXPECT_DOUBLE_EQ(learning_rate(h, 0, 100, 20), 0.001);   // lr / 100
  EXPECT_NEAR(learning_rate(h, 10, 100, 20), 0.1, 1e-12);  // the peak after warmup
  EXPECT_LT(learning_rate(h, 99, 100, 20), 1e-3);
  h["opt_lr_schedule"] = "restarts";
  EXPECT_DOUBLE_EQ(learning_rate(h, 3, 100, 20), learning_rate(h, 23, 100, 20));
  EXPECT_DOUBLE_EQ(learning_rate(h, 20, 100, 20), 0.001);                       // a restart from lr / 100
  EXPECT_GT(learning_rate(h, 22, 100, 20), learning_rate(h, 19, 100, 20) * 5);  // back at the peak
}

TEST(MunetTrainer, TrainsOnlyTheTrainableComponentsAndKeepsTheBestValidation) {
  auto space = HparamSpace::reference(2);
  space.defaults["opt_lr"] = 0.05;
  // Everything cloned (trainable) but the last block, which stays the root's, shared and frozen.
  MutationOptions m;
  m.probability = 0;
  m.forced = {"clone:embedding", "clone:cls", "clone:posembed", "clone:encoderblock_0", "clone:encoder_norm"};
  Population pop(testing::small_vit(), space, m, 1);
  Rng rng(1);
  auto child = pop.make_child(pop.root(), "quadrants", 4, rng);
  ASSERT_EQ(child->components.at("encoderblock_1").get(), pop.root()->components.at("encoderblock_1").get());
  const auto frozen = pop.root()->components.at("encoderblock_1")->tensors()[2].clone();
  const auto cloned = child->components.at("encoderblock_0")->tensors()[2].clone();
  const auto task = testing::quadrants(512);
  TrainOptions o;
  o.batch_size = 32;
  o.validations = 4;
  o.batches_between_validations = 25;
  const auto result = train_path(
      *child, task, o, pop.vit(), [](const Path& p) { return p.quality; }, -std::numeric_limits<double>::infinity(), 7);
  EXPECT_TRUE(result.improved);
  EXPECT_GT(result.quality, 0.6) << "a zero head over frozen random features should still learn quadrants";
  EXPECT_DOUBLE_EQ(child->quality, result.quality);
  // The kept weights are the best validation's: measuring again gives the same accuracy.
  EXPECT_DOUBLE_EQ(evaluate(*child, task.valid, pop.vit(), o.batch_size, o.validation_batches), result.quality);
  EXPECT_TRUE(torch::equal(pop.root()->components.at("encoderblock_1")->tensors()[2], frozen));
  EXPECT_FALSE(torch::equal(child->components.at("encoderblock_0")->tensors()[2], cloned));
  // A bar above any reachable score: the child trains but does not improve on it.
  auto again = pop.make_child(pop.root(), "quadrants", 4, rng);
  EXPECT_FALSE(train_path(
                   *again, task, o, pop.vit(), [](const Path& p) { return p.quality; }, 2.0, 7)
                   .improved);
}

TEST(MunetTrainer, SameSeedSameWeights) {
  auto space = HparamSpace::reference(2);
  space.defaults["ds_flip_left_right"] = true;
  space.defaults["ds_area_range_min"] = 0.5;
  const auto task = testing::quadrants(128);
  TrainOptions o;
  o.batch_size = 16;
  o.validations = 2;
  o.batches_between_validations = 5;
  std::vector<torch::Tensor> heads;
  for (int run = 0; run < 2; ++run) {
    Population pop(testing::small_vit(), space, testing::forced_mutations_only(), 1);
    Rng rng(1);
    auto child = pop.make_child(pop.root(), "quadrants", 4, rng);
    train_path(
        *child, task, o, pop.vit(), [](const Path& p) { return p.quality; }, 0, 3);
    heads.push_back(child->components.at("head")->tensors()[0].clone());
  }
  EXPECT_TRUE(torch::equal(heads[0], heads[1]));
}

TEST(MunetTrainer, TiesCountOnlyWithAcceptTies) {
  auto space = HparamSpace::reference(2);
  const auto task = testing::quadrants(128);
  TrainOptions o;
  o.batch_size = 16;
  o.validations = 3;
  o.batches_between_validations = 5;
  // Every validation scores the same, so each is a tie with the bar and with the best so far.
  const auto flat = [](const Path&) { return 0.5; };
  std::vector<torch::Tensor> heads;
  for (const bool ties : {false, true}) {
    o.accept_ties = ties;
    Population pop(testing::small_vit(), space, testing::forced_mutations_only(), 1);
    Rng rng(1);
    auto child = pop.make_child(pop.root(), "quadrants", 4, rng);
    EXPECT_EQ(train_path(*child, task, o, pop.vit(), flat, 0.5, 3).improved, ties);
    heads.push_back(child->components.at("head")->tensors()[0].clone());
  }
  // `>` keeps the first validation's weights, `>=` the last one's.
  EXPECT_FALSE(torch::equal(heads[0], heads[1]));
}

}  // namespace
}  // namespace metaevo::munet
