#include "metaevo/munet/grow.h"

#include <gtest/gtest.h>

#include "../support/archives.h"
#include "../support/errors.h"
#include "../support/toy_dataset.h"
#include "metaevo/data/datasets.h"

namespace metaevo::munet {
namespace {

models::TransformerOptions quadrant_vit() {
  models::TransformerOptions o;
  o.image_size = 32, o.patch = 8, o.channels = 1, o.outputs = 4;
  o.hidden = 16, o.heads = 2, o.key_dim = 8, o.value_dim = 8, o.mlp_dim = 32, o.layers = 1;
  return o;
}

GrowOptions short_training(int64_t steps) {
  GrowOptions o;
  o.steps = steps, o.batch_size = 32, o.eval_every = 4;
  o.optimizer = Choice("adam", {{"lr", 0.003}});
  return o;
}

std::vector<GrowthPoint> two_points() {
  return {{6, {{"mlp_dim", 48}, {"hidden", 24}}}, {10, {{"heads", 3}, {"layers", 2}}}};
}

data::Splits quadrants() { return data::load_dataset("quadrants", {}); }

void expect_same_model(const GrowthTrainer& a, const GrowthTrainer& b) {
  const auto x = a.model().tensors().named(), y = b.model().tensors().named();
  ASSERT_EQ(x.size(), y.size());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_EQ(x[i].first, y[i].first);
    EXPECT_TRUE(torch::equal(*x[i].second, *y[i].second)) << x[i].first;
  }
}

TEST(GrowthTrainer, GrowsOnScheduleAndCountsFlops) {
  GrowthTrainer t(quadrant_vit(), short_training(12), two_points(), quadrants(), 1);
  double flops_before = 0;
  while (!t.done()) {
    const double before = t.train_flops();
    t.train_step();
    if (t.step() == 6) flops_before = t.train_flops() - before;  // step 5, the last small one
  }
  const auto& o = t.model().options();
  EXPECT_EQ(o.mlp_dim, 48);
  EXPECT_EQ(o.hidden, 24);
  EXPECT_EQ(o.heads, 3);
  EXPECT_EQ(o.layers, 2);
  ASSERT_EQ(t.growth_log().size(), 2u);
  EXPECT_EQ(t.growth_log()[0]["step"], 6);
  EXPECT_EQ(t.growth_log()[1]["applied"].size(), 2u);  // heads, then one layer
  EXPECT_GT(t.growth_log()[0]["parameters"].get<int64_t>(), t.growth_log()[0]["parameters_before"].get<int64_t>());
  EXPECT_DOUBLE_EQ(flops_before, 3 * 32 * models::Transformer(quadrant_vit(), 0).flops_per_example());
  EXPECT_GT(t.evaluate("valid")["accuracy"].get<double>(), 0.25);
  EXPECT_THROW(t.evaluate("validation"), Error);
}

TEST(GrowthTrainer, AFlopsBudgetEndsTrainingOnceSpent) {
  auto o = short_training(12);
  const double small_step = 3 * 32 * models::Transformer(quadrant_vit(), 0).flops_per_example();
  o.flops = 7.5 * small_step;  // steps 1-6 are small, then grown ones pass the budget
  GrowthTrainer t(quadrant_vit(), o, two_points(), quadrants(), 1);
  double before_last = 0;
  while (!t.done()) {
    before_last = t.train_flops();
    t.train_step();
  }
  EXPECT_GT(t.step(), 6);
  EXPECT_LT(t.step(), 12);
  EXPECT_LT(before_last, o.flops);  // the last step was the one that spent the budget
  EXPECT_GE(t.train_flops(), o.flops);
  o.flops = -1;
  EXPECT_THROW(o.validate(), Error);
}

TEST(GrowthTrainer, ResumeAcrossAnExpansionIsBitwiseTheUninterruptedRun) {
  GrowthTrainer whole(quadrant_vit(), short_training(12), two_points(), quadrants(), 2);
  while (!whole.done()) whole.train_step();

  GrowthTrainer killed(quadrant_vit(), short_training(12), two_points(), quadrants(), 2);
  std::string checkpoint;
  while (killed.step() < 8) {  // through the expansion at step 6, killed before the checkpoint of step 8
    killed.train_step();
    if (killed.step() == 4) checkpoint = testing::saved_bytes(killed);
  }
  GrowthTrainer resumed(quadrant_vit(), short_training(12), two_points(), quadrants(), 2);
  testing::load_saved(resumed, checkpoint);
  EXPECT_EQ(resumed.step(), 4);
  while (!resumed.done()) resumed.train_step();
  expect_same_model(whole, resumed);
  EXPECT_EQ(whole.growth_log(), resumed.growth_log());
  EXPECT_EQ(whole.train_flops(), resumed.train_flops());

  // A checkpoint taken after an expansion holds the grown model and moments.
  GrowthTrainer late(quadrant_vit(), short_training(12), two_points(), quadrants(), 2);
  while (late.step() < 8) late.train_step();
  GrowthTrainer from_late(quadrant_vit(), short_training(12), two_points(), quadrants(), 2);
  testing::load_saved(from_late, testing::saved_bytes(late));
  EXPECT_EQ(from_late.model().options().hidden, 24);
  while (!from_late.done()) from_late.train_step();
  expect_same_model(whole, from_late);
}

TEST(GrowthTrainer, ExpansionKeepsTheLossAndTrainingGoesOnWithoutASpike) {
  // One expansion of every kind at step 40 (function-preserving); the loss on the training set must
  // not rise after it by more than it moves between steps before it.
  const std::vector<GrowthPoint> all = {
      {40, {{"mlp_dim", 48}, {"heads", 3}, {"value_dim", 12}, {"key_dim", 12}, {"hidden", 24}, {"layers", 2}}}};
  GrowthTrainer t(quadrant_vit(), short_training(50), all, quadrants(), 3);
  std::vector<double> losses;  // training-set loss after each step
  while (t.step() < 40) {
    t.train_step();
    losses.push_back(t.evaluate("train")["loss"].get<double>());
  }
  double noise = 0;
  for (size_t i = 30; i < losses.size(); ++i) noise = std::max(noise, std::abs(losses[i] - losses[i - 1]));
  const double before = losses.back();
  while (!t.done()) {
    t.train_step();
    EXPECT_LE(t.evaluate("train")["loss"].get<double>(), before + noise) << "after step " << t.step();
  }
  EXPECT_EQ(t.growth_log()[0]["applied"].size(), 6u);
}

TEST(GrowthSchedule, BadSchedulesAndSizesAreOneLineErrors) {
  auto read = [](const std::string& yaml) { return read_schedule(Config::parse(yaml, "grow.yaml"), "schedule", 100); };
  EXPECT_EQ(read("schedule: [{at: 10, hidden: 32}, {at: 20, layers: 3}]").size(), 2u);
  EXPECT_EQ(testing::error_of([&] { read("schedule: [{at: 20, hidden: 32}, {at: 20, layers: 3}]"); }),
            "grow.yaml: schedule[1].at: steps must increase, got 20 after 20");
  EXPECT_EQ(testing::error_of([&] { read("schedule: [{at: 100, hidden: 32}]"); }),
            "grow.yaml: schedule[0].at: must be within 1..99 (the training steps), got 100");
  EXPECT_NE(testing::error_of([&] { read("schedule: [{at: 5, width: 32}]"); }).find("unknown size 'width'"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { read("schedule: [{at: 5, hidden: 3.5}]"); }).find("hidden: must be an integer"),
            std::string::npos);
  EXPECT_NE(testing::error_of([&] { read("schedule: [{at: 5}]"); }).find("names no size to grow"), std::string::npos);

  // Sizes that are not expansions are refused before training, naming the step.
  EXPECT_EQ(testing::error_of([&] {
              GrowthTrainer(quadrant_vit(), short_training(12), {{3, {{"hidden", 8}}}}, quadrants(), 1);
            }),
            "schedule at step 3: hidden: 8 is not an expansion of 16 (the function-preserving expansions only grow)");
  auto lm = quadrant_vit();
  lm.kind = "causal_lm";
  EXPECT_NE(testing::error_of([&] {
              GrowthTrainer(lm, short_training(12), {}, quadrants(), 1);
            }).find("kind: grow trains the vit"),
            std::string::npos);
  auto small = quadrant_vit();
  small.image_size = 16;
  EXPECT_NE(testing::error_of([&] {
              GrowthTrainer(small, short_training(12), {}, quadrants(), 1);
            }).find("image_size: the model takes [1, 16, 16] images"),
            std::string::npos);
}

}  // namespace
}  // namespace metaevo::munet
