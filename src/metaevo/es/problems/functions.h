#pragma once
// Analytic benchmark functions with known optima, as library code shared by tests, benchmarks and
// the CLI (the ensmallen/libcmaes/pycma convention). All are minimised and vectorised over rows.
//
// | name       | f(x)                                                     | optimum          |
// |------------|----------------------------------------------------------|------------------|
// | sphere     | sum x_i^2                                                | 0 at x = 0       |
// | ellipsoid  | sum 10^(6 (i-1)/(d-1)) x_i^2                             | 0 at x = 0       |
// | cigar      | x_1^2 + 10^6 sum_{i>1} x_i^2                             | 0 at x = 0       |
// | tablet     | 10^6 x_1^2 + sum_{i>1} x_i^2                             | 0 at x = 0       |
// | rosenbrock | sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2                | 0 at x = 1       |
// | rastrigin  | 10 d + sum x_i^2 - 10 cos(2 pi x_i)                      | 0 at x = 0       |
// | ackley     | -20 exp(-0.2 sqrt(mean x^2)) - exp(mean cos 2 pi x) + 20 + e | 0 at x = 0   |
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/es/problem.h"

namespace metaevo::es {

/// f of each row of x ([n, d], float64 recommended) -> [n].
torch::Tensor evaluate_function(const std::string& name, const torch::Tensor& x);
/// The minimiser of `name` in d dimensions.
torch::Tensor function_optimum(const std::string& name, int64_t dim);
std::vector<std::string> function_names();

struct FunctionProblemOptions {
  std::string function = "sphere";
  int64_t dim = 10;
  double x0 = 1.0;  // every coordinate of the start point
  template <class V>
  void visit(V& v) {
    v("function", function, "sphere | ellipsoid | cigar | tablet | rosenbrock | rastrigin | ackley");
    v("dim", dim, "number of dimensions");
    v("x0", x0, "start point (same value in every coordinate)");
  }
  void validate() const;
};

/// An analytic function as an ES problem (minimised; members evaluated in float64).
class FunctionProblem : public Problem {
 public:
  explicit FunctionProblem(FunctionProblemOptions options);
  Layout layout() const override { return Layout::flat(o_.dim); }
  torch::Tensor initial() const override { return torch::full({o_.dim}, o_.x0, torch::kFloat64); }
  Sense sense() const override { return Sense::kMinimize; }
  torch::Tensor evaluate(const Population& pop, int64_t begin, int64_t end) override;
  nlohmann::json report(const torch::Tensor& x) override;
  double flops_per_eval() const override { return 10.0 * double(o_.dim); }

 private:
  FunctionProblemOptions o_;
};

}  // namespace metaevo::es
