#pragma once
// Few-shot meta-learning of a Prototypical Network as an ES problem: a member's fitness is its
// query loss (or accuracy) on the generation's episodes, which every member - mirrored pairs too -
// shares. Batch-norm always normalises with the statistics of the episode at hand (support and
// query together, per member), in training and in evaluation alike: under ES there is no backward
// pass to keep running averages consistent with, and episode statistics are what the standard
// ProtoNet code uses in its episodic training.
#include <torch/torch.h>

#include "metaevo/core/options.h"
#include "metaevo/data/episodes.h"
#include "metaevo/es/problem.h"

namespace metaevo::meta {

struct FewShotOptions {
  std::string dataset = "omniglot-vinyals";  // classes of its train split train, of valid validate
  std::string data_dir;                      // empty: resolve_data_dir's search order
  int64_t ways = 5, shots = 5, queries = 15;
  int64_t episodes = 1;   // episodes per generation (fitness = their mean)
  int64_t channels = 64;  // conv4 filters
  // Members per batched forward. One member's first-block activations on a 100-image episode
  // are ~20 MB; chunks of 8 (160 MB) ran 10x slower per generation on CPU. Raise it on CUDA.
  int64_t eval_chunk = 1;
  int64_t val_episodes = 200;  // episodes of report()'s validation accuracy
  // Validation episodes may differ from training's: harder training episodes (more ways, as Snell
  // et al. trained Omniglot on 60-way) are still validated on the task the test asks for.
  int64_t val_ways = 0, val_shots = 0, val_queries = 0;  // 0: the training episode's
  std::string fitness = "loss";                          // loss (minimised) | accuracy (maximised)
  std::string device = "cpu";
  template <class V>
  void visit(V& v) {
    v("dataset", dataset,
      "registered data set with class-disjoint splits; episodes of its train split train, of its valid split "
      "validate (omniglot-vinyals, omniglot-vinyals:trainval, omniglot-background, omniglot-background:rotations, "
      "folder:PATH)");
    v("data_dir", data_dir, "the data set's folder (Omniglot: official zips or extracted folders, and splits/vinyals)");
    v("ways", ways, "classes per episode");
    v("shots", shots, "support images per class");
    v("queries", queries, "query images per class");
    v("episodes", episodes, "episodes per generation, shared by every member");
    v("channels", channels, "filters of each conv4 block");
    v("eval_chunk", eval_chunk, "members per batched forward");
    v("val_episodes", val_episodes, "validation episodes per report");
    v("val_ways", val_ways, "classes per validation episode (0: ways)");
    v("val_shots", val_shots, "support images per class of a validation episode (0: shots)");
    v("val_queries", val_queries, "query images per class of a validation episode (0: queries)");
    v("fitness", fitness, "loss (query cross-entropy, minimised) | accuracy (maximised)");
    v("device", device, "cpu | cuda | cuda:N");
  }
  void validate() const;
  data::EpisodeOptions episode() const { return {ways, shots, queries}; }
  data::EpisodeOptions validation_episode() const {
    return {val_ways ? val_ways : ways, val_shots ? val_shots : shots, val_queries ? val_queries : queries};
  }
};

/// The episodes of a few-shot setting, shared by the ES problem and the backprop trainer:
/// training episodes drawn from `seed`, validation episodes fixed (the same for every run, so
/// reports compare across runs).
struct FewShotData {
  std::unique_ptr<data::EpisodeSampler> train, val;
};
FewShotData load_few_shot_data(const FewShotOptions& options, uint64_t seed);

/// Per-member query cross-entropy (`loss`) or accuracy of embeddings [n, support + query, D] of
/// episode `e`: float [n]. Differentiable (the backprop trainer uses it with n = 1).
torch::Tensor query_fitness(const torch::Tensor& embeddings, const data::Episode& e, int64_t ways, bool loss);

/// Mean accuracy over `count` episodes of `sampler` (episodes 0 .. count-1) and the half-width of
/// its 95% confidence interval (1.96 standard errors).
struct EpisodeAccuracy {
  double mean = 0, ci95 = 0;
};
EpisodeAccuracy evaluate_episodes(torch::nn::Sequential encoder, const data::EpisodeSampler& sampler, int64_t count,
                                  torch::Device device);

/// The final test: for every (ways, shots) pair, `episodes` episodes of the data set's test split.
struct TestOptions {
  std::string split = "test";
  std::vector<int64_t> ways{5, 20};
  std::vector<int64_t> shots{1, 5};
  int64_t queries = 15;
  int64_t episodes = 1000;
  template <class V>
  void visit(V& v) {
    v("split", split, "split of the test episodes: test | valid");
    v("ways", ways, "way counts to test");
    v("shots", shots, "shot counts to test");
    v("queries", queries, "queries per class (ways x (shots + queries) <= 20 images per class)");
    v("episodes", episodes, "episodes per setting (the 95% interval is over these)");
  }
  void validate() const;
};

/// One JSON row per (ways, shots): {ways, shots, episodes, acc, ci95}.
nlohmann::json test_accuracy(torch::nn::Sequential encoder, const FewShotOptions& data, const TestOptions& options,
                             torch::Device device);

class FewShotProblem : public es::Problem {
 public:
  FewShotProblem(const FewShotOptions& options, uint64_t seed);

  es::Layout layout() const override { return layout_; }
  torch::Tensor initial() const override { return initial_; }
  es::Sense sense() const override { return o_.fitness == "loss" ? es::Sense::kMinimize : es::Sense::kMaximize; }
  torch::Tensor evaluate(const es::Population& pop, int64_t begin, int64_t end) override;
  /// Validation accuracy (`val_acc`, `val_ci95`) of a parameter vector.
  nlohmann::json report(const torch::Tensor& x) override;
  std::shared_ptr<torch::nn::Module> model(const torch::Tensor& x) const override;
  int64_t eval_chunk() const override { return o_.eval_chunk; }
  /// The encoder's dense forward FLOPs over one member's episodes (support and query images).
  double flops_per_eval() const override { return flops_per_eval_; }

 private:
  FewShotOptions o_;
  torch::Device device_;
  FewShotData data_;
  torch::nn::Sequential encoder_;
  es::Layout layout_;
  torch::Tensor initial_;
  double flops_per_eval_ = 0;
};

}  // namespace metaevo::meta
