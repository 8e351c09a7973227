#pragma once
// A search strategy proposes (ask) and updates (tell); it never evaluates. One driver runs
// ask -> evaluate -> tell -> observers, which is where distribution, checkpointing and progress
// attach (the libcmaes ask/eval/tell split).
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/core/registry.h"
#include "metaevo/es/population.h"
#include "metaevo/es/problem.h"

namespace metaevo::es {

/// What every strategy is built from besides its own options.
struct StrategyContext {
  Layout layout;
  torch::Tensor x0;  // starting point [d]
  uint64_t seed = 0;
  Sense sense = Sense::kMinimize;
  int64_t low_rank = 0;  // r > 0: low-rank perturbations for matrix segments (Gaussian strategies)
};

/// How the processes of a job share the work of an update (see Strategy::share_update).
struct UpdateSharing {
  /// kNoise: each process sums its share of the perturbations over every parameter, and the
  /// partial sums are all-reduced (O(parameters) traffic, equal to rounding). kParameters: each
  /// process builds the whole update of its slice of the parameters, and the slices are
  /// all-gathered; a slice's noise sum comes from every perturbation (bitwise) for full-rank
  /// segments, and by a reduce-scatter of partial sums (to rounding) for low-rank ones.
  enum class Split { kNoise, kParameters };
  Split split = Split::kNoise;
  int rank = 0, size = 1;
  std::function<void(torch::Tensor&)> all_reduce;  // elementwise sum over processes, in place
  /// Every process's block of a contiguous float32 tensor, blocks of `counts` in rank order, in place.
  std::function<void(torch::Tensor&, const std::vector<int64_t>& counts)> all_gather;
  /// The sum over processes of this process's block of such a tensor, into that block, in place.
  std::function<void(torch::Tensor&, const std::vector<int64_t>& counts)> reduce_scatter;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  virtual Population ask() = 0;
  /// `fitness`: raw values of every member of `pop` (float64 [P]), in the problem's sense.
  virtual void tell(const Population& pop, const torch::Tensor& fitness) = 0;
  /// Current estimate of the optimum (the search distribution's center) [d].
  virtual torch::Tensor center() const = 0;
  /// Non-empty once the strategy has converged or cannot go on (CMA-ES termination criteria).
  virtual std::string stop_reason() const { return ""; }
  /// Splits the work of tell() over the processes of a job (UpdateSharing::Split), against every
  /// process computing the whole update (traffic O(population) per generation, the default).
  /// Strategies whose update does not split ignore it.
  virtual void share_update(UpdateSharing sharing) {}
  /// Complete state: enough to continue bitwise-identically after load.
  virtual void save(torch::serialize::OutputArchive& archive) const = 0;
  virtual void load(torch::serialize::InputArchive& archive) = 0;
  int64_t generation() const { return generation_; }

 protected:
  /// Utilities, higher = better, from raw fitness.
  torch::Tensor utility(const torch::Tensor& fitness) const {
    auto f = fitness.to(torch::kFloat64);
    // NaN (a diverged member) ranks last instead of poisoning the update.
    f = torch::where(torch::isnan(f), torch::full_like(f, sense_ == Sense::kMaximize ? -1e300 : 1e300), f);
    return sense_ == Sense::kMaximize ? f : -f;
  }
  Sense sense_ = Sense::kMinimize;
  int64_t generation_ = 0;
};

using StrategyRegistry = Registry<Strategy, const Config&, const StrategyContext&>;

/// Builds the strategy named by `config.name`, reading its options from `config`.
std::unique_ptr<Strategy> make_strategy(const Config& config, const StrategyContext& context);

}  // namespace metaevo::es
