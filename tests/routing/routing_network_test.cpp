// The routing_network program and its network of experts: routing is hard (one expert per layer
// per input), an expert no input takes gets no gradient unless co-training sends inputs through
// it, nor one only replayed inputs take (unless replay_trains says all), a new task's candidate
// starts as a copy of the expert its inputs are routed to, replay holds exactly its configured size, a
// seed fixes the run, a resumed run equals an uninterrupted one, the baselines are matched as stated, and bad settings
// are one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "../support/errors.h"
#include "../support/process.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/config.h"
#include "metaevo/core/random_stream.h"
#include "metaevo/routing/expert_net.h"
#include "metaevo/routing/program.h"
#include "program_state.h"

namespace {

using namespace metaevo;
using namespace metaevo::routing;
using namespace metaevo::testing;

constexpr int64_t kPerTask = 3;

/// Three tasks over the same three labels, as a continual benchmark's are.
std::vector<data::Splits> same_label_tasks() { return {routing_task(0, 3), routing_task(1, 3), routing_task(2, 3)}; }

std::unique_ptr<Program> network(const std::string& settings, uint64_t seed = 5,
                                 const std::string& training = "batch_size: 4\nlr: 0.01\n",
                                 const std::string& replay = "replay_per_task: 5\nreplay_batch: 3\n") {
  auto p = make_program(
      Config::parse("type: routing_network\nlayers: 2\nexperts: 3\nwidth: 8\n" + replay + training + settings,
                    "test.yaml"),
      seed);
  p->build(same_label_tasks());
  return p;
}

/// As `metaevo route` drives a continual program: kPerTask steps per task, each task begun first.
void train(Program& p, int64_t steps) {
  for (int64_t s = 0; s < steps; ++s) {
    if (p.step() % kPerTask == 0) p.begin_task(p.step() / kPerTask);
    p.train_step();
  }
}

/// Experts (per layer) whose weights differ between two saved states.
std::vector<std::set<int64_t>> moved_experts(const std::map<std::string, torch::Tensor>& before,
                                             const std::map<std::string, torch::Tensor>& after, int64_t layers,
                                             int64_t experts) {
  std::vector<std::set<int64_t>> out(static_cast<size_t>(layers));
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t e = 0; e < experts; ++e)
      for (const auto* part : {"weight", "bias"}) {
        const auto key = fmt::format("net/layer{}_expert{}/{}", l, e, part);
        EXPECT_TRUE(before.count(key) && after.count(key)) << key;
        if (before.count(key) && after.count(key) && !torch::equal(before.at(key), after.at(key)))
          out[size_t(l)].insert(e);
      }
  return out;
}

TEST(ExpertNet, EachInputTakesExactlyOneExpertPerLayer) {
  ExpertNet net(6, 2, 3, 4, 2, 1);
  const auto x = torch::empty({12, 6}).uniform_(0, 1, torch_generator(2));
  auto generator = torch_generator(3);
  Route taken;
  const auto out = net->forward(x, {&generator, 1.0, nullptr, &taken});
  ASSERT_EQ(taken.size(), 3U);  // two hidden layers and the output layer
  for (const auto& c : taken) {
    EXPECT_EQ(c.sizes(), (std::vector<int64_t>{12}));
    EXPECT_TRUE(c.ge(0).logical_and(c.lt(3)).all().item<bool>());
  }
  // The straight-through gate is 1 in value: the same experts, forced, give the same logits.
  EXPECT_TRUE(torch::equal(out, net->forward(x, {nullptr, 1.0, &taken})));
  // Input 0 sees only its own experts: changing every other expert of layer 0 leaves its logits.
  {
    torch::NoGradGuard no_grad;
    for (int64_t e = 0; e < 3; ++e)
      if (e != taken[0][0].item<int64_t>())
        for (auto& p : net->expert_parameters(0, e)) p.add_(1.0);
  }
  const auto changed = net->forward(x, {nullptr, 1.0, &taken});
  EXPECT_TRUE(torch::equal(changed[0], out[0]));
  EXPECT_FALSE(torch::equal(changed, out)) << "some input took another expert of layer 0";
}

TEST(ExpertNet, AnExpertNoInputTakesGetsNoGradientWhileTheRouterDoes) {
  ExpertNet net(6, 2, 3, 4, 2, 1);
  const auto x = torch::empty({5, 6}).uniform_(0, 1, torch_generator(2));
  const auto y = torch::tensor({0, 1, 0, 1, 1});
  // Forced: every input through expert 0, then expert 2, then output expert 1.
  const Route forced{torch::zeros({5}, torch::kInt64), torch::full({5}, 2, torch::kInt64),
                     torch::ones({5}, torch::kInt64)};
  torch::nn::functional::cross_entropy(net->forward(x, {nullptr, 1.0, &forced}), y).backward();
  for (int64_t e = 0; e < 3; ++e) {
    const bool taken = e == 0;
    for (const auto& p : net->expert_parameters(0, e))
      EXPECT_EQ(p.grad().defined() && p.grad().abs().sum().item<double>() > 0, taken) << "layer 0 expert " << e;
  }
  for (const auto& p : net->expert_parameters(1, 2)) EXPECT_GT(p.grad().abs().sum().item<double>(), 0);
  for (const auto& p : net->router_parameters()) EXPECT_FALSE(p.grad().defined()) << "forced routes skip routers";
  // Routed with noise, the routers learn through the chosen experts' probabilities.
  auto generator = torch_generator(3);
  torch::nn::functional::cross_entropy(net->forward(x, {&generator, 1.0}), y).backward();
  for (const auto& p : net->router_parameters()) EXPECT_GT(p.grad().abs().sum().item<double>(), 0) << "router gradient";
}

TEST(ExpertNet, OneExpertIsADenseNetworkWithoutRouters) {
  ExpertNet dense(6, 2, 1, 5, 2, 1);
  EXPECT_TRUE(dense->router_parameters().empty());
  EXPECT_EQ(dense->parameter_count(), (6 * 5 + 5) + (5 * 5 + 5) + (5 * 2 + 2));
}

TEST(RoutingNetwork, WithoutCotrainingAStepMovesOnlyTheExpertsItsInputsTook) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    auto p = network("cotrain: false\n", seed, "batch_size: 1\nlr: 0.01\n");
    p->begin_task(0);
    const auto before = saved(*p);
    p->train_step();  // one input, no replay yet: one expert per layer
    for (const auto& moved : moved_experts(before, saved(*p), 3, 3)) EXPECT_EQ(moved.size(), 1U) << "seed " << seed;
  }
}

TEST(RoutingNetwork, ReplayTrainsOnlyTheExpertsTheCurrentTaskTrainsUnlessToldAll) {
  bool replay_moved_more = false;
  for (uint64_t seed = 1; seed <= 6; ++seed)
    for (const auto* scope : {"shared", "all"}) {
      auto p =
          network(std::string("cotrain: false\nreplay_trains: ") + scope + "\n", seed, "batch_size: 1\nlr: 0.01\n");
      train(*p, kPerTask);
      p->begin_task(1);
      const auto before = saved(*p);
      p->train_step();  // one input of task 1, three replayed of task 0
      for (const auto& moved : moved_experts(before, saved(*p), 3, 3)) {
        if (std::string(scope) == "shared") {
          EXPECT_EQ(moved.size(), 1U) << "seed " << seed << ": replay moved an expert task 1 left alone";
        } else {
          EXPECT_GE(moved.size(), 1U) << "seed " << seed;
          replay_moved_more |= moved.size() > 1;
        }
      }
    }
  EXPECT_TRUE(replay_moved_more) << "with replay_trains: all, replayed inputs never trained another expert";
}

TEST(RoutingNetwork, CotrainingTrainsTheCandidatesInsteadOfTheRoutedExpertsOnANewTasksFirstSteps) {
  bool elsewhere = false;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    auto p = network("cotrain: true\ncotrain_steps: 1\n", seed, "batch_size: 1\nlr: 0.01\n");
    p->begin_task(0);  // nothing is claimed yet: every layer's candidate is its expert 0
    auto before = saved(*p);
    p->train_step();
    for (const auto& moved : moved_experts(before, saved(*p), 3, 3))
      EXPECT_EQ(moved, std::set<int64_t>{0}) << "seed " << seed;
    // Past cotrain_steps, the routed expert trains again.
    before = saved(*p);
    p->train_step();
    for (const auto& moved : moved_experts(before, saved(*p), 3, 3)) {
      EXPECT_EQ(moved.size(), 1U) << "seed " << seed;
      elsewhere |= !moved.count(0);
    }
  }
  EXPECT_TRUE(elsewhere) << "the routers never picked another expert than the candidate";
}

TEST(RoutingNetwork, ANewTasksCandidateStartsAsACopyOfTheExpertItsInputsAreRoutedTo) {
  int copies = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed)
    for (const auto* init : {"routed", "random"}) {
      auto p = network(std::string("cotrain: true\ncotrain_steps: 3\ncandidate_init: ") + init + "\n", seed);
      train(*p, kPerTask);
      const auto before = saved(*p);
      p->begin_task(1);
      const auto after = saved(*p);
      const auto moved = moved_experts(before, after, 3, 3);
      for (int64_t l = 0; l < 3; ++l) {
        if (std::string(init) == "random") {
          EXPECT_TRUE(moved[size_t(l)].empty()) << "seed " << seed << " layer " << l;
          continue;
        }
        EXPECT_LE(moved[size_t(l)].size(), 1U) << "one candidate per layer";
        for (const auto e : moved[size_t(l)]) {
          const auto of = [&](int64_t x, const char* part) {
            return after.at(fmt::format("net/layer{}_expert{}/{}", l, x, part));
          };
          bool copy = false;
          for (int64_t source = 0; source < 3; ++source)
            copy |= source != e && torch::equal(of(e, "weight"), of(source, "weight")) &&
                    torch::equal(of(e, "bias"), of(source, "bias"));
          EXPECT_TRUE(copy) << "seed " << seed << " layer " << l << ": expert " << e << " is no copy";
          ++copies;
        }
      }
    }
  EXPECT_GT(copies, 0) << "no candidate ever started from a routed expert";
}

/// Examples in the replay buffer: the checkpoint keeps one route per replayed example.
int64_t replayed(const Program& p) { return saved(p).at("replay_routes").size(0); }

TEST(RoutingNetwork, ReplayHoldsExactlyItsSizePerFinishedTask) {
  for (const auto* architecture : {"routed", "dense_parameters"}) {
    auto p = network(std::string("architecture: ") + architecture + "\n");
    for (int64_t task = 0; task < 3; ++task) {
      train(*p, kPerTask);
      EXPECT_EQ(replayed(*p), 5 * task) << architecture << " in task " << task;
    }
  }
  auto none = network("", 5, "batch_size: 4\n", "replay_per_task: 0\nreplay_batch: 0\n");
  train(*none, kPerTask + 1);
  EXPECT_EQ(replayed(*none), 0);
}

TEST(RoutingNetwork, TheSeedFixesTheRunAndAnotherSeedChangesIt) {
  for (const auto* architecture : {"routed", "dense_parameters", "dense_compute"}) {
    const auto settings = std::string("architecture: ") + architecture + "\n";
    auto a = network(settings), b = network(settings), c = network(settings, 6);
    train(*a, 7), train(*b, 7), train(*c, 7);
    EXPECT_TRUE(same_state(*a, *b)) << architecture;
    EXPECT_FALSE(same_state(*a, *c)) << architecture;
    EXPECT_EQ(a->evaluate("test"), b->evaluate("test")) << architecture;
    EXPECT_EQ(a->evaluate("valid"), a->evaluate("valid")) << architecture;
  }
}

TEST(RoutingNetwork, AResumedRunEqualsAnUninterruptedOne) {
  auto whole = network("");
  train(*whole, 8);
  // At a task boundary (the command checkpoints there, before the next task begins) and within one.
  for (const int64_t at : {3, 4}) {
    auto first = network("");
    train(*first, at);
    std::istringstream bytes(bytes_of(*first));
    torch::serialize::InputArchive archive;
    archive.load_from(bytes);
    auto resumed = network("");
    resumed->load(archive);
    EXPECT_EQ(resumed->step(), at);
    train(*resumed, 8 - at);
    EXPECT_TRUE(same_state(*resumed, *whole)) << "resumed at " << at;
    EXPECT_EQ(resumed->allocation(), whole->allocation()) << "resumed at " << at;
    EXPECT_EQ(resumed->state(), whole->state()) << "resumed at " << at;
  }
}

TEST(RoutingNetwork, ItLearnsTheTasksInTurnAndReportsItsExpertUse) {
  auto p = network("", 5, "batch_size: 8\nlr: 0.01\n");
  for (int64_t s = 0; s < 3 * 60; ++s) {
    if (s % 60 == 0) p->begin_task(s / 60);
    p->train_step();
  }
  double accuracy = 0;
  for (const auto a : p->evaluate("test")) accuracy += a / 3;
  EXPECT_GT(accuracy, 0.7);  // chance is 1/3
  const auto use = p->allocation();
  ASSERT_EQ(use["layers"].size(), 3U);
  EXPECT_EQ(use["measure"], "share of inputs");
  for (const auto& row : use["layers"][0]) {
    double sum = 0;
    for (const auto& v : row) sum += v.get<double>();
    EXPECT_NEAR(sum, 1.0, 1e-9) << "every input takes one expert";
  }
}

TEST(RoutingNetwork, TheDenseBaselinesMatchParametersOrCompute) {
  const auto routed = network("")->parameter_count();
  const auto dense = network("architecture: dense_parameters\n")->parameter_count();
  EXPECT_GE(dense, routed);
  // The fewest units that do: one fewer falls short. Inputs are 12x12, 3 labels, 2 layers.
  const auto dense_of = [](int64_t w) { return (144 * w + w) + (w * w + w) + (w * 3 + 3); };
  int64_t width = 1;
  while (dense_of(width) < routed) ++width;
  EXPECT_EQ(dense, dense_of(width));
  EXPECT_EQ(network("architecture: dense_compute\n")->parameter_count(), dense_of(8));
  EXPECT_TRUE(network("architecture: dense_compute\n")->allocation().is_null());
}

TEST(RoutingNetwork, BadSettingsAreOneLineErrorsNamingTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"experts: 1", "experts: must be >= 2"},
      {"temperature: 0", "temperature: must be > 0"},
      {"claim: 0", "claim: must be within (0, 1]"},
      {"claim: 1.5", "claim: must be within (0, 1]"},
      {"replay_per_task: 10\nreplay_batch: 0", "replay_batch: must be 0 exactly when replay_per_task is"},
      {"architecture: sparse", "architecture: must be routed, dense_parameters or dense_compute"},
      {"cotrain: maybe", "cotrain"},
      {"replay_trains: some", "replay_trains: must be shared or all"},
      {"candidate_init: copy", "candidate_init: must be routed or random"},
  };
  for (const auto& c : cases) {
    const auto message = metaevo::testing::error_of(
        [&] { make_program(Config::parse("type: routing_network\n" + c.first, "bad.yaml"), 0); });
    EXPECT_NE(message.find(c.second), std::string::npos) << c.first << " -> " << message;
    EXPECT_NE(message.find("bad.yaml"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
  const auto mixed = metaevo::testing::error_of([] {
    make_program(Config::parse("type: routing_network\nreplay_per_task: 2\nreplay_batch: 2\n", "t.yaml"), 0)
        ->build({routing_task(0, 3), routing_task(1, 4)});
  });
  EXPECT_NE(mixed.find("the tasks must share their labels"), std::string::npos) << mixed;
}

TEST(RoutingNetwork, TheCommandRefusesStepsThatDoNotSplitEvenlyOverTheTasks) {
  const auto dir = std::filesystem::temp_directory_path() / "metaevo-route-uneven";
  std::filesystem::create_directories(dir);
  write_file_atomic((dir / "c.yaml").string(),
                    "data: {tasks: [mnist-perm:1, mnist-perm:2, mnist-perm:3]}\ntrain: {steps: 10}\n"
                    "program: {type: routing_network}\n");
  const auto err = (dir / "stderr").string();
  EXPECT_NE(wait_for(spawn({METAEVO_BINARY, "route", "--config", (dir / "c.yaml").string(), "--output",
                            (dir / "out").string()},
                           {}, err),
                     120),
            0);
  std::ifstream in(err);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("train.steps: a continual program meets its 3 tasks in turn"), std::string::npos) << text;
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << "refused before any work";
  std::filesystem::remove_all(dir);
}

}  // namespace
