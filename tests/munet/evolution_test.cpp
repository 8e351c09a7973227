#include "metaevo/munet/evolution.h"

#include <gtest/gtest.h>

#include "../support/munet_tasks.h"

namespace metaevo::munet {
namespace {

TEST(MunetEvolution, TaskIterationsKeepOnePathPerTaskAndNeverForget) {
  auto space = HparamSpace::reference(2);
  space.defaults["opt_lr"] = 0.05;
  Population pop(testing::small_vit(), space, {}, 3);
  const Scorer scorer({}, *pop.root(), pop.vit());
  TrainOptions train;
  train.batch_size = 32;
  train.validations = 2;
  train.batches_between_validations = 10;
  EvolutionOptions evolution;
  evolution.children = 3;
  auto a = testing::quadrants(256);
  auto b = testing::quadrants(256);
  b.name = "mirrored";
  for (auto* split : {&b.train, &b.valid, &b.test}) split->x = split->x.flip({3});
  const auto first = run_task_iteration(pop, a, scorer, evolution, train, 5, 0);
  EXPECT_EQ(first.children, 3);
  EXPECT_GE(first.kept, 1);  // the first child of a new task is always kept
  ASSERT_EQ(pop.paths("quadrants").size(), 1u);
  const auto kept = pop.paths("quadrants")[0];
  const auto before = kept->forward(a.test.x, pop.vit());
  const auto b1 = run_task_iteration(pop, b, scorer, evolution, train, 5, 1);
  const auto b2 = run_task_iteration(pop, b, scorer, evolution, train, 5, 2);
  EXPECT_EQ(pop.paths("mirrored").size(), 1u);
  // The retained path survives into the next iteration, and a child replaces it only by beating it.
  EXPECT_GE(b2.score, b1.score);
  EXPECT_TRUE(torch::equal(kept->forward(a.test.x, pop.vit()), before));
  EXPECT_GE(first.test_quality, 0.0);
  EXPECT_LE(first.test_quality, 1.0);
  EXPECT_LE(first.accounted_params, double(first.total_params));
}

TEST(MunetEvolution, HparamSpaceFollowsTheEvolutionOptions) {
  EvolutionOptions evolution;
  MutationOptions mutation;
  mutation.probability = 0.3;  // the list's top: every child mutates often
  for (const bool mutate : {true, false}) {
    evolution.mutate_num_layers = mutate;
    Population pop(testing::small_vit(), hparam_space(evolution, 2), mutation, 3);
    EXPECT_EQ(pop.root()->rates.base, 0.3);
    Rng rng(11);
    int changed = 0;
    for (int i = 0; i < 40; ++i) changed += pop.make_child(pop.root(), "t", 4, rng)->layers() != 2;
    if (mutate)
      EXPECT_GT(changed, 0);
    else
      EXPECT_EQ(changed, 0);
  }
  evolution.children = 0;
  EXPECT_THROW(hparam_space(evolution, 2), Error);
  mutation.probability = 1.5;
  EXPECT_THROW(Population(testing::small_vit(), hparam_space({}, 2), mutation, 3), Error);
  mutation.probability = 0.1;
  mutation.kinds = {"hp", "no-such-mutation"};
  EXPECT_THROW(Population(testing::small_vit(), hparam_space({}, 2), mutation, 3), Error);
}

}  // namespace
}  // namespace metaevo::munet
