#include "metaevo/munet/grow.h"

#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/serialize.h"
#include "metaevo/data/datasets.h"
#include "metaevo/munet/expansions.h"
#include "metaevo/run/fault.h"

namespace metaevo::munet {
namespace {

// The six sizes in the order a schedule point applies them.
const std::vector<std::string> kSizes = {"mlp_dim", "heads", "value_dim", "key_dim", "hidden", "layers"};

constexpr int64_t kEvalBatch = 512;

}  // namespace

void GrowDataOptions::validate() const {
  data::require_dataset("dataset", dataset);
  require(train_size >= 0, "train_size", "must be >= 0, got {}", train_size);
  require(valid_size >= -1, "valid_size", "must be >= 0 (or -1 for the data set's default), got {}", valid_size);
}

data::Splits GrowDataOptions::load() const {
  return data::load_dataset(dataset, data::data_dir_for(dataset, data_dir), {valid_size, train_size});
}

void GrowOptions::validate() const {
  require(steps >= 1, "steps", "must be >= 1, got {}", steps);
  require(batch_size >= 1, "batch_size", "must be >= 1, got {}", batch_size);
  require(eval_every >= 1, "eval_every", "must be >= 1, got {}", eval_every);
  require(flops >= 0, "flops", "must be >= 0 (0 = no budget), got {}", flops);
  models::Optimizer check(optimizer);
}

std::vector<GrowthPoint> read_schedule(const Config& config, const std::string& key, int64_t steps) {
  std::vector<GrowthPoint> schedule;
  if (!config.has(key)) return schedule;
  const auto list = config.get_json(key);
  const auto where = [&](size_t i) { return fmt::format("{}: {}[{}]", config.origin(), config.path(key), i); };
  METAEVO_CHECK(list.is_array(), "{}: {}: must be a list of {{at: STEP, <size>: VALUE}}", config.origin(),
                config.path(key));
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& entry = list[i];
    METAEVO_CHECK(entry.is_object() && entry.contains("at") && entry["at"].is_number_integer(),
                  "{}: must be a map with an integer 'at' (the step) and the sizes to grow to", where(i));
    GrowthPoint point;
    point.at = entry["at"].get<int64_t>();
    METAEVO_CHECK(point.at > 0 && point.at < steps, "{}.at: must be within 1..{} (the training steps), got {}",
                  where(i), steps - 1, point.at);
    METAEVO_CHECK(schedule.empty() || point.at > schedule.back().at, "{}.at: steps must increase, got {} after {}",
                  where(i), point.at, schedule.empty() ? 0 : schedule.back().at);
    for (const auto& [size, value] : entry.items()) {
      if (size == "at") continue;
      METAEVO_CHECK(std::find(kSizes.begin(), kSizes.end(), size) != kSizes.end(),
                    "{}: unknown size '{}' (mlp_dim | heads | value_dim | key_dim | hidden | layers)", where(i), size);
      METAEVO_CHECK(value.is_number_integer(), "{}.{}: must be an integer, got {}", where(i), size, value.dump());
    }
    for (const auto& size : kSizes)
      if (entry.contains(size)) point.sizes.emplace_back(size, entry[size].get<int64_t>());
    METAEVO_CHECK(!point.sizes.empty(), "{}: names no size to grow", where(i));
    schedule.push_back(point);
  }
  return schedule;
}

GrowthTrainer::GrowthTrainer(const models::TransformerOptions& model, GrowOptions options,
                             std::vector<GrowthPoint> schedule, data::Splits splits, uint64_t seed)
    : o_(std::move(options)),
      schedule_(std::move(schedule)),
      splits_(std::move(splits)),
      seed_(seed),
      model_(model, mix64(seed, hash64("grow/init"))),
      optimizer_(o_.optimizer),
      batches_(splits_.train.size(), o_.batch_size, mix64(seed, hash64("grow/batches"))) {
  o_.validate();
  const auto& m = model_.options();
  require(m.vit(), "model.kind", "grow trains the vit on an image data set, got '{}'", m.kind);
  const auto& x = splits_.train.x;
  require(x.dim() == 4 && x.size(1) == m.channels && x.size(2) == m.image_size && x.size(3) == m.image_size,
          "model.image_size", "the model takes [{}, {}, {}] images, the data set {} has {}", m.channels, m.image_size,
          m.image_size, splits_.name, c10::str(x.sizes().slice(1)));
  require(m.outputs == splits_.classes, "model.outputs", "must be the data set's {} classes, got {}", splits_.classes,
          m.outputs);
  check_schedule(model, schedule_);
}

void check_schedule(const models::TransformerOptions& model, const std::vector<GrowthPoint>& schedule) {
  models::Transformer scratch(model, 0);
  for (const auto& point : schedule)
    with_context(fmt::format("schedule at step {}", point.at), [&] {
      for (const auto& size : point.sizes)
        for (const auto& e : plan_expansion(scratch, size.first, size.second)) apply(e, scratch, fresh_init(0));
    });
}

models::Params GrowthTrainer::flat(const models::TransformerTensors& t) const {
  models::Params out;
  for (const auto& [name, tensor] : t.named()) out.push_back(*tensor);
  return out;
}

void GrowthTrainer::unflat(const models::Params& p, models::TransformerTensors& t) const {
  size_t i = 0;
  for (auto& [name, tensor] : t.named()) *tensor = p.at(i++);
}

void GrowthTrainer::grow(const GrowthPoint& point, size_t index) {
  auto& state = optimizer_.state();
  // The moments as tensors shaped like the model's, grown alongside it.
  auto moments = [&](models::Params& flat_state) {
    models::TransformerTensors t = model_.tensors();
    unflat(flat_state, t);
    return t;
  };
  std::optional<models::TransformerTensors> first, second;
  if (!state.first.empty()) first = moments(state.first);
  if (!state.second.empty()) second = moments(state.second);
  nlohmann::json applied = nlohmann::json::array();
  const int64_t before = model_.parameter_count();
  for (const auto& [size, value] : point.sizes) {
    for (const auto& e : plan_expansion(model_, size, value)) {
      apply(e, model_, fresh_init(mix64(seed_, hash64(fmt::format("grow/{}/{}", index, e.what)))));
      run::crash_point("expanding");  // the model grown, its optimizer moments not yet
      if (first) apply(e, *first, Moment::first);
      if (second) apply(e, *second, Moment::second);
      applied.push_back(e.what);
    }
  }
  if (first) state.first = flat(*first);
  if (second) state.second = flat(*second);
  growth_log_.push_back(
      {{"step", step_}, {"applied", applied}, {"parameters_before", before}, {"parameters", model_.parameter_count()}});
  run::crash_point("expanded");  // training goes on from here; the next checkpoint is still ahead
}

double GrowthTrainer::train_step() {
  for (size_t i = 0; i < schedule_.size(); ++i)
    if (schedule_[i].at == step_) grow(schedule_[i], i);
  const auto batch = splits_.train.rows(batches_.indices(step_));
  auto params = flat(model_.tensors());
  for (auto& p : params) p = p.detach().requires_grad_();
  unflat(params, model_.tensors());
  const auto loss = torch::nn::functional::cross_entropy(model_.forward(batch.x), batch.y);
  const auto grads = torch::autograd::grad({loss}, params);
  unflat(optimizer_.step(params, grads, /*differentiable=*/false), model_.tensors());
  flops_ += 3 * model_.flops_per_example() * double(batch.size());
  ++step_;
  return loss.item<double>();
}

nlohmann::json GrowthTrainer::evaluate(const std::string& split) const {
  torch::NoGradGuard no_grad;
  METAEVO_CHECK(split == "train" || split == "valid" || split == "test",
                "GrowthTrainer::evaluate: no split '{}' (train, valid, test)", split);
  const auto& s = split == "test" ? splits_.test : split == "train" ? splits_.train : splits_.valid;
  double loss = 0, correct = 0;
  for (int64_t begin = 0; begin < s.size(); begin += kEvalBatch) {
    const auto part = s.slice(begin, std::min(s.size(), begin + kEvalBatch));
    const auto logits = model_.forward(part.x);
    loss += torch::nn::functional::cross_entropy(
                logits, part.y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(part.y).sum().item<double>();
  }
  const double n = std::max<double>(1, double(s.size()));
  return {{"loss", loss / n}, {"accuracy", correct / n}};
}

void GrowthTrainer::save(torch::serialize::OutputArchive& archive) const {
  write_scalar(archive, "step", double(step_));
  write_scalar(archive, "flops", flops_);
  write_scalar(archive, "norm_eps", model_.norm_eps());
  write_string(archive, "sizes", metaevo::to_json(model_.options()).dump());
  write_string(archive, "growth_log", growth_log_.dump());
  const auto& state = optimizer_.state();
  write_scalar(archive, "optimizer_steps", double(state.steps));
  const auto named = model_.tensors().named();
  for (size_t i = 0; i < named.size(); ++i) {
    archive.write("param/" + named[i].first, named[i].second->detach());
    if (!state.first.empty()) archive.write("first/" + named[i].first, state.first[i]);
    if (!state.second.empty()) archive.write("second/" + named[i].first, state.second[i]);
  }
}

void GrowthTrainer::load(torch::serialize::InputArchive& archive) {
  step_ = int64_t(read_scalar(archive, "step"));
  flops_ = read_scalar(archive, "flops");
  growth_log_ = nlohmann::json::parse(read_string(archive, "growth_log"));
  // The model as the checkpoint left it: its sizes, then its tensors (shapes checked).
  model_ = models::Transformer(
      from_json<models::TransformerOptions>(nlohmann::json::parse(read_string(archive, "sizes")), "checkpoint sizes"),
      0);
  model_.set_norm_eps(read_scalar(archive, "norm_eps"));
  auto& state = optimizer_.state();
  state = {};
  state.steps = int64_t(read_scalar(archive, "optimizer_steps"));
  for (auto& [name, tensor] : model_.tensors().named()) {
    read_tensor(archive, "param/" + name, *tensor);
    if (state.steps == 0) continue;
    state.first.push_back(torch::zeros_like(*tensor));
    read_tensor(archive, "first/" + name, state.first.back());
    if (optimizer_.adam()) {
      state.second.push_back(torch::zeros_like(*tensor));
      read_tensor(archive, "second/" + name, state.second.back());
    }
  }
}

}  // namespace metaevo::munet
