// Update rules: the decayed learning rate schedule and its floor, and steps made in shares.
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

TEST(Optimizer, StepsInSharesEqualTheWholeStep) {
  // Three processes of a sliced update, each stepping its share of 1,003 coordinates with an
  // optimizer of its own, against one optimizer stepping them all: the same steps and state.
  // ClipUp's shares also sum norms over the processes (a collective), so the MPI tests cover it.
  for (const char* name : {"adam", "sgd"}) {
    const Choice choice{name, {{"lr", 0.05}}};
    const int64_t dim = 1003;
    auto whole = make_optimizer(choice, dim);
    std::vector<std::unique_ptr<Optimizer>> parts;
    for (int r = 0; r < 3; ++r) parts.push_back(make_optimizer(choice, dim));
    torch::manual_seed(4);
    for (int t = 0; t < 4; ++t) {
      const auto grad = torch::randn({dim});
      const auto expected = whole->step(grad);
      std::vector<torch::Tensor> steps;
      for (int r = 0; r < 3; ++r) {
        const StepShare share{slice(dim, r, 3)};
        steps.push_back(parts[size_t(r)]->step(share.of(grad), share));
      }
      EXPECT_TRUE(torch::equal(torch::cat(steps), expected)) << name << ", step " << t;
    }
    for (size_t i = 0; i < whole->coordinate_state().size(); ++i)
      for (int r = 0; r < 3; ++r) {
        const StepShare share{slice(dim, r, 3)};
        EXPECT_TRUE(
            torch::equal(share.of(parts[size_t(r)]->coordinate_state()[i]), share.of(whole->coordinate_state()[i])))
            << name << ", state " << i << ", share " << r;
      }
  }
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
