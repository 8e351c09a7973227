#include "metaevo/es/gaussian_search.h"

#include "metaevo/core/serialize.h"

namespace metaevo::es {

GaussianSearch::GaussianSearch(const StrategyContext& context, int64_t population, bool mirrored,
                               torch::Tensor sigma, const std::string& shaping)
    : center_(context.x0.to(torch::kFloat32).clone()),
      sigma_(std::move(sigma)),
      population_(population),
      mirrored_(mirrored),
      noise_(std::make_shared<Noise>(context.seed, context.layout, context.low_rank)),
      shaping_(make_shaping(shaping)) {
  sense_ = context.sense;
  METAEVO_CHECK(center_.dim() == 1 && center_.size(0) == context.layout.dim(),
                "strategy: start point has {} values but the problem has {}", center_.numel(),
                context.layout.dim());
}

Population GaussianSearch::ask() {
  Population pop;
  pop.generation = generation_;
  pop.size = population_;
  pop.center = center_;
  pop.sigma = sigma_;
  pop.mirrored = mirrored_;
  pop.noise = noise_;
  return pop;
}

torch::Tensor GaussianSearch::noise_sum(const Population& pop, const torch::Tensor& w) const {
  return noise_->weighted_sum(pop.generation, pop.fold_signed(w));
}

torch::Tensor GaussianSearch::noise_sq_sum(const Population& pop, const torch::Tensor& w) const {
  auto folded = pop.fold(w);
  return noise_->weighted_sum_sq(pop.generation, folded) - float(folded.sum().item<double>());
}

void GaussianSearch::save(torch::serialize::OutputArchive& archive) const {
  archive.write("center", center_);
  archive.write("sigma", sigma_);
  archive.write("generation", torch::tensor(generation_));
  if (optimizer_) {
    torch::serialize::OutputArchive opt;
    optimizer_->save(opt);
    archive.write("optimizer", opt);
  }
}

void GaussianSearch::load(torch::serialize::InputArchive& archive) {
  read_tensor(archive, "center", center_);
  read_tensor(archive, "sigma", sigma_);
  torch::Tensor g;
  read_tensor(archive, "generation", g);
  generation_ = g.item<int64_t>();
  if (optimizer_) {
    torch::serialize::InputArchive opt;
    if (!archive.try_read("optimizer", opt)) fail("checkpoint: missing entry 'optimizer'");
    optimizer_->load(opt);
  }
}

}  // namespace metaevo::es
