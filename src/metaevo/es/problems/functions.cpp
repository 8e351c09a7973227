#include "metaevo/es/problems/functions.h"

#include <cmath>

#include "metaevo/core/options.h"

namespace metaevo::es {
namespace {

torch::Tensor axis_weights(int64_t d, const torch::TensorOptions& opts) {
  if (d == 1) return torch::ones({1}, opts);
  return torch::pow(10.0, 6.0 * torch::arange(d, opts) / double(d - 1));
}

}  // namespace

std::vector<std::string> function_names() {
  return {"sphere", "ellipsoid", "cigar", "tablet", "rosenbrock", "rastrigin", "ackley"};
}

torch::Tensor evaluate_function(const std::string& name, const torch::Tensor& x) {
  const int64_t d = x.size(1);
  if (name == "sphere") return x.square().sum(1);
  if (name == "ellipsoid") return (x.square() * axis_weights(d, x.options())).sum(1);
  if (name == "cigar") return x.select(1, 0).square() + 1e6 * x.narrow(1, 1, d - 1).square().sum(1);
  if (name == "tablet") return 1e6 * x.select(1, 0).square() + x.narrow(1, 1, d - 1).square().sum(1);
  if (name == "rosenbrock") {
    auto head = x.narrow(1, 0, d - 1), tail = x.narrow(1, 1, d - 1);
    return (100.0 * (tail - head.square()).square() + (1.0 - head).square()).sum(1);
  }
  if (name == "rastrigin") return 10.0 * d + (x.square() - 10.0 * torch::cos(2 * M_PI * x)).sum(1);
  if (name == "ackley") {
    return -20.0 * torch::exp(-0.2 * x.square().mean(1).sqrt()) - torch::cos(2 * M_PI * x).mean(1).exp() + 20.0 + M_E;
  }
  fail("problem.function: unknown function '{}' (choose one of: {})", name, fmt::join(function_names(), ", "));
}

torch::Tensor function_optimum(const std::string& name, int64_t dim) {
  return name == "rosenbrock" ? torch::ones({dim}, torch::kFloat64) : torch::zeros({dim}, torch::kFloat64);
}

void FunctionProblemOptions::validate() const {
  const auto names = function_names();
  require(std::find(names.begin(), names.end(), function) != names.end(), "function",
          "unknown function '{}' (choose one of: {})", function, fmt::join(names, ", "));
  require(dim >= 2, "dim", "must be >= 2, got {}", dim);
}

FunctionProblem::FunctionProblem(FunctionProblemOptions options) : o_(std::move(options)) { o_.validate(); }

torch::Tensor FunctionProblem::evaluate(const Population& pop, int64_t begin, int64_t end) {
  return evaluate_function(o_.function, pop.members(begin, end).to(torch::kFloat64));
}

nlohmann::json FunctionProblem::report(const torch::Tensor& x) {
  auto xd = x.to(torch::kFloat64);
  return {{"f", evaluate_function(o_.function, xd.unsqueeze(0)).item<double>()},
          {"distance_to_optimum", (xd - function_optimum(o_.function, o_.dim)).norm().item<double>()}};
}

}  // namespace metaevo::es
