// fp16's dynamic loss scaling: the scale backs off on a non-finite gradient, grows after
// growth_interval finite steps, unscaling divides and detects infinities and NaNs, and an engine
// skips the optimizer step of a batch whose gradient overflowed.
#include "metaevo/mlo/loss_scaler.h"

#include <gtest/gtest.h>

#include <limits>

#include "metaevo/mlo/engine.h"

namespace metaevo::mlo {
namespace {

LossScalingOptions small_interval() {
  LossScalingOptions o;
  o.initial_scale = 1024;
  o.growth_interval = 3;
  return o;
}

TEST(LossScaler, BacksOffOnANonFiniteStepAndGrowsAfterTheIntervalOfFiniteOnes) {
  LossScaler scaler(small_interval());
  EXPECT_EQ(scaler.scale(), 1024);
  scaler.update(true);
  scaler.update(true);
  EXPECT_EQ(scaler.scale(), 1024);
  scaler.update(false);  // also restarts the count of finite steps
  EXPECT_EQ(scaler.scale(), 512);
  scaler.update(true);
  scaler.update(true);
  EXPECT_EQ(scaler.scale(), 512);
  scaler.update(true);
  EXPECT_EQ(scaler.scale(), 1024);
  EXPECT_EQ(scaler.state().finite_steps, 0);
}

TEST(LossScaler, UnscalingDividesAndFindsInfinitiesAndNans) {
  const LossScaler scaler(small_interval());
  Params grads{torch::full({3}, 2048.0), torch::full({2, 2}, -1024.0)};
  EXPECT_TRUE(scaler.unscale(grads));
  EXPECT_TRUE(torch::equal(grads[0], torch::full({3}, 2.0)));
  EXPECT_TRUE(torch::equal(grads[1], torch::full({2, 2}, -1.0)));
  for (const float bad : {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    Params with_bad{torch::ones({3}), torch::ones({2})};
    with_bad[1][1] = bad;
    EXPECT_FALSE(scaler.unscale(with_bad)) << bad;
  }
}

TEST(LossScaler, OffScalesByOneAndTakesEveryGradientAsFinite) {
  LossScaler off;
  Params grads{torch::full({2}, std::numeric_limits<float>::infinity())};
  EXPECT_TRUE(off.unscale(grads));
  off.update(false);
  EXPECT_EQ(off.scale(), 1);
}

TEST(LossScaler, SettingsOutsideTheirRangeAreRefused) {
  auto o = small_interval();
  o.growth_factor = 0.5;
  EXPECT_THROW(LossScaler{o}, Error);
  o = small_interval();
  o.initial_scale = 0;
  EXPECT_THROW(LossScaler{o}, Error);
}

/// A loss whose gradient, 1e35 per weight, overflows float32 once scaled by 65,536.
class Steep : public Problem {
 public:
  Steep() : Problem("steep", {torch::ones({4}, torch::kCUDA)}, fp16()) {}
  torch::Tensor training_step(int64_t) override { return params()[0].sum() * 1e35; }

 private:
  static ProblemOptions fp16() {
    ProblemOptions o;
    o.precision = Choice("fp16", {{"initial_scale", 65536}});
    return o;
  }
};

TEST(LossScaler, AnEngineSkipsTheStepOfAnOverflowedGradientOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device: fp16 runs on CUDA only";
  auto problem = std::make_shared<Steep>();
  Engine engine({problem}, {}, EngineOptions{}, 1);
  engine.train_step();
  EXPECT_TRUE(torch::equal(problem->params()[0].cpu(), torch::ones({4})));
  EXPECT_EQ(problem->snapshot().scaler.scale, 32768);
}

}  // namespace
}  // namespace metaevo::mlo
