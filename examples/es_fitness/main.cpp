// ES on a fitness function of your own: CMA-ES minimises the 8-D Rosenbrock function.
// A Problem evaluates a slice of the population at once ([n, d] rows in, n values out); the
// driver runs ask -> evaluate -> tell until a stop rule. Exits 1 unless it gets within 1e-6.
#include <metaevo/metaevo.h>

#include <iostream>

namespace es = metaevo::es;

class Rosenbrock : public es::Problem {
 public:
  explicit Rosenbrock(int64_t dim) : dim_(dim) {}
  metaevo::models::Layout layout() const override { return metaevo::models::Layout::flat(dim_); }
  torch::Tensor initial() const override { return torch::zeros({dim_}, torch::kFloat64); }
  es::Sense sense() const override { return es::Sense::kMinimize; }
  torch::Tensor evaluate(const es::Population& pop, int64_t begin, int64_t end) override {
    const auto x = pop.members(begin, end);  // [n, dim]
    const auto a = x.slice(1, 0, dim_ - 1), b = x.slice(1, 1);
    return (100 * (b - a * a).pow(2) + (1 - a).pow(2)).sum(1);
  }

 private:
  int64_t dim_;
};

int main() {
  Rosenbrock problem(8);
  es::StrategyContext context{problem.layout(), problem.initial(), /*seed=*/1, problem.sense()};
  auto strategy = es::make_strategy(metaevo::Config::parse("{name: cmaes, sigma: 0.5}", "es_fitness"), context);
  es::DriverOptions options;
  options.generations = 3000;
  options.target = 1e-10;
  options.log_every_s = 0;
  es::Driver driver(*strategy, problem, options);
  const auto result = driver.run();
  std::cout << "stopped by " << result.stop_reason << " after " << result.state.generation
            << " generations: best f = " << result.state.best_fitness << "\n";
  return result.state.best_fitness < 1e-6 ? 0 : 1;
}
