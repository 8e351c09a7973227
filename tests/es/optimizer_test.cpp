// Update rules: the decayed learning rate schedule and its floor.
#include "metaevo/es/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace metaevo::es {
namespace {

TEST(Optimizer, SgdStepFollowsDecayedLearningRateDownToFloor) {
  OptimizerOptions o;
  o.name = "sgd";
  o.momentum = 0;
  o.lr = 0.1;
  o.lr_decay = 0.5;
  o.min_lr = 0.02;
  o.validate();
  auto opt = make_optimizer(o, 1);
  const auto grad = torch::ones({1});
  // lr_t = max(min_lr, lr * decay^t): 0.1, 0.05, 0.025, then the floor 0.02.
  for (double expected : {0.1, 0.05, 0.025, 0.02, 0.02}) EXPECT_NEAR(opt->step(grad).item<double>(), expected, 1e-7);
}

TEST(Optimizer, DecayedScheduleSurvivesSaveAndLoad) {
  OptimizerOptions o;
  o.name = "sgd";
  o.momentum = 0;
  o.lr = 1.0;
  o.lr_decay = 0.9;
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

TEST(Optimizer, RejectsDecayOutsideUnitInterval) {
  OptimizerOptions o;
  o.lr_decay = 1.5;
  EXPECT_THROW(o.validate(), OptionError);
  o.lr_decay = 0.9;
  o.min_lr = 1.0;  // above lr
  EXPECT_THROW(o.validate(), OptionError);
}

}  // namespace
}  // namespace metaevo::es
