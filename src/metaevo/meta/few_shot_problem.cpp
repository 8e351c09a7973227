#include "metaevo/meta/few_shot_problem.h"

#include <cmath>

#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/dataset.h"
#include "metaevo/es/chunks.h"
#include "metaevo/es/run.h"
#include "metaevo/models/parameters.h"
#include "metaevo/models/population_forward.h"
#include "metaevo/meta/protonet.h"

namespace metaevo::meta {
namespace {

// Per-member loss or accuracy of embeddings [n, support + query, D] of episode `e`.
torch::Tensor episode_fitness(const torch::Tensor& embeddings, const Episode& e, int64_t ways, bool loss) {
  const int64_t support = e.support.size(0), query = e.query.size(0);
  auto protos = prototypes(embeddings.narrow(1, 0, support), ways);
  auto logits = proto_logits(embeddings.narrow(1, support, query), protos);  // [n, Q, ways]
  auto labels = e.query_labels.to(logits.device()).view({1, -1, 1}).expand({logits.size(0), -1, 1});
  if (loss) return -torch::log_softmax(logits, -1).gather(2, labels).squeeze(2).mean(1);
  return logits.argmax(-1).eq(labels.squeeze(2)).to(torch::kFloat32).mean(1);
}

Registrar<es::ProblemRegistry> reg_few_shot("few_shot", [](const Config& cfg, uint64_t seed) {
  return std::make_unique<FewShotProblem>(read_options<FewShotOptions>(cfg), seed);
});

}  // namespace

void FewShotOptions::validate() const {
  episode().validate();
  require(episodes >= 1, "episodes", "must be >= 1, got {}", episodes);
  require(channels >= 1, "channels", "must be >= 1, got {}", channels);
  require(eval_chunk >= 1, "eval_chunk", "must be >= 1, got {}", eval_chunk);
  require(val_episodes >= 1, "val_episodes", "must be >= 1, got {}", val_episodes);
  require(fitness == "loss" || fitness == "accuracy", "fitness", "must be loss or accuracy, got '{}'", fitness);
}

EpisodeAccuracy evaluate_episodes(torch::nn::Sequential encoder, const EpisodeSampler& sampler, int64_t count,
                                  torch::Device device) {
  torch::NoGradGuard no_grad;
  encoder->train();  // batch-norm on episode statistics, as in training (see few_shot_problem.h)
  std::vector<double> acc;
  for (int64_t i = 0; i < count; ++i) {
    const auto e = sampler.episode(i);
    auto emb = encoder->forward(torch::cat({e.support, e.query}).to(device)).unsqueeze(0);
    acc.push_back(episode_fitness(emb, e, sampler.options().ways, /*loss=*/false).item<double>());
  }
  const auto t = torch::tensor(acc, torch::kFloat64);
  const double sd = count > 1 ? t.std().item<double>() : 0.0;
  return {t.mean().item<double>(), 1.96 * sd / std::sqrt(double(count))};
}

FewShotProblem::FewShotProblem(const FewShotOptions& o, uint64_t seed) : o_(o), device_(parse_device(o.device)) {
  o_.validate();
  const auto dir = data::resolve_data_dir("omniglot", o_.data_dir);
  const auto omniglot = data::Omniglot::load(dir);
  const auto classes = [&](const std::string& split) {
    return data::read_vinyals_split(data::vinyals_split_path(dir, split));
  };
  train_ = std::make_unique<EpisodeSampler>(omniglot, classes(o_.train_split), o_.episode(), mix64(seed, 1));
  // Validation episodes are the same for every run (fixed seed), so reports compare across runs.
  val_ = std::make_unique<EpisodeSampler>(omniglot, classes(o_.val_split), o_.episode(), 0x5EED);
  encoder_ = make_conv4(1, o_.channels, seed);
  layout_ = models::parameter_layout(*encoder_);
  initial_ = models::flatten_parameters(*encoder_);
  encoder_->to(device_);
}

torch::Tensor FewShotProblem::evaluate(const es::Population& pop, int64_t begin, int64_t end) {
  std::vector<Episode> episodes;
  std::vector<std::unique_ptr<models::PopulationForward>> forwards;
  std::vector<torch::Tensor> inputs;
  for (int64_t j = 0; j < o_.episodes; ++j) {
    episodes.push_back(train_->episode(pop.generation * o_.episodes + j));
    inputs.push_back(torch::cat({episodes.back().support, episodes.back().query}).to(device_));
    forwards.push_back(std::make_unique<models::PopulationForward>(encoder_, pop, inputs.back()));
  }
  const bool loss = o_.fitness == "loss";
  return es::evaluate_in_chunks(begin, end, o_.eval_chunk, device_.is_cpu(), [&](int64_t c0, int64_t c1) {
    torch::Tensor total;
    for (size_t j = 0; j < episodes.size(); ++j) {
      auto f = episode_fitness((*forwards[j])(c0, c1), episodes[j], o_.ways, loss);
      total = total.defined() ? total + f : f;
    }
    return total / double(episodes.size());
  });
}

nlohmann::json FewShotProblem::report(const torch::Tensor& x) {
  models::load_flat_parameters(*encoder_, x.to(torch::kFloat32).to(device_));
  const auto acc = evaluate_episodes(encoder_, *val_, o_.val_episodes, device_);
  return {{"val_acc", acc.mean}, {"val_ci95", acc.ci95}};
}

}  // namespace metaevo::meta
