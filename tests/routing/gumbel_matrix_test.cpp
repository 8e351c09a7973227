// The gumbel_matrix program and its routed network on small synthetic tasks: gradients reach only
// what a task connects, evaluation is deterministic, a seed fixes the run, a resumed run equals an
// uninterrupted one, and bad settings are one-line errors naming the key.
#include <gtest/gtest.h>

#include "../support/errors.h"
#include "metaevo/core/config.h"
#include "metaevo/core/random_stream.h"
#include "metaevo/routing/gumbel.h"
#include "metaevo/routing/program.h"
#include "metaevo/routing/routed_net.h"
#include "program_state.h"

namespace {

using namespace metaevo;
using namespace metaevo::routing;
using namespace metaevo::testing;

const char* const kSmallNet = "net: {filters: 8, groups: 2, layers: 3, downsample: [0, 1]}\n";

std::unique_ptr<Program> program(const std::string& settings, uint64_t seed = 5,
                                 const std::string& training = "batch_size: 4\nlr: 0.01\n") {
  auto p = make_program(Config::parse("type: gumbel_matrix\n" + training + kSmallNet + settings, "test.yaml"), seed);
  p->build(routing_tasks());
  return p;
}

TEST(RoutedNet, AComponentNoTaskConnectsGetsNoGradientWhileItsLogitDoes) {
  RoutedNetOptions o;
  o.filters = 8, o.groups = 2, o.layers = 2, o.downsample = {0};
  RoutedNet net(o, 1, 12, std::vector<int64_t>{3}, 1);
  // Component 2 is off in both layers: its logits favour "not connected" and there is no noise.
  std::vector<torch::Tensor> logits, allocation;
  for (int l = 0; l < 2; ++l) {
    auto z = torch::zeros({7, 2});
    z[2][1] = 5;
    logits.push_back(z.requires_grad_());
    allocation.push_back(straight_through(logits.back(), torch::zeros({7, 2}), 1.0));
    ASSERT_EQ(allocation.back()[2].item<float>(), 0);
  }
  const auto x = torch::rand({5, 1, 12, 12}, torch_generator(2));
  torch::nn::functional::cross_entropy(net->forward(x, allocation, 0), torch::tensor({0, 1, 2, 0, 1})).backward();
  for (int l = 0; l < 2; ++l) {
    for (const auto& p : net->component_parameters(l, 2))
      EXPECT_TRUE(p.grad().defined() && torch::equal(p.grad(), torch::zeros_like(p))) << "layer " << l;
    bool reached = false;
    for (const auto& p : net->component_parameters(l, 0)) reached |= p.grad().abs().sum().item<double>() > 0;
    EXPECT_TRUE(reached) << "a connected component gets a gradient, layer " << l;
    // The router still learns whether to switch it back on.
    EXPECT_NE(logits[size_t(l)].grad()[2][0].item<double>(), 0) << "layer " << l;
  }
}

TEST(RoutedNet, TheLayerAveragesItsConnectedComponents) {
  RoutedNetOptions o;
  o.filters = 4, o.groups = 2, o.layers = 1, o.downsample = {}, o.components = {"identity", "avgpool3x3"};
  o.dropout = 0;
  RoutedNet net(o, 1, 6, std::vector<int64_t>{2}, 1);
  const auto x = torch::rand({2, 1, 6, 6}, torch_generator(4));
  const auto both = net->forward(x, {torch::tensor({1.0F, 1.0F})}, 0);
  const auto one = net->forward(x, {torch::tensor({1.0F, 0.0F})}, 0);
  const auto none = net->forward(x, {torch::tensor({0.0F, 0.0F})}, 0);
  // Nothing connected: the head sees zeros, so the logits are its bias.
  EXPECT_TRUE(torch::allclose(none, none[0].expand_as(none)));
  EXPECT_FALSE(torch::allclose(both, one));
}

TEST(GumbelMatrix, EvaluationIsDeterministic) {
  auto p = program("");
  p->train_step();
  const auto a = p->evaluate("valid");
  EXPECT_EQ(a, p->evaluate("valid"));
  EXPECT_EQ(p->evaluate("test"), p->evaluate("test"));
  auto copy = program("");
  copy->train_step();
  EXPECT_TRUE(same_state(*p, *copy)) << "evaluation changed the state";
}

TEST(GumbelMatrix, TheSeedFixesTheRunAndAnotherSeedChangesIt) {
  for (const auto* allocation : {"learned", "full_sharing", "no_sharing"}) {
    auto a = program(std::string("allocation: ") + allocation), b = program(std::string("allocation: ") + allocation);
    auto c = program(std::string("allocation: ") + allocation, 6);
    for (int s = 0; s < 3; ++s) a->train_step(), b->train_step(), c->train_step();
    EXPECT_TRUE(same_state(*a, *b)) << allocation;
    EXPECT_FALSE(same_state(*a, *c)) << allocation;
    EXPECT_EQ(a->evaluate("test"), b->evaluate("test")) << allocation;
  }
}

TEST(GumbelMatrix, AResumedRunEqualsAnUninterruptedOne) {
  for (const auto* allocation : {"learned", "full_sharing", "no_sharing"}) {
    const auto settings = std::string("allocation: ") + allocation;
    auto whole = program(settings);
    for (int s = 0; s < 4; ++s) whole->train_step();
    auto first = program(settings);
    for (int s = 0; s < 2; ++s) first->train_step();
    std::istringstream bytes(bytes_of(*first));
    torch::serialize::InputArchive archive;
    archive.load_from(bytes);
    auto resumed = program(settings, 5);
    resumed->load(archive);
    EXPECT_EQ(resumed->step(), 2);
    for (int s = 0; s < 2; ++s) resumed->train_step();
    EXPECT_TRUE(same_state(*resumed, *whole)) << allocation;
    EXPECT_EQ(resumed->allocation(), whole->allocation()) << allocation;
  }
}

TEST(GumbelMatrix, EveryAllocationLearnsTheSyntheticTasks) {
  for (const auto* allocation : {"learned", "full_sharing", "no_sharing"}) {
    auto p =
        program(std::string("allocation: ") + allocation + "\ntemperature_init: 1", 5, "batch_size: 8\nlr: 0.003\n");
    double first = 0, last = 0;
    for (int s = 0; s < 5; ++s) first += p->train_step() / 5;
    for (int s = 0; s < 50; ++s) p->train_step();
    for (int s = 0; s < 5; ++s) last += p->train_step() / 5;
    EXPECT_LT(last, 0.5 * first) << allocation;
    double accuracy = 0;
    for (const auto a : p->evaluate("test")) accuracy += a / 3;
    EXPECT_GT(accuracy, 0.8) << allocation;  // chance is 0.31
  }
}

TEST(GumbelMatrix, TheRouterLearnsAndTheTemperatureAnneals) {
  auto p = program("temperature_init: 2\ntemperature_min: 0.5");
  const auto before = p->allocation();
  ASSERT_FALSE(before.is_null());
  EXPECT_NEAR(before["layers"][0][0][0].get<double>(), 0.97, 1e-6);
  for (int s = 0; s < 3; ++s) p->train_step();
  EXPECT_NE(p->allocation(), before);
  // 3 steps of 3 task updates: the next update is the 10th.
  EXPECT_DOUBLE_EQ(p->state()["temperature"].get<double>(), 2 / std::sqrt(10.0));
  EXPECT_TRUE(program("allocation: full_sharing")->allocation().is_null());
}

TEST(GumbelMatrix, NoSharingHoldsAtLeastTheSharedParametersWithTheFewestFilters) {
  const auto shared = program("allocation: full_sharing")->parameter_count();
  const auto separate = program("allocation: no_sharing")->parameter_count();
  EXPECT_GE(separate, shared);
  const auto smaller = program("allocation: no_sharing\nseparate_filters: " +
                               std::to_string(/* the matched count less one step of groups */ 2))
                           ->parameter_count();
  EXPECT_LT(smaller, shared);
  EXPECT_LT(smaller, separate);
}

TEST(GumbelMatrix, BadSettingsAreOneLineErrorsNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"probs_init: 1.0", "probs_init: must be within (0, 1)"},
      {"probs_init: 0", "probs_init: must be within (0, 1)"},
      {"temperature_min: 0", "temperature_min: must be > 0"},
      {"temperature_init: 0", "temperature_init: must be > 0"},
      {"allocation: some", "allocation: must be learned, full_sharing or no_sharing"},
      {"net: {filters: 6, groups: 4}", "net.groups: must divide filters"},
      {"net: {components: [conv3x3, conv9x9]}", "unknown type 'conv9x9'"},
      {"net: {layers: 2, downsample: [1, 0]}", "net.downsample: must be increasing"},
  };
  for (const auto& c : cases) {
    const auto message = metaevo::testing::error_of(
        [&] { make_program(Config::parse("type: gumbel_matrix\n" + c.first, "bad.yaml"), 0); });
    EXPECT_NE(message.find(c.second), std::string::npos) << c.first << " -> " << message;
    EXPECT_NE(message.find("bad.yaml"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
