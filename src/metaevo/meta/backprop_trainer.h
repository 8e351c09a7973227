#pragma once
// The autodiff baseline of ES-ProtoNet: the same conv4 ProtoNet on the same episodes, trained by
// Adam on the query cross-entropy, one episode per step, with the learning rate halved every
// `lr_halve_every` episodes (Snell et al. 2017). Resumable: a checkpoint holds the parameters, the
// Adam state and the episode counter, and episodes are a function of their index.
#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "metaevo/core/options.h"
#include "metaevo/meta/few_shot_problem.h"
#include "metaevo/run/checkpointer.h"

namespace metaevo::meta {

struct BackpropOptions {
  double lr = 1e-3;                // Adam step size
  int64_t lr_halve_every = 2000;   // episodes between halvings of lr (0 = constant)
  int64_t episodes = 20000;        // training episodes, one Adam step each
  double time_budget_s = 0;        // wall-clock limit (0 = none)
  int64_t val_every = 500;         // episodes between validations
  int64_t checkpoint_every = 100;  // episodes between checkpoints
  template <class V>
  void visit(V& v) {
    v("lr", lr, "Adam learning rate");
    v("lr_halve_every", lr_halve_every, "episodes between halvings of the learning rate (0 = constant)");
    v("episodes", episodes, "training episodes (one Adam step each)");
    v("time_budget_s", time_budget_s, "wall-clock limit in seconds (0 = none)");
    v("val_every", val_every, "episodes between validation-accuracy reports");
    v("checkpoint_every", checkpoint_every, "episodes between checkpoints");
  }
  void validate() const;
};

class BackpropTrainer {
 public:
  BackpropTrainer(const FewShotOptions& data, const BackpropOptions& options, uint64_t seed);

  /// Where checkpoints go (kind "protonet-backprop").
  void set_checkpoint(run::Checkpointer checkpointer) { checkpointer_ = std::move(checkpointer); }
  /// Loads the checkpoint if it exists; returns whether it did. Errors name the file.
  bool resume();
  /// Called with one JSON record per validation (episode, loss, val_acc, val_ci95, elapsed_s).
  void on_validation(std::function<void(const nlohmann::json&)> callback) { on_validation_ = std::move(callback); }
  /// Trains until `episodes` or the time budget; returns the final validation record.
  nlohmann::json run();

  /// Accuracy of the current encoder on the validation episodes.
  EpisodeAccuracy validation_accuracy();
  int64_t episode() const { return episode_; }
  torch::nn::Sequential encoder() const { return encoder_; }

 private:
  void save_checkpoint() const;
  double lr_at(int64_t episode) const;

  FewShotOptions data_options_;
  BackpropOptions o_;
  torch::Device device_;
  FewShotData data_;
  torch::nn::Sequential encoder_;
  std::unique_ptr<torch::optim::Adam> adam_;
  int64_t episode_ = 0;
  double elapsed_s_ = 0;
  double loss_sum_ = 0;  // training loss since the last validation, which reports its mean
  int64_t losses_ = 0;
  run::Checkpointer checkpointer_;
  std::function<void(const nlohmann::json&)> on_validation_;
};

}  // namespace metaevo::meta
