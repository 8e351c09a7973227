#pragma once
// What a strategy optimises: a batch-first fitness over a population slice. Test functions,
// supervised networks, few-shot episodes and multilevel problems all implement this.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "metaevo/es/population.h"

namespace metaevo::es {

enum class Sense { kMinimize, kMaximize };
Sense parse_sense(const std::string& name);  // "minimize" | "maximize"
const char* sense_name(Sense sense);

class Problem {
 public:
  virtual ~Problem() = default;
  /// Tensor layout of the search space (segments = a model's parameters).
  virtual Layout layout() const = 0;
  /// Default starting point (float32 or float64 [d]).
  virtual torch::Tensor initial() const = 0;
  virtual Sense sense() const = 0;
  /// Fitness of members [begin, end) of `pop`: a float64 [end - begin] tensor. Must depend only on
  /// the members' parameters and the generation, so any split of the population agrees.
  virtual torch::Tensor evaluate(const Population& pop, int64_t begin, int64_t end) = 0;
  /// Members evaluated together (batched). Splits of a population (across processes) fall on
  /// multiples of it, so each member's floating-point work is the same however it is split.
  virtual int64_t eval_chunk() const { return 1; }
  /// Extra measurements of a solution (test accuracy, distance to optimum), for logs and reports.
  virtual nlohmann::json report(const torch::Tensor& x) { return nlohmann::json::object(); }
  /// Floating-point operations to evaluate one member once (0 when unknown).
  virtual double flops_per_eval() const { return 0.0; }
  /// The network with parameters `x`, for saving weights by layer name; null when the problem is
  /// not a network.
  virtual std::shared_ptr<torch::nn::Module> model(const torch::Tensor& x) const { return nullptr; }
};

}  // namespace metaevo::es
