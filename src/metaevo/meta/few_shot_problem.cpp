#include "metaevo/meta/few_shot_problem.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/datasets.h"
#include "metaevo/es/chunks.h"
#include "metaevo/es/population_forward.h"
#include "metaevo/es/run.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/models/parameters.h"
#include "metaevo/models/zoo.h"

namespace metaevo::meta {
namespace {

Registrar<es::ProblemRegistry> few_shot_registration(
    "few_shot",
    [](const Config& cfg, uint64_t seed) {
      return std::make_unique<FewShotProblem>(read_options<FewShotOptions>(cfg), seed);
    },
    variant_doc<FewShotOptions>("few-shot episodes scored by a Prototypical Network's query loss (conv4 encoder)"));

}  // namespace

torch::Tensor query_fitness(const torch::Tensor& embeddings, const data::Episode& e, int64_t ways, bool loss) {
  const int64_t support = e.support.size(0), query = e.query.size(0);
  auto protos = prototypes(embeddings.narrow(1, 0, support), ways);
  auto logits = proto_logits(embeddings.narrow(1, support, query), protos);  // [n, Q, ways]
  auto labels = e.query_labels.to(logits.device()).view({1, -1, 1}).expand({logits.size(0), -1, 1});
  if (loss) return -torch::log_softmax(logits, -1).gather(2, labels).squeeze(2).mean(1);
  return logits.argmax(-1).eq(labels.squeeze(2)).to(torch::kFloat32).mean(1);
}

void FewShotOptions::validate() const {
  episode().validate();
  data::require_dataset("dataset", dataset);
  require(episodes >= 1, "episodes", "must be >= 1, got {}", episodes);
  require(channels >= 1, "channels", "must be >= 1, got {}", channels);
  require(eval_chunk >= 1, "eval_chunk", "must be >= 1, got {}", eval_chunk);
  require(val_episodes >= 1, "val_episodes", "must be >= 1, got {}", val_episodes);
  require(val_ways == 0 || val_ways >= 2, "val_ways", "must be 0 (ways) or >= 2, got {}", val_ways);
  require(val_shots >= 0, "val_shots", "must be 0 (shots) or >= 1, got {}", val_shots);
  require(val_queries >= 0, "val_queries", "must be 0 (queries) or >= 1, got {}", val_queries);
  require(fitness == "loss" || fitness == "accuracy", "fitness", "must be loss or accuracy, got '{}'", fitness);
}

EpisodeAccuracy evaluate_episodes(torch::nn::Sequential encoder, const data::EpisodeSampler& sampler, int64_t count,
                                  torch::Device device) {
  torch::NoGradGuard no_grad;
  encoder->train();  // batch-norm on episode statistics, as in training (see few_shot_problem.h)
  std::vector<double> acc;
  for (int64_t i = 0; i < count; ++i) {
    const auto e = sampler.episode(i);
    auto emb = encoder->forward(torch::cat({e.support, e.query}).to(device)).unsqueeze(0);
    acc.push_back(query_fitness(emb, e, sampler.options().ways, /*loss=*/false).item<double>());
  }
  const auto t = torch::tensor(acc, torch::kFloat64);
  const double sd = count > 1 ? t.std().item<double>() : 0.0;
  return {t.mean().item<double>(), 1.96 * sd / std::sqrt(double(count))};
}

void TestOptions::validate() const {
  require(split == "test" || split == "valid", "split", "must be test or valid, got '{}'", split);
  require(!ways.empty() && !shots.empty(), "ways", "ways and shots must list at least one value each");
  for (auto w : ways) require(w >= 2, "ways", "must be >= 2, got {}", w);
  for (auto k : shots) require(k >= 1, "shots", "must be >= 1, got {}", k);
  require(queries >= 1, "queries", "must be >= 1, got {}", queries);
  require(episodes >= 2, "episodes", "must be >= 2 (for an interval), got {}", episodes);
}

namespace {

/// The data set's splits; an Error when they share a class, since few-shot episodes must test on
/// classes that training never saw.
data::Splits few_shot_splits(const FewShotOptions& o) {
  auto splits = data::load_dataset(o.dataset, data::data_dir_for(o.dataset, o.data_dir));
  const auto train = std::get<0>(torch::_unique(splits.train.y));
  for (const auto* other : {&splits.valid, &splits.test}) {
    const auto shared = torch::isin(std::get<0>(torch::_unique(other->y)), train).sum().item<int64_t>();
    METAEVO_CHECK(shared == 0,
                  "data set '{}': its {} split shares {} classes with train; few-shot episodes need class-disjoint "
                  "splits (a folder data set: train/, val/ and test/ sub-folders of classes)",
                  o.dataset, other == &splits.test ? "test" : "validation", shared);
  }
  return splits;
}

}  // namespace

nlohmann::json test_accuracy(torch::nn::Sequential encoder, const FewShotOptions& data, const TestOptions& o,
                             torch::Device device) {
  o.validate();
  const auto splits = few_shot_splits(data);
  const auto& examples = o.split == "test" ? splits.test : splits.valid;
  auto rows = nlohmann::json::array();
  const auto start = std::chrono::steady_clock::now();
  const size_t settings = o.ways.size() * o.shots.size();
  for (auto ways : o.ways)
    for (auto shots : o.shots) {
      const data::EpisodeSampler sampler(examples, {ways, shots, o.queries}, 0x7E57, splits.class_names);
      const auto acc = evaluate_episodes(encoder, sampler, o.episodes, device);
      rows.push_back(
          {{"ways", ways}, {"shots", shots}, {"episodes", o.episodes}, {"acc", acc.mean}, {"ci95", acc.ci95}});
      // Settings grow in cost with ways and shots, so the ETA is only a rough guide.
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      spdlog::info("test {}-way {}-shot: {:.2f}% +- {:.2f} ({} of {} settings, {:.0f}s, ETA {:.0f}s)", ways, shots,
                   100 * acc.mean, 100 * acc.ci95, rows.size(), settings, elapsed,
                   elapsed / double(rows.size()) * double(settings - rows.size()));
    }
  return rows;
}

FewShotData load_few_shot_data(const FewShotOptions& o, uint64_t seed) {
  o.validate();
  const auto splits = few_shot_splits(o);
  FewShotData d;
  with_context("data set '" + o.dataset + "'", [&] {
    d.train = std::make_unique<data::EpisodeSampler>(splits.train, o.episode(), mix64(seed, 1), splits.class_names);
    d.val = std::make_unique<data::EpisodeSampler>(splits.valid, o.validation_episode(), 0x5EED, splits.class_names);
  });
  return d;
}

FewShotProblem::FewShotProblem(const FewShotOptions& o, uint64_t seed)
    : o_(o), device_(parse_device(o.device)), data_(load_few_shot_data(o, seed)) {
  encoder_ = models::make_conv4(1, o_.channels, seed);
  layout_ = models::parameter_layout(*encoder_);
  initial_ = models::flatten_parameters(*encoder_);
  const auto image = data_.train->episode(0).support;
  flops_per_eval_ = 2 * es::forward_macs(encoder_, image.sizes().slice(1).vec()) * double(o_.episodes) *
                    double(o_.ways * (o_.shots + o_.queries));
  encoder_->to(device_);
}

torch::Tensor FewShotProblem::evaluate(const es::Population& pop, int64_t begin, int64_t end) {
  std::vector<data::Episode> episodes;
  std::vector<std::unique_ptr<es::PopulationForward>> forwards;
  std::vector<torch::Tensor> inputs;
  for (int64_t j = 0; j < o_.episodes; ++j) {
    episodes.push_back(data_.train->episode(pop.generation * o_.episodes + j));
    inputs.push_back(torch::cat({episodes.back().support, episodes.back().query}).to(device_));
    forwards.push_back(std::make_unique<es::PopulationForward>(encoder_, pop, inputs.back()));
  }
  const bool loss = o_.fitness == "loss";
  return es::evaluate_in_chunks(begin, end, o_.eval_chunk, device_.is_cpu(), [&](int64_t c0, int64_t c1) {
    torch::Tensor total;
    for (size_t j = 0; j < episodes.size(); ++j) {
      auto f = query_fitness((*forwards[j])(c0, c1), episodes[j], o_.ways, loss);
      total = total.defined() ? total + f : f;
    }
    return total / double(episodes.size());
  });
}

std::shared_ptr<torch::nn::Module> FewShotProblem::model(const torch::Tensor& x) const {
  // Batch norm here always uses each episode's statistics: the running averages that evaluations
  // happened to leave behind mean nothing, so the saved model carries fresh ones.
  auto net = models::with_flat_parameters(*encoder_, x);
  for (auto& m : net->modules())
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) bn->reset_running_stats();
  return net;
}

nlohmann::json FewShotProblem::report(const torch::Tensor& x) {
  models::load_flat_parameters(*encoder_, x.to(torch::kFloat32).to(device_));
  const auto acc = evaluate_episodes(encoder_, *data_.val, o_.val_episodes, device_);
  return {{"val_acc", acc.mean}, {"val_ci95", acc.ci95}};
}

}  // namespace metaevo::meta
