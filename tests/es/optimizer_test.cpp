// Update rules: the decayed learning rate schedule and its floor.
#include "metaevo/es/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace metaevo::es {
namespace {

TEST(Optimizer, SgdStepFollowsDecayedLearningRateDownToFloor) {
  auto opt = make_optimizer({"sgd", {{"momentum", 0}, {"lr", 0.1}, {"lr_decay", 0.5}, {"min_lr", 0.02}}}, 1);
  const auto grad = torch::ones({1});
  // lr_t = max(min_lr, lr * decay^t): 0.1, 0.05, 0.025, then the floor 0.02.
  for (double expected : {0.1, 0.05, 0.025, 0.02, 0.02}) EXPECT_NEAR(opt->step(grad).item<double>(), expected, 1e-7);
}

TEST(Optimizer, DecayedScheduleSurvivesSaveAndLoad) {
  const Choice o{"sgd", {{"momentum", 0}, {"lr", 1.0}, {"lr_decay", 0.9}}};
  auto first = make_optimizer(o, 1);
  for (int i = 0; i < 3; ++i) first->step(torch::ones({1}));
  torch::serialize::OutputArchive out;
  first->save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  std::istringstream stream(bytes.str());
  in.load_from(stream);
  auto second = make_optimizer(o, 1);
  second->load(in);
  EXPECT_NEAR(second->step(torch::ones({1})).item<double>(), std::pow(0.9, 3), 1e-7);
}

TEST(Optimizer, RejectsBadSettingsAndAnotherOptimizers) {
  const auto error = [](const Choice& c) {
    try {
      make_optimizer(c, 1);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({"adam", {{"lr_decay", 1.5}}, "s.yaml: strategy.optimizer"}),
            "s.yaml: strategy.optimizer: lr_decay: must be in (0, 1], got 1.5");
  EXPECT_EQ(error({"adam", {{"min_lr", 1.0}}, "s.yaml: strategy.optimizer"}),  // above lr
            "s.yaml: strategy.optimizer: min_lr: must be in [0, lr], got 1");
  // Adam has no momentum, SGD no betas: another optimizer's setting is an unknown key.
  EXPECT_EQ(error({"adam", {{"momentum", 0.5}}, "s.yaml: strategy.optimizer"}),
            "s.yaml: strategy.optimizer: unknown key 'momentum'");
  EXPECT_EQ(error({"sgd", {{"beta1", 0.5}}, "s.yaml: strategy.optimizer"}),
            "s.yaml: strategy.optimizer: unknown key 'beta1'");
  EXPECT_EQ(error(Choice{"clipup", {{"max_speed", 0.3}}}), "");
}

}  // namespace
}  // namespace metaevo::es
