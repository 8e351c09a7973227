// The functional optimizer steps as torch.optim does: Adam in place (no graph) and out of place
// (in the graph) both follow torch::optim::Adam, and an in-place step leaves a cloned state alone.
#include "metaevo/models/optimizer.h"

#include <gtest/gtest.h>

namespace metaevo::models {
namespace {

const Choice kAdam{"adam", {{"lr", 0.01}, {"weight_decay", 0.1}}};

/// Gradients of a fixed quadratic at p, different per step.
Params quadratic_gradient(const Params& p, int64_t step) { return {p[0] * 2 - double(step), p[1] * 3 + 1}; }

TEST(ModelsOptimizer, AdamInAndOutOfTheGraphFollowsTorchAdam) {
  const Params start{torch::linspace(-1, 1, 6).view({2, 3}), torch::linspace(0, 2, 3)};
  Params theirs = clone_params(start);
  torch::optim::Adam reference(theirs, torch::optim::AdamOptions(0.01).weight_decay(0.1));
  for (const bool differentiable : {false, true}) {
    Optimizer mine(kAdam);
    Params p = clone_params(start);
    for (int64_t step = 0; step < 5; ++step)
      p = mine.step(p, quadratic_gradient(detach_params(p), step), differentiable);
    if (!differentiable) {
      for (int64_t step = 0; step < 5; ++step) {
        const auto g = quadratic_gradient(detach_params(theirs), step);
        for (size_t i = 0; i < theirs.size(); ++i) theirs[i].mutable_grad() = g[i].detach();
        reference.step();
      }
    }
    for (size_t i = 0; i < p.size(); ++i)
      EXPECT_TRUE(torch::allclose(p[i].detach(), theirs[i].detach(), 1e-6, 1e-7)) << differentiable << " " << i;
  }
}

TEST(ModelsOptimizer, AnInPlaceStepLeavesAClonedStateAlone) {
  Optimizer adam(kAdam);
  Params p{torch::ones({4})};
  p = adam.step(p, {torch::ones({4})}, false);
  const auto saved = adam.state().clone();
  const auto first = saved.first[0].clone(), second = saved.second[0].clone();
  adam.step(p, {torch::ones({4})}, false);
  EXPECT_FALSE(torch::equal(adam.state().first[0], first)) << "the step did not move the moment";
  EXPECT_TRUE(torch::equal(saved.first[0], first));
  EXPECT_TRUE(torch::equal(saved.second[0], second));
}

}  // namespace
}  // namespace metaevo::models
