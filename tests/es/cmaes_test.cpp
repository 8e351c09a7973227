// CMA-ES, sep-CMA-ES and IPOP restarts: convergence on known problems within bounded budgets over
// several seeds, resume equal to an uninterrupted run, stop criteria, and options errors.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <set>

#include "../support/archives.h"
#include "metaevo/core/philox.h"
#include "metaevo/es/problems/functions.h"
#include "metaevo/es/strategy.h"

namespace metaevo::es {
namespace {

using Fitness = std::function<torch::Tensor(const Population&)>;

std::unique_ptr<Strategy> build(const std::string& yaml, const torch::Tensor& x0, uint64_t seed) {
  StrategyContext c;
  c.layout = Layout::flat(x0.size(0));
  c.x0 = x0;
  c.seed = seed;
  c.sense = Sense::kMinimize;
  return make_strategy(Config::parse(yaml, "test"), c);
}

torch::Tensor constant(int64_t dim, double value) { return torch::full({dim}, value, torch::kFloat64); }

Fitness function(const std::string& name, int64_t dim) {
  FunctionProblemOptions o;
  o.function = name;
  o.dim = dim;
  auto problem = std::make_shared<FunctionProblem>(o);
  return [problem](const Population& pop) { return problem->evaluate(pop, 0, pop.size); };
}

/// The ellipsoid in coordinates rotated by a fixed random orthogonal matrix, so that a diagonal
/// covariance cannot fit it.
Fitness rotated_ellipsoid(int64_t dim) {
  auto a = philox_normal({2024, 0, 0, 0}, dim * dim).view({dim, dim}).to(torch::kFloat64);
  auto q = std::get<0>(torch::linalg::qr(a));
  return [q](const Population& pop) { return evaluate_function("ellipsoid", pop.members().matmul(q)); };
}

struct Outcome {
  double best = std::numeric_limits<double>::infinity();
  int64_t evals = 0;
};

/// ask -> evaluate -> tell until the best value reaches `target`, the strategy stops or the budget is spent.
Outcome minimise(Strategy& s, const Fitness& fitness, double target, int64_t max_evals) {
  Outcome out;
  while (out.best >= target && out.evals < max_evals && s.stop_reason().empty()) {
    auto pop = s.ask();
    auto f = fitness(pop);
    s.tell(pop, f);
    out.evals += pop.size;
    out.best = std::min(out.best, f.min().item<double>());
  }
  return out;
}

}  // namespace

// pycma's doctest reaches 1e-12 on this problem in < 8000 evaluations (with a diagonal phase).
TEST(Cmaes, SolvesRosenbrock10DForMostSeeds) {
  int solved = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    auto s = build("name: cmaes\nsigma: 0.3", constant(10, 0.1), seed);
    const auto out = minimise(*s, function("rosenbrock", 10), 1e-10, 10000);
    std::printf("[ cmaes rosenbrock-10 ] seed %d: best %.3g after %d evaluations%s\n", int(seed), out.best,
                int(out.evals), s->stop_reason().empty() ? "" : (" (" + s->stop_reason() + ")").c_str());
    solved += out.best < 1e-10;
  }
  EXPECT_GE(solved, 4);
}

TEST(Cmaes, SolvesRotatedEllipsoid10D) {
  for (uint64_t seed : {1, 2}) {
    auto s = build("name: cmaes\nsigma: 0.5", constant(10, 1.0), seed);
    const auto out = minimise(*s, rotated_ellipsoid(10), 1e-10, 10000);
    EXPECT_LT(out.best, 1e-10) << "seed " << seed << " after " << out.evals << " evaluations";
  }
}

TEST(Cmaes, SeparableSolvesSphereAndEllipsoid30D) {
  for (const auto& [name, budget] :
       std::vector<std::pair<std::string, int64_t>>{{"sphere", 6000}, {"ellipsoid", 15000}}) {
    for (uint64_t seed : {1, 2}) {
      auto s = build("name: sep_cmaes\nsigma: 0.5", constant(30, 1.0), seed);
      const auto out = minimise(*s, function(name, 30), 1e-10, budget);
      EXPECT_LT(out.best, 1e-10) << name << " seed " << seed << " after " << out.evals << " evaluations";
    }
  }
}

// A full covariance for 1e5 coordinates would need 80 GB; sep-CMA-ES must stay O(n).
TEST(Cmaes, SeparableRunsOnAHundredThousandCoordinates) {
  const int64_t dim = 100000;
  auto s = build("name: sep_cmaes\nsigma: 0.01", constant(dim, 1.0), 5);
  auto sphere = function("sphere", dim);
  for (int g = 0; g < 3; ++g) {
    auto pop = s->ask();
    ASSERT_EQ(pop.samples.sizes(), (std::vector<int64_t>{pop.size, dim}));
    s->tell(pop, sphere(pop));
  }
  const double f = evaluate_function("sphere", s->center().unsqueeze(0)).item<double>();
  EXPECT_LT(f, double(dim));
}

// Auger & Hansen (2005): IPOP-CMA-ES locates the global optimum of Rastrigin, where a single run with
// the default population usually ends in a local optimum.
TEST(Cmaes, IpopSolvesRastrigin10D) {
  for (uint64_t seed : {1, 2}) {
    auto s = build("name: cmaes\nsigma: 2\nrestarts: 9\nrestart_box: 5", constant(10, 0.0), seed);
    const auto out = minimise(*s, function("rastrigin", 10), 1e-8, 300000);
    std::printf("[ ipop rastrigin-10 ] seed %d: best %.3g after %d evaluations\n", int(seed), out.best, int(out.evals));
    EXPECT_LT(out.best, 1e-8) << "seed " << seed << " after " << out.evals << " evaluations: " << s->stop_reason();
  }
}

TEST(Cmaes, StopsOnceRestartsAreExhausted) {
  auto sphere = function("sphere", 5);
  for (int64_t restarts : {0, 2}) {
    auto s = build("name: cmaes\nsigma: 0.5\ntolfun: 1e-6\nrestarts: " + std::to_string(restarts), constant(5, 1.0), 3);
    std::set<int64_t> sizes;
    double best = std::numeric_limits<double>::infinity();
    for (int g = 0; g < 5000 && s->stop_reason().empty(); ++g) {
      auto pop = s->ask();
      sizes.insert(pop.size);
      auto f = sphere(pop);
      s->tell(pop, f);
      best = std::min(best, f.min().item<double>());
    }
    EXPECT_NE(s->stop_reason(), "");
    // lambda = 4 + floor(3 ln 5) = 8, doubled at each restart.
    std::set<int64_t> expected{8};
    for (int64_t r = 1; r <= restarts; ++r) expected.insert(8 << r);
    EXPECT_EQ(sizes, expected) << s->stop_reason();
    // Once finished, center() is the best member ever evaluated.
    EXPECT_EQ(evaluate_function("sphere", s->center().unsqueeze(0)).item<double>(), best);
  }
}

// A fresh strategy is loaded from the previous generation's checkpoint at every generation, so
// every point of the state machine (lazy eigendecomposition, restarts, start points) is crossed.
TEST(Cmaes, ResumeAtEveryGenerationIsBitwiseIdentical) {
  struct Case {
    std::string yaml;
    Fitness fitness;
    torch::Tensor x0;
    int generations;
    int64_t min_runs;
  };
  const std::vector<Case> cases = {
      // n = 400: the eigendecomposition runs every 3rd generation only.
      {"name: cmaes\nsigma: 0.5", function("sphere", 400), constant(400, 1.0), 8, 1},
      {"name: sep_cmaes\nsigma: 0.5", function("ellipsoid", 20), constant(20, 1.0), 40, 1},
      {"name: cmaes\nsigma: 0.5\ntolfun: 1e-2\nrestarts: 3\nrestart_box: 1", function("sphere", 6), constant(6, 1.0),
       150, 3},
  };
  for (const auto& c : cases) {
    auto whole = build(c.yaml, c.x0, 9);
    auto bytes = testing::saved_bytes(*build(c.yaml, c.x0, 9));
    std::set<int64_t> sizes;
    for (int g = 0; g < c.generations; ++g) {
      auto resumed = build(c.yaml, c.x0, 9);
      testing::load_saved(*resumed, bytes);
      auto p1 = whole->ask(), p2 = resumed->ask();
      ASSERT_TRUE(torch::equal(p1.samples, p2.samples)) << c.yaml << "\ngeneration " << g;
      sizes.insert(p1.size);
      whole->tell(p1, c.fitness(p1));
      resumed->tell(p2, c.fitness(p2));
      bytes = testing::saved_bytes(*resumed);
      ASSERT_TRUE(torch::equal(whole->center(), resumed->center())) << c.yaml << "\ngeneration " << g;
      ASSERT_EQ(whole->stop_reason(), resumed->stop_reason());
    }
    EXPECT_GE(int64_t(sizes.size()), c.min_runs) << c.yaml;  // each restart doubles the population
  }
}

TEST(Cmaes, CheckpointOfTheOtherVariantIsRefused) {
  auto sep = build("name: sep_cmaes", constant(4, 1.0), 0);
  auto full = build("name: cmaes", constant(4, 1.0), 0);
  EXPECT_THROW(testing::load_saved(*full, testing::saved_bytes(*sep)), Error);
  EXPECT_THROW(testing::load_saved(*sep, testing::saved_bytes(*full)), Error);
}

TEST(Cmaes, BadOptionsNameTheKey) {
  for (const std::string name : {"cmaes", "sep_cmaes"}) {
    for (const auto& [yaml, key] :
         std::vector<std::pair<std::string, std::string>>{{"sigma: 0", "sigma"},
                                                          {"sigma: -1", "sigma"},
                                                          {"population: 1", "population"},
                                                          {"restarts: -1", "restarts"},
                                                          {"pop_increase: 0.5", "pop_increase"},
                                                          {"restart_box: -2", "restart_box"},
                                                          {"max_condition: 1", "max_condition"}}) {
      try {
        build("name: " + name + "\n" + yaml, constant(4, 1.0), 0);
        ADD_FAILURE() << "no error for " << name << ": " << yaml;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      }
    }
  }
}

}  // namespace metaevo::es
