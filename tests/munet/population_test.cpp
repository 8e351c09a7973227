#include "metaevo/munet/population.h"

#include <gtest/gtest.h>

#include <set>

#include "../support/munet_tasks.h"

namespace metaevo::munet {
namespace {

/// A population whose mutations fire only when forced.
Population quiet(std::vector<std::string> forced = {"clone:encoder_norm"}) {
  auto m = testing::forced_mutations_only();
  m.forced = std::move(forced);
  return Population(testing::small_vit(), HparamSpace::reference(2), m, 1);
}

torch::Tensor images() { return torch::rand({4, 1, 32, 32}, torch::TensorOptions().dtype(torch::kFloat32)); }

/// Stands in for training: one SGD step on the trainable tensors of `path`.
void perturb(const Path& path, const torch::Tensor& x, const VitOptions& o) {
  for (auto& t : path.trainable()) t.requires_grad_(true);
  const auto loss = path.forward(x, o).pow(2).sum() + [&] {
    torch::Tensor s = torch::zeros({});
    for (auto& t : path.trainable()) s = s + t.sum();
    return s;
  }();
  loss.backward();
  torch::NoGradGuard no_grad;
  for (auto& t : path.trainable()) {
    t.sub_(0.1 * t.grad());
    t.mutable_grad() = torch::Tensor();
    t.requires_grad_(false);
  }
}

TEST(MunetPopulation, NewTaskGetsAZeroHeadOverTheParentsFeatures) {
  auto pop = quiet();
  Rng rng(1);
  auto child = pop.make_child(pop.root(), "a", 10, rng);
  const auto logits = child->forward(images(), pop.vit());
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{4, 10}));
  EXPECT_TRUE(torch::equal(logits, torch::zeros_like(logits)));
  // Everything but the head and the force-cloned norm is the root's own component, shared.
  for (const auto& [name, c] : child->components)
    if (name != "head" && name != "encoder_norm") {
      EXPECT_EQ(c.get(), pop.root()->components.at(name).get()) << name;
    }
  EXPECT_NE(child->components.at("encoder_norm").get(), pop.root()->components.at("encoder_norm").get());
}

TEST(MunetPopulation, AdapterInsertionLeavesTheFunctionUnchanged) {
  auto pop = quiet();
  Rng rng(2);
  auto parent = pop.make_child(pop.root(), "a", 5, rng);
  const auto x = images();
  perturb(*parent, x, pop.vit());  // a non-zero head, so the comparison means something
  auto adding = quiet({"clone:encoder_norm", "add:residual_adapter_0", "add:residual_adapter_1"});
  auto child = adding.make_child(parent, "a", 5, rng);
  ASSERT_TRUE(child->components.count("residual_adapter_0"));
  ASSERT_TRUE(child->components.count("residual_adapter_1"));
  const auto before = parent->forward(x, pop.vit());
  EXPECT_FALSE(torch::equal(before, torch::zeros_like(before)));
  EXPECT_TRUE(torch::equal(child->forward(x, pop.vit()), before));
  // Training the adapter then changes the function: the zero output layer was the only reason.
  perturb(*child, x, pop.vit());
  EXPECT_FALSE(torch::equal(child->forward(x, pop.vit()), before));
}

TEST(MunetPopulation, ClonesAreIndependentCopies) {
  auto pop = quiet({"clone:encoder_norm", "clone:encoderblock_0"});
  Rng rng(3);
  auto child = pop.make_child(pop.root(), "a", 3, rng);
  const auto& original = pop.root()->components.at("encoderblock_0");
  const auto& copy = child->components.at("encoderblock_0");
  ASSERT_NE(original.get(), copy.get());
  EXPECT_NE(original->id(), copy->id());
  EXPECT_TRUE(copy->trainable());
  EXPECT_FALSE(original->trainable());
  for (size_t i = 0; i < copy->tensors().size(); ++i)
    EXPECT_TRUE(torch::equal(copy->tensors()[i], original->tensors()[i]));
  const auto kept = original->tensors()[2].clone();
  copy->tensors()[2].add_(1.0);
  EXPECT_TRUE(torch::equal(original->tensors()[2], kept));
}

TEST(MunetPopulation, AccountedParametersFollowSharing) {
  auto pop = quiet();
  Rng rng(4);
  auto a = pop.make_child(pop.root(), "a", 4, rng);
  pop.add(a);
  // Root components count whole for the one task using them.
  EXPECT_DOUBLE_EQ(accounted_params(*a), double(total_params(*a)));
  pop.end_task("a", [](const Path& p) { return p.quality; });
  // Ending task a locks every component of its path to a, the root's blocks it uses included:
  // from now on those are split between a and any later task that shares them.
  auto b = pop.make_child(a, "b", 4, rng);
  EXPECT_EQ(b->components.at("encoderblock_0").get(), pop.root()->components.at("encoderblock_0").get());
  double expected = 0;
  for (const auto& [name, c] : b->components)
    expected += double(c->numel()) / (name == "head" || name == "encoder_norm" ? 1.0 : 2.0);  // own : shared with a
  EXPECT_DOUBLE_EQ(accounted_params(*b), expected);
  EXPECT_LT(accounted_params(*b), double(total_params(*b)));
  // A third task sharing the same blocks splits them three ways.
  pop.add(b);
  pop.end_task("b", [](const Path& p) { return p.quality; });
  auto c = pop.make_child(b, "c", 4, rng);
  const double block = double(pop.root()->components.at("encoderblock_0")->numel());
  const double shared_by_two = accounted_params(*b);
  EXPECT_NEAR(
      accounted_params(*c) - double(c->components.at("head")->numel() + c->components.at("encoder_norm")->numel()),
      (shared_by_two - double(b->components.at("head")->numel() + b->components.at("encoder_norm")->numel())) * 2.0 /
          3.0,
      1e-6);
  EXPECT_GT(block, 0);
}

TEST(MunetPopulation, ScoreIsQualityTimesTheSizePenalty) {
  auto pop = quiet();
  Rng rng(5);
  auto a = pop.make_child(pop.root(), "a", 4, rng);
  a->quality = 0.8;
  EXPECT_DOUBLE_EQ(Scorer({}, *pop.root(), pop.vit())(*a), 0.8);
  ScoreOptions half;
  half.scale = 0.5;
  half.reference_params = accounted_params(*a);
  EXPECT_NEAR(Scorer(half, *pop.root(), pop.vit())(*a), 0.4, 1e-12);
  ScoreOptions bad;
  bad.scale = 1.5;
  EXPECT_THROW(bad.validate(), OptionError);
}

TEST(MunetPopulation, ParentSelectionDecaysWithOffspring) {
  auto pop = quiet();
  Rng rng(6);
  auto best = pop.make_child(pop.root(), "a", 2, rng), second = pop.make_child(pop.root(), "a", 2, rng);
  best->quality = 0.9;
  second->quality = 0.5;
  pop.add(second);
  pop.add(best);
  auto score = [](const Path& p) { return p.quality; };
  // No offspring yet: the best is accepted with probability 1.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pop.select_parent("a", score, rng), best);
  // With 1 offspring it is accepted half the time; the rest goes to the next (0 offspring).
  best->offsprings = 1;
  int picked_best = 0;
  for (int i = 0; i < 4000; ++i) picked_best += pop.select_parent("a", score, rng) == best;
  EXPECT_NEAR(picked_best / 4000.0, 0.5, 0.04);
  // When every path is refused, the fallback is uniform over the task's paths and the root.
  best->offsprings = second->offsprings = 60;
  int root = 0;
  for (int i = 0; i < 3000; ++i) root += pop.select_parent("a", score, rng) == pop.root();
  EXPECT_NEAR(root / 3000.0, 1.0 / 3, 0.04);
}

TEST(MunetPopulation, MutationProbabilitiesArePerTypeAndForcedOnesAlwaysFire) {
  MutationOptions o;
  o.forced = {"clone:encoder_norm"};
  Rng rng(7);
  MutationRates rates;
  rates.base = 0;
  Mutator never(o, rates, rng);
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(never.fires("clone:encoder_norm"));
    EXPECT_FALSE(never.fires("hp:opt_lr"));
  }
  EXPECT_EQ(rates.by_type.count("clone:encoder_norm"), 0u);  // forced types have no rate to tune
  EXPECT_EQ(rates.by_type.at("hp:opt_lr"), 0.0);

  rates.base = 0.3;
  rates.by_type = {{"hp:opt_lr", 0.3}};
  int fired = 0;
  std::set<double> seen;
  for (int i = 0; i < 2000; ++i) {
    MutationRates copy = rates;
    Mutator m(o, copy, rng);
    fired += m.fires("hp:opt_lr");
    seen.insert(copy.by_type.at("hp:opt_lr"));
    EXPECT_EQ(copy.by_type.count("hp:other"), 0u);  // a type's rate appears when it is first asked
  }
  // 0.3 moves by one list step (0.02) 30% of the time: the rate stays near 0.3.
  EXPECT_NEAR(fired / 2000.0, 0.3, 0.04);
  EXPECT_EQ(seen, (std::set<double>{0.28, 0.3}));  // at the list's top it can only step down

  // Children inherit their parent's rates; the hyperparameters hold none.
  auto pop = quiet({});
  auto child = pop.make_child(pop.root(), "t", 4, rng);
  EXPECT_EQ(child->rates.base, 0.0);
  for (const auto& [key, value] : child->hparams) EXPECT_EQ(key.find("_mu_"), std::string::npos) << key;
}

TEST(MunetPopulation, FinishedTasksAreUnchangedByLaterTasks) {
  auto pop = quiet({"clone:encoder_norm", "clone:encoderblock_1", "add:residual_adapter_0"});
  Rng rng(8);
  auto score = [](const Path& p) { return p.quality; };
  const auto x = images();
  auto a = pop.make_child(pop.root(), "a", 3, rng);
  pop.add(a);
  pop.start_task("a");
  perturb(*a, x, pop.vit());
  const auto kept = pop.end_task("a", score);
  const auto before = kept->forward(x, pop.vit());
  for (int t = 0; t < 5; ++t) {
    const std::string task = "t" + std::to_string(t);
    // Each new task starts from a's path, which it can only share frozen or clone.
    auto child = pop.make_child(kept, task, 3, rng);
    pop.add(child);
    pop.start_task(task);
    for (const auto& [name, c] : child->components)
      if (c->locks().count("a")) {
        EXPECT_FALSE(c->trainable()) << name;
      }
    perturb(*child, x, pop.vit());
    pop.end_task(task, score);
  }
  EXPECT_TRUE(torch::equal(kept->forward(x, pop.vit()), before));
}

TEST(MunetPopulation, EndTaskKeepsTheBestPathAndLocksIt) {
  auto pop = quiet();
  Rng rng(9);
  auto p = pop.make_child(pop.root(), "a", 2, rng), q = pop.make_child(pop.root(), "a", 2, rng);
  p->quality = 0.3;
  q->quality = 0.7;
  pop.add(p);
  pop.add(q);
  const auto best = pop.end_task("a", [](const Path& x) { return x.quality; });
  EXPECT_EQ(best, q);
  ASSERT_EQ(pop.paths("a").size(), 1u);
  for (const auto& [name, c] : q->components) EXPECT_TRUE(c->locks().count("a")) << name;
  pop.start_task("a");
  EXPECT_TRUE(q->components.at("head")->trainable());
  EXPECT_FALSE(q->components.at("encoderblock_0")->trainable());  // the root's lock stays
}

}  // namespace
}  // namespace metaevo::munet
