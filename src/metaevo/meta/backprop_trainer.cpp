#include "metaevo/meta/backprop_trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/meta/protonet.h"

namespace metaevo::meta {
namespace {

constexpr const char* kCheckpointFormat = "metaevo-protonet-backprop-v1";

}  // namespace

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
  encoder_ = make_conv4(1, data_options_.channels, seed);
  encoder_->to(device_);
  adam_ = std::make_unique<torch::optim::Adam>(encoder_->parameters(), torch::optim::AdamOptions(o_.lr));
}

double BackpropTrainer::lr_at(int64_t episode) const {
  return o_.lr_halve_every > 0 ? o_.lr * std::pow(0.5, double(episode / o_.lr_halve_every)) : o_.lr;
}

void BackpropTrainer::set_checkpoint(std::string path, std::string fingerprint) {
  checkpoint_path_ = std::move(path);
  fingerprint_ = std::move(fingerprint);
}

void BackpropTrainer::save_checkpoint() const {
  torch::serialize::OutputArchive archive, model, optimizer;
  write_checkpoint_header(archive, kCheckpointFormat, fingerprint_);
  encoder_->save(model);
  archive.write("model", model);
  adam_->save(optimizer);
  archive.write("optimizer", optimizer);
  archive.write("run", torch::tensor({double(episode_), elapsed_s_}, torch::kFloat64));
  write_file_atomic(checkpoint_path_, archive_bytes(archive));
}

bool BackpropTrainer::resume() {
  if (checkpoint_path_.empty() || !std::filesystem::exists(checkpoint_path_)) return false;
  read_checkpoint(read_file(checkpoint_path_), checkpoint_path_, kCheckpointFormat, fingerprint_, [&](auto& archive) {
    torch::serialize::InputArchive model, optimizer;
    if (!archive.try_read("model", model) || !archive.try_read("optimizer", optimizer))
      fail("missing entry 'model' or 'optimizer'");
    encoder_->load(model);
    adam_->load(optimizer);
    torch::Tensor run;
    read_tensor(archive, "run", run);
    METAEVO_CHECK(run.numel() == 2, "entry 'run' has {} values, expected 2", run.numel());
    episode_ = int64_t(run[0].item<double>());
    elapsed_s_ = run[1].item<double>();
  });
  return true;
}

EpisodeAccuracy BackpropTrainer::validation_accuracy() {
  return evaluate_episodes(encoder_, *data_.val, data_options_.val_episodes, device_);
}

nlohmann::json BackpropTrainer::run() {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const double before = elapsed_s_;
  const int64_t first = episode_;
  auto elapsed = [&] { return before + std::chrono::duration<double>(Clock::now() - start).count(); };
  nlohmann::json last;
  double loss_sum = 0;
  int64_t losses = 0;
  auto validate = [&] {
    const auto acc = validation_accuracy();
    elapsed_s_ = elapsed();
    last = {{"episode", episode_}, {"loss", losses ? loss_sum / double(losses) : NAN},
            {"val_acc", acc.mean}, {"val_ci95", acc.ci95}, {"elapsed_s", elapsed_s_}};
    const double eta =
        episode_ > first ? (elapsed_s_ - before) / double(episode_ - first) * double(o_.episodes - episode_) : 0.0;
    spdlog::info("episode {}/{} | loss {:.4f} | val_acc {:.4f} +- {:.4f} | ETA {:.0f}s", episode_, o_.episodes,
                 last["loss"].get<double>(), acc.mean, acc.ci95, eta);
    if (on_validation_) on_validation_(last);
    loss_sum = 0;
    losses = 0;
  };
  while (episode_ < o_.episodes && !(o_.time_budget_s > 0 && elapsed() >= o_.time_budget_s)) {
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
    loss_sum += loss.item<double>();
    ++losses;
    if (episode_ % o_.val_every == 0) validate();
    if (!checkpoint_path_.empty() && episode_ % o_.checkpoint_every == 0) {
      elapsed_s_ = elapsed();
      save_checkpoint();
    }
  }
  if (last.is_null() || last["episode"] != episode_) validate();
  if (!checkpoint_path_.empty()) save_checkpoint();
  return last;
}

}  // namespace metaevo::meta
