// Classification fitness: chunks run in parallel, yet the values are those of the per-member
// networks and do not depend on the thread count.
#include "metaevo/es/problems/classification.h"

#include <gtest/gtest.h>

#include "metaevo/models/parameters.h"

namespace metaevo::es {
namespace {

data::Splits synthetic_data() {
  torch::manual_seed(0);
  data::Splits d;
  d.name = "synthetic";
  d.classes = 4;
  for (auto* part : {&d.train, &d.test}) {
    part->x = torch::rand({300, 1, 6, 6});
    part->y = torch::randint(0, 4, {300}, torch::kInt64);
  }
  return d;
}

struct Fixture {
  ClassificationProblem problem;
  Population pop;
  explicit Fixture(int64_t low_rank, int64_t eval_chunk) : problem(options(eval_chunk), model(), 5, synthetic_data()) {
    pop.generation = 7;
    pop.size = 22;  // not a multiple of the chunk: the last chunk is short
    pop.center = problem.initial();
    pop.sigma = torch::tensor(0.05f);
    pop.mirrored = true;
    pop.noise = std::make_shared<Noise>(11, problem.layout(), low_rank);
  }
  static ClassificationOptions options(int64_t eval_chunk) {
    ClassificationOptions o;
    o.batch = 40;
    o.eval_chunk = eval_chunk;
    return o;
  }
  static models::ModelOptions model() {
    models::ModelOptions m;
    m.hidden = {24};
    return m;
  }
};

class ClassificationFitness : public ::testing::TestWithParam<int64_t> {};

TEST_P(ClassificationFitness, BitwiseEqualAcrossThreadCounts) {
  Fixture f(GetParam(), 4);
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  auto one = f.problem.evaluate(f.pop, 0, f.pop.size);
  at::set_num_threads(2);
  auto two = f.problem.evaluate(f.pop, 0, f.pop.size);
  at::set_num_threads(before);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST_P(ClassificationFitness, MatchesPerMemberNetworks) {
  Fixture f(GetParam(), 4);
  auto fitness = f.problem.evaluate(f.pop, 0, f.pop.size);
  auto members = f.pop.members();
  auto idx = f.problem.batch_indices(f.pop.generation);
  auto data = synthetic_data();
  auto x = data.train.x.index_select(0, idx), y = data.train.y.index_select(0, idx);
  auto net = models::make_classifier(Fixture::model(), {1, 6, 6}, 4, 5);
  torch::NoGradGuard no_grad;
  for (int64_t i = 0; i < f.pop.size; ++i) {
    models::load_flat_parameters(*net, members[i].to(torch::kFloat32));
    const double loss = torch::nn::functional::cross_entropy(net->forward(x), y).item<double>();
    EXPECT_NEAR(fitness[i].item<double>(), loss, 1e-5) << "member " << i;
  }
}

TEST_P(ClassificationFitness, SlicesAlignedToChunksEqualTheWhole) {
  Fixture f(GetParam(), 4);
  auto whole = f.problem.evaluate(f.pop, 0, f.pop.size);
  auto parts = torch::cat({f.problem.evaluate(f.pop, 0, 8), f.problem.evaluate(f.pop, 8, f.pop.size)});
  EXPECT_TRUE(torch::equal(whole, parts));
}

INSTANTIATE_TEST_SUITE_P(Rank, ClassificationFitness, ::testing::Values(0, 3),
                         [](const auto& info) { return info.param ? "LowRank" : "FullRank"; });

}  // namespace
}  // namespace metaevo::es
