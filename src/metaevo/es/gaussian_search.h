#pragma once
// Common machinery of the diagonal-Gaussian strategies (OpenAI-ES, PGPE, SNES): a center, a
// (scalar or per-coordinate) sigma, counter-based noise, optional mirrored pairs, and the two
// noise reductions their updates need. Each strategy adds only its update rule.
#include <torch/torch.h>

#include <memory>

#include "metaevo/es/noise.h"
#include "metaevo/es/optimizer.h"
#include "metaevo/es/shaping.h"
#include "metaevo/es/strategy.h"

namespace metaevo::es {

class GaussianSearch : public Strategy {
 public:
  Population ask() override;
  /// The strategy's update, then, when the processes slice it, the gathering of the slices.
  void tell(const Population& pop, const torch::Tensor& fitness) final;
  torch::Tensor center() const override { return center_; }
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  void share_update(UpdateSharing sharing) override { sharing_ = std::move(sharing); }

 protected:
  GaussianSearch(const StrategyContext& context, int64_t population, bool mirrored, torch::Tensor sigma,
                 const std::string& shaping);
  /// The update rule on this process's coordinates (mine()); tell() then counts the generation.
  /// With pop's fitness, it moves mine(center_), and mine(sigma_) when sigma is per coordinate.
  virtual void update(const Population& pop, const torch::Tensor& fitness) = 0;
  /// Shaped weights w_i (float64 [P]) for raw fitness.
  torch::Tensor weights(const torch::Tensor& fitness) const { return (*shaping_)(utility(fitness)); }
  /// sum_i w_i s_i z_{k(i)}: the signed noise sum (float32, this process's coordinates).
  torch::Tensor noise_sum(const Population& pop, const torch::Tensor& w) const;
  /// sum_i w_i (z_{k(i)}^2 - 1): the second-moment statistic of sigma updates (same coordinates).
  torch::Tensor noise_sq_sum(const Population& pop, const torch::Tensor& w) const;
  /// The coordinates this process updates: all, unless the processes slice the update.
  StepShare share() const;
  /// `full`'s elements at share()'s coordinates (a view; a scalar stays itself).
  torch::Tensor mine(const torch::Tensor& full) const { return full.dim() == 0 ? full : share().of(full); }

  torch::Tensor center_;  // float32 [d]
  torch::Tensor sigma_;   // float32 [] or [d]
  int64_t population_;
  bool mirrored_;
  std::shared_ptr<const Noise> noise_;
  std::unique_ptr<Shaping> shaping_;
  std::unique_ptr<Optimizer> optimizer_;  // center update rule; null when the rule is built in (SNES)

 private:
  /// The noise sum of `per_noise` weights at this process's coordinates, shared as sharing_ says.
  torch::Tensor shared_sum(const Population& pop, const torch::Tensor& per_noise, bool squared) const;
  bool sliced() const { return sharing_.size > 1 && sharing_.split == UpdateSharing::Split::kParameters; }
  /// shared_sum's sliced case: this process's elements of the noise sum.
  torch::Tensor sliced_sum(const Population& pop, const torch::Tensor& per_noise, bool squared) const;
  UpdateSharing sharing_;
};

}  // namespace metaevo::es
