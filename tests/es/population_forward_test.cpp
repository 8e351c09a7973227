// The batched population forward must equal running each member's own network, within 1e-5.
#include "metaevo/es/population_forward.h"

#include <gtest/gtest.h>

#include "metaevo/models/parameters.h"
#include "metaevo/models/zoo.h"

namespace metaevo::es {
namespace {

using models::flatten_parameters;
using models::load_flat_parameters;
using models::make_classifier;
using models::ModelOptions;
using models::parameter_count;
using models::parameter_layout;

Population implicit_population(const torch::nn::Sequential& net, int64_t size, bool mirrored, int64_t rank,
                               torch::Tensor sigma) {
  Population pop;
  pop.generation = 3;
  pop.size = size;
  pop.center = flatten_parameters(*net);
  pop.sigma = std::move(sigma);
  pop.mirrored = mirrored;
  pop.noise = std::make_shared<Noise>(99, parameter_layout(*net), rank);
  return pop;
}

// Reference: load each member into the plain module and run its forward.
void expect_matches_members(torch::nn::Sequential net, const Population& pop, const torch::Tensor& x, int64_t begin,
                            int64_t end) {
  auto batched = population_forward(net, pop, begin, end, x);
  auto members = pop.members(begin, end);
  auto clone = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(net->clone());
  torch::NoGradGuard no_grad;
  for (int64_t i = begin; i < end; ++i) {
    load_flat_parameters(*clone, members[i - begin]);
    auto expected = clone->forward(x);
    EXPECT_TRUE(torch::allclose(batched[i - begin], expected, 1e-5, 1e-5))
        << "member " << i << " max diff " << (batched[i - begin] - expected).abs().max().item<float>();
  }
}

ModelOptions mlp() {
  ModelOptions o;
  o.hidden = {16, 12};
  return o;
}

ModelOptions cnn() {
  ModelOptions o;
  o.type = "cnn";
  o.channels = {3, 4};
  return o;
}

}  // namespace

TEST(PopulationForward, MlpFullRankMirrored) {
  auto net = make_classifier(mlp(), {1, 6, 6}, 5, 1);
  auto x = torch::randn({7, 1, 6, 6});
  expect_matches_members(net, implicit_population(net, 6, true, 0, torch::tensor(0.1f)), x, 0, 6);
}

TEST(PopulationForward, MlpSliceStartingMidPair) {
  auto net = make_classifier(mlp(), {1, 6, 6}, 5, 1);
  auto x = torch::randn({4, 1, 6, 6});
  expect_matches_members(net, implicit_population(net, 10, true, 0, torch::tensor(0.1f)), x, 3, 8);
}

TEST(PopulationForward, MlpLowRank) {
  auto net = make_classifier(mlp(), {1, 6, 6}, 5, 2);
  auto x = torch::randn({5, 1, 6, 6});
  expect_matches_members(net, implicit_population(net, 4, true, 2, torch::tensor(0.2f)), x, 0, 4);
}

TEST(PopulationForward, MlpOnPooledInput) {
  auto options = mlp();
  options.input_pool = 2;
  auto net = make_classifier(options, {1, 6, 6}, 5, 2);
  EXPECT_NE(net[1]->as<torch::nn::Flatten>(), nullptr);  // AvgPool2d, Flatten, Linear(9, 16), ...
  EXPECT_EQ(parameter_count(*net), 9 * 16 + 16 + 16 * 12 + 12 + 12 * 5 + 5);
  auto x = torch::randn({5, 1, 6, 6});
  expect_matches_members(net, implicit_population(net, 4, true, 2, torch::tensor(0.2f)), x, 0, 4);
  expect_matches_members(net, implicit_population(net, 4, true, 0, torch::tensor(0.2f)), x, 0, 4);
  options.input_pool = 0;
  EXPECT_THROW(make_classifier(options, {1, 6, 6}, 5, 2), OptionError);
  options.input_pool = 7;
  EXPECT_THROW(make_classifier(options, {1, 6, 6}, 5, 2), Error);
}

TEST(PopulationForward, LinearLayersWithoutBias) {
  torch::manual_seed(4);
  torch::nn::Sequential net(torch::nn::Flatten(), torch::nn::Linear(torch::nn::LinearOptions(36, 8).bias(false)),
                            torch::nn::ReLU(), torch::nn::Linear(torch::nn::LinearOptions(8, 5).bias(false)));
  auto x = torch::randn({3, 1, 6, 6});
  for (int64_t rank : {0, 2})
    expect_matches_members(net, implicit_population(net, 6, true, rank, torch::tensor(0.3f)), x, 1, 6);
}

TEST(PopulationForward, PerCoordinateSigma) {
  auto net = make_classifier(mlp(), {1, 6, 6}, 5, 3);
  const int64_t d = parameter_count(*net);
  auto x = torch::randn({5, 1, 6, 6});
  expect_matches_members(net, implicit_population(net, 5, false, 0, torch::rand({d}) * 0.3), x, 0, 5);
  expect_matches_members(net, implicit_population(net, 4, true, 2, torch::rand({d}) * 0.3), x, 0, 4);
}

TEST(PopulationForward, CnnFullAndLowRank) {
  auto net = make_classifier(cnn(), {1, 8, 8}, 3, 4);
  auto x = torch::randn({3, 1, 8, 8});
  expect_matches_members(net, implicit_population(net, 4, true, 0, torch::tensor(0.1f)), x, 0, 4);
  expect_matches_members(net, implicit_population(net, 4, true, 2, torch::tensor(0.1f)), x, 0, 4);
}

TEST(PopulationForward, BatchNormUsesEachMembersBatchStatistics) {
  torch::manual_seed(4);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 3, 3).padding(1)), torch::nn::BatchNorm2d(3),
                            torch::nn::ReLU(), torch::nn::MaxPool2d(2), torch::nn::Flatten(), torch::nn::Linear(27, 4));
  net->train();  // the reference normalises with batch statistics too
  auto x = torch::randn({5, 1, 6, 6});
  expect_matches_members(net, implicit_population(net, 4, true, 0, torch::tensor(0.1f)), x, 0, 4);
  expect_matches_members(net, implicit_population(net, 4, true, 2, torch::tensor(0.1f)), x, 0, 4);
}

// The batch-norm, ReLU and pool run as one step (pooling before normalising) and a lone member's
// first convolution uses its own kernel: both must still equal the three layers, also for channels
// whose batch-norm scale is negative (there the pool takes the minimum) and odd sizes (7 -> 3).
TEST(PopulationForward, FusedConvBlockOnSingleMembersNegativeScalesAndOddSizes) {
  torch::manual_seed(5);
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 3, 3).padding(1)), torch::nn::BatchNorm2d(3),
                            torch::nn::ReLU(), torch::nn::MaxPool2d(2), torch::nn::Flatten(), torch::nn::Linear(27, 4));
  net->train();
  {
    torch::NoGradGuard no_grad;
    std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(net->ptr(1))->weight[0] = -1.5;
  }
  const auto pop = implicit_population(net, 4, true, 0, torch::tensor(0.1f));
  const auto x = torch::randn({5, 1, 7, 7});
  for (int64_t i = 0; i < 4; ++i) expect_matches_members(net, pop, x, i, i + 1);
  expect_matches_members(net, pop, x, 0, 4);
}

TEST(PopulationForward, MaterialisedSamples) {
  auto net = make_classifier(cnn(), {1, 8, 8}, 3, 5);
  Population pop;
  pop.size = 3;
  pop.center = flatten_parameters(*net).to(torch::kFloat64);
  pop.samples = pop.center.unsqueeze(0) + 0.1 * torch::randn({3, pop.center.numel()}, torch::kFloat64);
  expect_matches_members(net, pop, torch::randn({2, 1, 8, 8}), 0, 3);
}

TEST(PopulationForward, CountsMultiplyAdds) {
  auto net = make_classifier(mlp(), {1, 6, 6}, 5, 1);
  EXPECT_DOUBLE_EQ(forward_macs(net, {1, 6, 6}), 36.0 * 16 + 16 * 12 + 12 * 5);
}

}  // namespace metaevo::es
