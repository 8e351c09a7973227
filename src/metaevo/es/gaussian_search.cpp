#include "metaevo/es/gaussian_search.h"

#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/es/sharding.h"

namespace metaevo::es {

GaussianSearch::GaussianSearch(const StrategyContext& context, int64_t population, bool mirrored, torch::Tensor sigma,
                               const std::string& shaping)
    : center_(context.x0.to(torch::kFloat32).clone()),
      sigma_(std::move(sigma)),
      population_(population),
      mirrored_(mirrored),
      noise_(std::make_shared<Noise>(context.seed, context.layout, context.low_rank)),
      shaping_(make_shaping(shaping)) {
  sense_ = context.sense;
  // Fitness, utilities, folded weights and their float64 copies: O(population) vectors, whatever
  // the model (perturbations are rebuilt per chunk, never stored).
  check_fits_in_memory(double(population) * 8 * 6, "strategy.population",
                       fmt::format("{} members x 6 float64 vectors", population));
  METAEVO_CHECK(center_.dim() == 1 && center_.size(0) == context.layout.dim(),
                "strategy: start point has {} values but the problem has {}", center_.numel(), context.layout.dim());
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

void GaussianSearch::tell(const Population& pop, const torch::Tensor& fitness) {
  update(pop, fitness);
  ++generation_;
  if (!sliced()) return;
  // Every process leaves with the whole state, as if it had made the whole update: checkpoints,
  // interrupts and resumes at another process count need nothing more.
  std::vector<int64_t> counts;
  for (int r = 0; r < sharing_.size; ++r) counts.push_back(slice(center_.size(0), r, sharing_.size).size());
  std::vector<torch::Tensor> state{center_};
  if (sigma_.dim() == 1) state.push_back(sigma_);
  if (optimizer_)
    for (const auto& t : optimizer_->coordinate_state()) state.push_back(t);
  for (auto& t : state) sharing_.all_gather(t, counts);
}

StepShare GaussianSearch::share() const {
  const int64_t dim = center_.size(0);
  if (!sliced()) return {{0, dim}};
  return {slice(dim, sharing_.rank, sharing_.size), [this](double x) {
            auto t = torch::tensor(x, torch::kFloat64);
            sharing_.all_reduce(t);
            return t.item<double>();
          }};
}

torch::Tensor GaussianSearch::shared_sum(const Population& pop, const torch::Tensor& per_noise, bool squared) const {
  if (sliced()) return sliced_sum(pop, per_noise, squared);
  if (sharing_.size <= 1)
    return squared ? noise_->weighted_sum_sq(pop.generation, per_noise)
                   : noise_->weighted_sum(pop.generation, per_noise);
  const auto [k0, k1] = shard(per_noise.size(0), 1, sharing_.rank, sharing_.size);
  auto mine = per_noise.narrow(0, k0, k1 - k0);
  auto sum =
      squared ? noise_->weighted_sum_sq(pop.generation, mine, k0) : noise_->weighted_sum(pop.generation, mine, k0);
  sharing_.all_reduce(sum);
  return sum;
}

torch::Tensor GaussianSearch::sliced_sum(const Population& pop, const torch::Tensor& per_noise, bool squared) const {
  const auto range = share().range;
  auto out = torch::empty({range.size()}, torch::kFloat32);
  const auto [k0, k1] = shard(per_noise.size(0), 1, sharing_.rank, sharing_.size);
  for (size_t seg = 0; seg < noise_->layout().segments().size(); ++seg) {
    const auto& s = noise_->layout().segments()[seg];
    std::vector<int64_t> counts;  // each process's elements of this segment
    for (int r = 0; r < sharing_.size; ++r) {
      const auto theirs = slice(center_.size(0), r, sharing_.size);
      counts.push_back(
          std::max<int64_t>(0, std::min(theirs.end, s.offset + s.numel) - std::max(theirs.begin, s.offset)));
    }
    const int64_t lo = std::max(range.begin, s.offset), mine = counts[size_t(sharing_.rank)];
    if (!noise_->is_low_rank(s)) {
      // Full rank: this process's elements alone, from every perturbation.
      if (mine > 0)
        out.narrow(0, lo - range.begin, mine)
            .copy_(squared ? noise_->weighted_sum_sq(pop.generation, per_noise, 0, FlatRange{lo, lo + mine})
                           : noise_->weighted_sum(pop.generation, per_noise, 0, FlatRange{lo, lo + mine}));
      continue;
    }
    // Low rank: any of its elements needs a whole factor of every perturbation, so each process
    // sums the whole segment over its share of the perturbations, and each receives the total of
    // its own elements (a collective every process joins, owning elements or not).
    auto partial = noise_->segment_sum(pop.generation, int64_t(seg), per_noise.narrow(0, k0, k1 - k0), k0, squared);
    sharing_.reduce_scatter(partial, counts);
    if (mine > 0) out.narrow(0, lo - range.begin, mine).copy_(partial.narrow(0, lo - s.offset, mine));
  }
  return out;
}

torch::Tensor GaussianSearch::noise_sum(const Population& pop, const torch::Tensor& w) const {
  return shared_sum(pop, pop.fold_signed(w), /*squared=*/false);
}

torch::Tensor GaussianSearch::noise_sq_sum(const Population& pop, const torch::Tensor& w) const {
  auto folded = pop.fold(w);
  return shared_sum(pop, folded, /*squared=*/true) - float(folded.sum().item<double>());
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
