#include "metaevo/meta/backprop_trainer.h"

#include <cmath>

#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/models/zoo.h"
#include "metaevo/run/progress.h"
#include "metaevo/run/stop_rules.h"

namespace metaevo::meta {

void BackpropOptions::validate() const {
  require(lr > 0, "lr", "must be > 0, got {}", lr);
  require(lr_halve_every >= 0, "lr_halve_every", "must be >= 0, got {}", lr_halve_every);
  require(episodes >= 1, "episodes", "must be >= 1, got {}", episodes);
  require(time_budget_s >= 0, "time_budget_s", "must be >= 0, got {}", time_budget_s);
  require(val_every >= 1, "val_every", "must be >= 1, got {}", val_every);
  require(checkpoint_every >= 1, "checkpoint_every", "must be >= 1, got {}", checkpoint_every);
}

BackpropTrainer::BackpropTrainer(const FewShotOptions& data, const BackpropOptions& options, uint64_t seed)
    : data_options_(data), o_(options), device_(parse_device(data.device)), data_(load_few_shot_data(data, seed)) {
  o_.validate();
  encoder_ = models::make_conv4(1, data_options_.channels, seed);
  encoder_->to(device_);
  adam_ = std::make_unique<torch::optim::Adam>(encoder_->parameters(), torch::optim::AdamOptions(o_.lr));
}

double BackpropTrainer::lr_at(int64_t episode) const {
  return o_.lr_halve_every > 0 ? o_.lr * std::pow(0.5, double(episode / o_.lr_halve_every)) : o_.lr;
}

void BackpropTrainer::save_checkpoint() const {
  checkpointer_.save([&](torch::serialize::OutputArchive& archive) {
    torch::serialize::OutputArchive model, optimizer;
    encoder_->save(model);
    archive.write("model", model);
    adam_->save(optimizer);
    archive.write("optimizer", optimizer);
    archive.write("run", torch::tensor({double(episode_), elapsed_s_, loss_sum_, double(losses_)}, torch::kFloat64));
  });
}

bool BackpropTrainer::resume() {
  return checkpointer_.load([&](torch::serialize::InputArchive& archive) {
    torch::serialize::InputArchive model, optimizer;
    if (!archive.try_read("model", model) || !archive.try_read("optimizer", optimizer))
      fail("missing entry 'model' or 'optimizer'");
    encoder_->load(model);
    adam_->load(optimizer);
    torch::Tensor run;
    read_tensor(archive, "run", run);
    METAEVO_CHECK(run.numel() == 4, "entry 'run' has {} values, expected 4", run.numel());
    episode_ = int64_t(run[0].item<double>());
    elapsed_s_ = run[1].item<double>();
    loss_sum_ = run[2].item<double>();
    losses_ = int64_t(run[3].item<double>());
  });
}

EpisodeAccuracy BackpropTrainer::validation_accuracy() {
  return evaluate_episodes(encoder_, *data_.val, data_options_.val_episodes, device_);
}

nlohmann::json BackpropTrainer::run() {
  const run::RunClock clock(elapsed_s_);
  const run::StopRules stop(o_.episodes, o_.time_budget_s);
  run::Progress progress("episode", o_.episodes, /*every_s=*/0, o_.time_budget_s);
  progress.start(episode_, elapsed_s_);
  nlohmann::json last;
  auto validate = [&] {
    const auto acc = validation_accuracy();
    elapsed_s_ = clock.elapsed_s();
    last = {{"episode", episode_},
            {"loss", losses_ ? loss_sum_ / double(losses_) : NAN},
            {"val_acc", acc.mean},
            {"val_ci95", acc.ci95},
            {"elapsed_s", elapsed_s_}};
    progress.update(
        episode_, elapsed_s_,
        fmt::format("loss {:.4f} | val_acc {:.4f} +- {:.4f}", last["loss"].get<double>(), acc.mean, acc.ci95));
    if (on_validation_) on_validation_(last);
    loss_sum_ = 0;
    losses_ = 0;
  };
  while (stop.reason(episode_, clock.elapsed_s()).empty()) {
    for (auto& group : adam_->param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr_at(episode_));
    encoder_->train();
    const auto e = data_.train->episode(episode_);
    auto embeddings = encoder_->forward(torch::cat({e.support, e.query}).to(device_)).unsqueeze(0);
    auto loss = query_fitness(embeddings, e, data_options_.ways, /*loss=*/true).squeeze(0);
    adam_->zero_grad();
    loss.backward();
    adam_->step();
    ++episode_;
    loss_sum_ += loss.item<double>();
    ++losses_;
    if (episode_ % o_.val_every == 0) validate();
    if (episode_ % o_.checkpoint_every == 0) {
      elapsed_s_ = clock.elapsed_s();
      save_checkpoint();
    }
  }
  if (last.is_null() || last["episode"] != episode_) validate();
  save_checkpoint();
  return last;
}

}  // namespace metaevo::meta
