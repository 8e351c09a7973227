#include "metaevo/munet/multipath/multipath.h"

#include <cmath>
#include <set>

#include "metaevo/core/error.h"
#include "metaevo/munet/component_kind.h"
#include "metaevo/munet/path_record.h"

namespace metaevo::munet {

namespace F = torch::nn::functional;

void MultipathOptions::validate() const {
  require(num_paths >= 2, "num_paths", "must be >= 2 (the main path and at least one other), got {}", num_paths);
  require(router_init_main_path_weight > 0 && router_init_main_path_weight < 1, "router_init_main_path_weight",
          "must be in (0, 1), got {}", router_init_main_path_weight);
  require(router_lr_mult > 0 && router_lr_mult <= 1, "router_lr_mult", "must be in (0, 1], got {}", router_lr_mult);
}

namespace {

const Params& tensors_of(const Path& path, const std::string& name) {
  const auto it = path.components.find(name);
  METAEVO_CHECK(it != path.components.end(), "multipath: path {} has no '{}' component", path.id, name);
  return it->second->tensors();
}

}  // namespace

MultipathModel::MultipathModel(const std::string& task, std::vector<PathPtr> paths, const MultipathOptions& o,
                               const VitOptions& vit)
    : task_(task), paths_(std::move(paths)), options_(o), vit_(vit) {
  METAEVO_CHECK(!paths_.empty() && paths_[0], "multipath for '{}': no main path", task);
  hparams = paths_[0]->hparams;
  options_.validate();
  METAEVO_CHECK(int64_t(paths_.size()) == o.num_paths, "multipath for '{}': {} paths given, num_paths is {}", task,
                paths_.size(), o.num_paths);
  std::set<int64_t> seen;
  for (const auto& p : paths_) {
    METAEVO_CHECK(p != nullptr, "multipath for '{}': a path is missing", task);
    METAEVO_CHECK(seen.insert(p->id).second, "multipath for '{}': path {} is attached twice", task, p->id);
  }
  METAEVO_CHECK(paths_[0]->task == task, "multipath for '{}': the main path {} is a path of '{}'", task, paths_[0]->id,
                paths_[0]->task);
  const auto& head = tensors_of(*paths_[0], "head");
  const auto options = head[0].options();
  const int64_t classes = head[0].size(0), p = o.num_paths;
  // Softmax of [b0, 0, ..., 0] gives the main path w0 and the others (1 - w0) / (P - 1) each.
  const double w0 = o.router_init_main_path_weight;
  auto bias = torch::zeros({p}, options);
  bias[0] = std::log(w0 / (1 - w0) * double(p - 1));
  router_ = {torch::ones({classes}, options), torch::zeros({classes}, options), torch::zeros({p, classes}, options),
             bias};
  for (size_t k = 1; k < paths_.size(); ++k) {
    const int64_t width = tensors_of(*paths_[k], "encoder_norm")[0].size(0);
    connectors_.push_back({torch::zeros({classes, width}, options), torch::zeros({classes}, options)});
  }
}

MultipathModel::MultipathModel(const std::string& task, std::vector<PathPtr> paths, const MultipathOptions& o,
                               const VitOptions& vit, const Params& tensors)
    : MultipathModel(task, std::move(paths), o, vit) {
  auto mine = trainable();
  METAEVO_CHECK(tensors.size() == mine.size(), "multipath for '{}': {} saved tensors, the model has {}", task,
                tensors.size(), mine.size());
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < mine.size(); ++i) {
    METAEVO_CHECK(tensors[i].sizes() == mine[i].sizes(), "multipath for '{}': saved tensor {} is {}, expected {}", task,
                  i, c10::str(tensors[i].sizes()), c10::str(mine[i].sizes()));
    mine[i].copy_(tensors[i]);
  }
}

std::pair<torch::Tensor, std::vector<torch::Tensor>> MultipathModel::frozen(const torch::Tensor& images) const {
  torch::NoGradGuard no_grad;
  auto logits0 = paths_[0]->forward(images, vit_);
  std::vector<torch::Tensor> features;
  for (size_t k = 1; k < paths_.size(); ++k)
    features.push_back(vit_features(images, paths_[k]->components, paths_[k]->layers(), vit_));
  return {logits0, features};
}

torch::Tensor MultipathModel::route(const torch::Tensor& logits0) const {
  const auto normed = torch::layer_norm(logits0, {logits0.size(-1)}, router_[0], router_[1], 1e-6);
  return torch::softmax(F::linear(normed, router_[2], router_[3]), -1);
}

torch::Tensor MultipathModel::router_weights(const torch::Tensor& images) const {
  torch::NoGradGuard no_grad;
  return route(paths_[0]->forward(images, vit_));  // the router reads path_0 alone
}

torch::Tensor MultipathModel::forward(const torch::Tensor& images) const {
  const auto [logits0, features] = frozen(images);
  auto w = route(logits0);
  // The reference scales the router's gradient, not its weights: the forward value is w.
  const double m = options_.router_lr_mult;
  w = m * w + (1 - m) * w.detach();
  std::vector<torch::Tensor> logits{logits0};
  for (size_t k = 0; k < connectors_.size(); ++k)
    logits.push_back(F::linear(features[k], connectors_[k][0], connectors_[k][1]));
  const auto s = torch::stack(logits, -1);  // [B, classes, P]
  const auto sum = s.sum(-1);
  return (s.detach() * w.unsqueeze(1)).sum(-1) - sum.detach() + sum;
}

Params MultipathModel::trainable() const {
  Params out = router_;
  for (const auto& c : connectors_) out.insert(out.end(), c.begin(), c.end());
  return out;
}

int64_t MultipathModel::trained_params() const {
  int64_t n = 0;
  for (const auto& t : trainable()) n += t.numel();
  return n;
}

int64_t MultipathModel::activated_params() const {
  std::set<const Component*> seen;
  int64_t n = trained_params();
  for (const auto& p : paths_)
    for (const auto& [name, c] : p->components) {
      const auto part = ComponentName::parse(name);
      const auto& kind = component_kind(part.kind);
      const bool runs = !(kind.stage() == ComponentKind::Stage::layer && part.layer >= p->layers()) &&
                        (p == paths_[0] || !kind.task_specific());
      if (runs && seen.insert(c.get()).second) n += c->numel();
    }
  return n;
}

nlohmann::json multipath_record(const MultipathModel& model) {
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& p : model.paths()) paths.push_back(path_record(*p));
  return {{"id", model.id},
          {"task", model.task()},
          {"options", to_json(model.options())},
          {"hparams", model.hparams},
          {"quality", model.quality},
          {"test_quality", model.test_quality},
          {"offsprings", model.offsprings},
          {"vit", to_json(model.vit())},
          {"paths", paths}};
}

MultipathPtr multipath_from_record(const nlohmann::json& record, const std::map<int64_t, ComponentPtr>& components,
                                   const Params& tensors, const std::string& where) {
  try {
    std::vector<PathPtr> paths;
    for (const auto& r : record.at("paths")) paths.push_back(path_from_record(r, components, where));
    auto m = std::make_shared<MultipathModel>(record.at("task").get<std::string>(), std::move(paths),
                                              from_json<MultipathOptions>(record.at("options"), where),
                                              from_json<VitOptions>(record.at("vit"), where), tensors);
    m->id = record.at("id");
    m->hparams = record.at("hparams").get<Hparams>();
    m->quality = record.at("quality");
    m->test_quality = record.at("test_quality");
    m->offsprings = record.at("offsprings");
    return m;
  } catch (const nlohmann::json::exception& e) {
    fail("{}: a multipath record is malformed: {}", where, e.what());
  }
}

TrainResult train_multipath(MultipathModel& model, const data::Splits& task, const TrainOptions& o, double bar,
                            uint64_t seed) {
  const auto result = train_model(
      {model.hparams, model.trainable(), [&](const torch::Tensor& x) { return model.forward(x); }}, task, o,
      [](double quality) { return quality; }, bar, seed);
  model.quality = result.quality;
  return result;
}

torch::Tensor router_weights(const MultipathModel& model, const data::Split& split, int64_t batch_size) {
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < split.size(); start += batch_size)
    parts.push_back(model.router_weights(split.x.narrow(0, start, std::min(batch_size, split.size() - start))));
  return parts.empty() ? torch::zeros({0, model.options().num_paths}) : torch::cat(parts);
}

double evaluate(const MultipathModel& model, const data::Split& split, int64_t batch_size, int64_t max_batches) {
  return evaluate([&](const torch::Tensor& x) { return model.forward(x); }, split, batch_size, max_batches);
}

}  // namespace metaevo::munet
