#include "metaevo/munet/trainer.h"

#include <cmath>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/data/batches.h"

namespace metaevo::munet {

void TrainOptions::validate() const {
  require(batch_size >= 1, "batch_size", "must be >= 1, got {}", batch_size);
  require(validations >= 1, "validations", "must be >= 1, got {}", validations);
  require(batches_between_validations >= 1, "batches_between_validations", "must be >= 1, got {}",
          batches_between_validations);
  require(validation_batches >= 0, "validation_batches", "must be >= 0 (0 = all), got {}", validation_batches);
}

double learning_rate(const Hparams& h, int64_t step, int64_t steps, int64_t interval) {
  const double lr = h.at("opt_lr").get<double>();
  const auto schedule = h.at("opt_lr_schedule").get<std::string>();
  if (schedule == "constant") return 0.5 * lr;
  const double warmup_ratio = h.at("opt_lr_warmup_ratio").get<double>();
  const int64_t span = schedule == "restarts" ? interval : steps;
  const int64_t at = schedule == "restarts" ? step % interval : step;
  const double warmup = warmup_ratio * double(span);
  if (double(at) < warmup) return lr / 100 + (lr - lr / 100) * double(at) / warmup;
  const double progress = (double(at) - warmup) / std::max(1.0, double(span) - warmup);
  return 0.5 * lr * (1 + std::cos(M_PI * std::min(1.0, progress)));
}

double evaluate(const Forward& forward, const data::Split& split, int64_t batch_size, int64_t max_batches) {
  torch::NoGradGuard no_grad;
  int64_t correct = 0, seen = 0;
  for (int64_t start = 0, b = 0; start < split.size() && (max_batches == 0 || b < max_batches);
       start += batch_size, ++b) {
    const int64_t n = std::min(batch_size, split.size() - start);
    correct += forward(split.x.narrow(0, start, n)).argmax(1).eq(split.y.narrow(0, start, n)).sum().item<int64_t>();
    seen += n;
  }
  return seen ? double(correct) / double(seen) : 0.0;
}

double evaluate(const Path& path, const data::Split& split, const VitOptions& vit, int64_t batch_size,
                int64_t max_batches) {
  return evaluate([&](const torch::Tensor& x) { return path.forward(x, vit); }, split, batch_size, max_batches);
}

namespace {

/// Random flips and crops of at least `area_min` of the image (one box per batch), resized back.
torch::Tensor augment(torch::Tensor x, const Hparams& h, const StreamId& stream) {
  const auto u = philox_uniform(stream, 4 + x.size(0));
  const double area_min = h.at("ds_area_range_min").get<double>();
  if (area_min < 1.0) {
    const int64_t side = x.size(-1);
    const double area = area_min + (1 - area_min) * u[0].item<double>();
    const int64_t crop = std::max<int64_t>(4, int64_t(std::round(std::sqrt(area) * double(side))));
    const int64_t top = int64_t(u[1].item<double>() * double(side - crop + 1)),
                  left = int64_t(u[2].item<double>() * double(side - crop + 1));
    x = torch::nn::functional::interpolate(
        x.narrow(2, std::min(top, side - crop), crop).narrow(3, std::min(left, side - crop), crop),
        torch::nn::functional::InterpolateFuncOptions()
            .size(std::vector<int64_t>{side, side})
            .mode(torch::kBilinear)
            .align_corners(false));
  }
  if (h.at("ds_flip_left_right").get<bool>()) {
    const auto flip = u.narrow(0, 4, x.size(0)).lt(0.5).view({-1, 1, 1, 1}).to(x.device());
    x = torch::where(flip, x.flip({3}), x);
  }
  return x;
}

}  // namespace

TrainResult train_model(const Trainee& model, const data::Splits& task, const TrainOptions& o,
                        const std::function<double(double)>& score, double bar, uint64_t seed) {
  const auto& h = model.hparams;
  auto params = model.params;
  for (auto& p : params) p.requires_grad_(true);
  const double momentum = h.at("opt_momentum").get<double>();
  torch::optim::SGD optimizer(params, torch::optim::SGDOptions(h.at("opt_lr").get<double>())
                                          .momentum(momentum)
                                          .nesterov(h.at("opt_nesterov").get<bool>() && momentum > 0));
  const int64_t steps = o.validations * o.batches_between_validations;
  const data::Batches batches(task.train.size(), o.batch_size, mix64(seed, 1));
  TrainResult result;
  double best = -std::numeric_limits<double>::infinity();
  std::vector<torch::Tensor> best_params;
  const auto beats = [&](double a, double b) { return o.accept_ties ? a >= b : a > b; };
  for (int64_t step = 0; step < steps; ++step) {
    const auto index = batches.indices(step).to(task.train.x.device());
    const auto x = augment(task.train.x.index_select(0, index), h, {seed, 2, uint32_t(step), 0});
    optimizer.zero_grad();
    torch::nn::functional::cross_entropy(model.forward(x), task.train.y.index_select(0, index)).backward();
    torch::nn::utils::clip_grad_norm_(params, 1.0);  // the reference clips at global norm 1
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::SGDOptions&>(group.options())
          .lr(learning_rate(h, step, steps, o.batches_between_validations));
    optimizer.step();
    if ((step + 1) % o.batches_between_validations != 0) continue;
    const double quality = evaluate(model.forward, task.valid, o.batch_size, o.validation_batches);
    const double s = score(quality);
    if (beats(s, best)) {
      best = s;
      result.quality = quality;
      best_params.clear();
      for (const auto& p : params) best_params.push_back(p.detach().clone());
    }
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    params[i].copy_(best_params[i]);
    params[i].mutable_grad() = torch::Tensor();
    params[i].requires_grad_(false);
  }
  result.improved = beats(best, bar);
  result.steps = steps;
  return result;
}

TrainResult train_path(Path& path, const data::Splits& task, const TrainOptions& o, const VitOptions& vit,
                       const std::function<double(const Path&)>& score, double bar, uint64_t seed) {
  auto params = path.trainable();
  METAEVO_CHECK(!params.empty(), "train_path: path {} of task '{}' has nothing trainable", path.id, task.name);
  const auto result = train_model(
      {path.hparams, std::move(params), [&](const torch::Tensor& x) { return path.forward(x, vit); }}, task, o,
      [&](double quality) {
        path.quality = quality;
        return score(path);
      },
      bar, seed);
  path.quality = result.quality;
  return result;
}

}  // namespace metaevo::munet
