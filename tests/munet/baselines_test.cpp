#include "metaevo/munet/baselines.h"

#include <gtest/gtest.h>

#include "../support/munet_tasks.h"
#include "metaevo/munet/evolution.h"
#include "metaevo/munet/pretrain.h"

namespace metaevo::munet {
namespace {

Population population() {
  auto space = HparamSpace::reference(2);
  space.defaults["opt_lr"] = 0.05;
  return Population(testing::small_vit(), space, {}, 3);
}

BaselineOptions kind(const std::string& k, int64_t frozen_layers = 1) {
  BaselineOptions o;
  o.kind = k;
  o.frozen_layers = frozen_layers;
  return o;
}

/// The components of `path` that are the root's own objects.
std::set<std::string> shared_with_root(const Population& pop, const Path& path) {
  std::set<std::string> out;
  for (const auto& [name, c] : path.components) {
    auto it = pop.root()->components.find(name);
    if (it != pop.root()->components.end() && it->second.get() == c.get()) out.insert(name);
  }
  return out;
}

TEST(MunetBaselines, EachKindSharesFreezesAndClonesByItsRule) {
  auto pop = population();
  const auto finetune = baseline_path(pop, kind("finetune"), "a", 3);
  EXPECT_TRUE(shared_with_root(pop, *finetune).empty());
  EXPECT_DOUBLE_EQ(accounted_params(*finetune), double(total_params(*finetune)));
  for (const auto& [name, c] : finetune->components) EXPECT_TRUE(c->trainable()) << name;

  const auto bottom = baseline_path(pop, kind("freeze_bottom", 1), "b", 3);
  EXPECT_EQ(shared_with_root(pop, *bottom), (std::set<std::string>{"cls", "embedding", "encoderblock_0", "posembed"}));
  EXPECT_TRUE(bottom->components.at("encoderblock_1")->trainable());

  const auto adapters = baseline_path(pop, kind("adapters"), "c", 3);
  EXPECT_EQ(shared_with_root(pop, *adapters),
            (std::set<std::string>{"cls", "embedding", "encoderblock_0", "encoderblock_1", "posembed"}));
  EXPECT_TRUE(adapters->components.count("residual_adapter_0") && adapters->components.count("residual_adapter_1"));
  // Once two tasks hold them, the frozen root components are charged half to each.
  for (const auto& task : {"e", "f"}) {
    pop.add(baseline_path(pop, kind("adapters"), task, 3));
    pop.end_task(task, [](const Path&) { return 0.0; });
  }
  const auto& e = *pop.paths("e").at(0);
  double frozen = 0;
  for (const auto& name : shared_with_root(pop, e)) frozen += double(e.components.at(name)->numel());
  EXPECT_DOUBLE_EQ(accounted_params(e), double(total_params(e)) - frozen / 2);
  // The system holds the root once and each task's own components.
  const auto& f = *pop.paths("f").at(0);
  EXPECT_EQ(pop.system_params(), total_params(*pop.root()) + 2 * (total_params(e) - int64_t(frozen)));
  EXPECT_EQ(total_params(e), total_params(f));

  // Fresh adapters leave the root's function unchanged: with one head on both, same logits.
  const auto x = torch::rand({4, 1, 32, 32});
  auto plain = pop.root()->components;
  plain["head"] = adapters->components.at("head");
  for (auto& t : adapters->components.at("head")->tensors()) t.normal_();
  EXPECT_TRUE(torch::allclose(adapters->forward(x, pop.vit()), vit_forward(x, plain, 2, pop.vit())));
  EXPECT_THROW(baseline_path(pop, kind("freeze_bottom", 3), "d", 3), Error);
  EXPECT_THROW(baseline_path(pop, kind("lora"), "d", 3), Error);
}

TEST(MunetBaselines, BaselineTaskTrainsOnceAndLocks) {
  auto pop = population();
  const Scorer scorer({}, *pop.root(), pop.vit());
  TrainOptions train;
  train.batch_size = 32;
  train.validations = 4;
  train.batches_between_validations = 50;
  const auto before = pop.root()->components.at("encoderblock_0")->tensors()[0].clone();
  const auto r = run_baseline_task(pop, testing::quadrants(512), scorer, kind("finetune"), train, 5, 0);
  EXPECT_EQ(r.children, 1);
  EXPECT_GT(r.test_quality, 0.3) << r.quality;  // chance is 0.25; how well it learns is the trainer's test
  const auto& path = *pop.paths("quadrants").at(0);
  for (const auto& [name, c] : path.components) EXPECT_TRUE(c->locks().count("quadrants")) << name;
  EXPECT_TRUE(torch::equal(before, pop.root()->components.at("encoderblock_0")->tensors()[0]));  // clones trained
  EXPECT_THROW(run_baseline_task(pop, testing::quadrants(64), scorer, kind("finetune"), train, 5, 1), Error);
}

TEST(MunetPretrain, TrainsTheRootAndLocksItAgain) {
  auto pop = population();
  const auto head = pop.root()->components.at("head");
  const auto before = pop.root()->components.at("encoderblock_0")->tensors()[0].clone();
  PretrainOptions o;
  o.task = "quadrants";
  o.validations = 4;
  // 200 steps: 100 left seeds at chance (0.23 to 0.64 over seeds 1-3); 200 reached 0.93-1.00 on seeds 1-5.
  o.batches_between_validations = 50;
  o.learning_rate = 0.05;
  TrainOptions train;
  train.batch_size = 32;
  const auto r = pretrain_root(pop, testing::quadrants(512), o, train, 1);
  EXPECT_GT(r.test_accuracy, 0.8);
  EXPECT_EQ(r.steps, 200);
  EXPECT_FALSE(torch::equal(before, pop.root()->components.at("encoderblock_0")->tensors()[0]));
  for (const auto& [name, c] : pop.root()->components) EXPECT_EQ(c->locks(), std::set<std::string>{kRootTask}) << name;
  EXPECT_EQ(pop.root()->components.at("head").get(), head.get());  // the source head is not kept
  EXPECT_EQ(pop.root()->hparams.count("num_classes"), 0u);

  // Another system can start from this root: same tensors, locked to the root again.
  auto space = HparamSpace::reference(2);
  space.defaults["opt_lr"] = 0.2;
  auto other = Population(testing::small_vit(), space, {}, 9);
  pop.root()->components.at("cls")->lock("some task");
  adopt_root(other, pop, "test");
  EXPECT_EQ(other.root()->hparams.at("opt_lr"), 0.2);  // the adopting system's defaults, not the source's
  for (const auto& [name, c] : other.root()->components) {
    EXPECT_EQ(c->locks(), std::set<std::string>{kRootTask}) << name;
    EXPECT_TRUE(torch::equal(c->tensors()[0], pop.root()->components.at(name)->tensors()[0])) << name;
  }
  auto wider = testing::small_vit();
  wider.width = 32;
  auto mismatched = Population(wider, HparamSpace::reference(2), {}, 9);
  EXPECT_THROW(adopt_root(mismatched, pop, "test"), Error);
}

}  // namespace
}  // namespace metaevo::munet
