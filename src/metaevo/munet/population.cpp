#include "metaevo/munet/population.h"

#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::munet {

Population::Population(VitOptions vit, HparamSpace space, MutationOptions mutation, uint64_t seed, torch::Device device)
    : vit_(vit), space_(std::move(space)), mutation_(std::move(mutation)), seed_(seed), device_(device) {
  vit_.validate();
  root_ = std::make_shared<Path>();
  root_->id = next_id();
  root_->task = kRootTask;
  root_->hparams = space_.defaults;
  std::vector<std::string> names{"embedding", "cls", "posembed", "encoder_norm", "head"};
  for (int64_t i = 0; i < vit_.depth; ++i) names.push_back("encoderblock_" + std::to_string(i));
  for (const auto& name : names) {
    auto c = std::make_shared<Component>(next_id(), name, init_component(name, vit_, 1, 0, seed_, device_));
    c->lock(kRootTask);
    root_->components[name] = c;
  }
}

const std::vector<PathPtr>& Population::paths(const std::string& task) const {
  static const std::vector<PathPtr> none;
  auto it = paths_.find(task);
  return it == paths_.end() ? none : it->second;
}

std::vector<std::string> Population::tasks() const {
  std::vector<std::string> out;
  for (const auto& [task, _] : paths_) out.push_back(task);
  return out;
}

bool Population::do_mutate(Hparams& hparams, const std::string& name, Rng& rng) const {
  if (std::find(mutation_.forced.begin(), mutation_.forced.end(), name) != mutation_.forced.end()) return true;
  const double mu = hparams.at("_mu_").get<double>();
  const std::string key = "_mu_|" + name;
  if (!hparams.count(key)) hparams[key] = hparams.at("_mu_");
  if (uniform(rng) < mu) hparams[key] = space_.step("_mu_", hparams[key], rng);
  return hparams[key].get<double>() > uniform(rng);
}

PathPtr Population::make_child(const PathPtr& parent, const std::string& task, int64_t classes, Rng& rng) {
  auto child = std::make_shared<Path>();
  child->id = next_id();
  child->task = task;
  child->parent = parent;
  child->generation = parent->generation + 1;
  child->hparams = parent->hparams;
  child->hparams["num_classes"] = classes;
  for (const auto& [key, values] : space_.ranges)
    if (key != "_mu_" && do_mutate(child->hparams, "hp:" + key, rng))
      child->hparams[key] = space_.step(key, child->hparams[key], rng);
  if (child->hparams.count("_mu_") && uniform(rng) < child->hparams["_mu_"].get<double>())
    child->hparams["_mu_"] = space_.step("_mu_", child->hparams["_mu_"], rng);

  const int64_t layers = child->layers(), adapter_dim = child->hparams.at("adapter_dim").get<int64_t>();
  std::vector<std::string> names{"embedding", "cls", "posembed", "encoder_norm", "head"};
  std::set<std::string> fresh_adapters;
  for (int64_t i = 0; i < layers; ++i) {
    names.push_back("encoderblock_" + std::to_string(i));
    const std::string adapter = "residual_adapter_" + std::to_string(i);
    if (parent->components.count(adapter)) {
      names.push_back(adapter);  // adapters of layers no longer kept are dropped
    } else if (mutation_.adapters && do_mutate(child->hparams, "add:" + adapter, rng)) {
      names.push_back(adapter);
      fresh_adapters.insert(adapter);
    }
  }
  const uint64_t init_seed = mix64(seed_, uint64_t(child->id));
  for (const auto& name : names) {
    const Component wanted(-1, name, init_component(name, vit_, classes, adapter_dim, init_seed, device_));
    // The nearest ancestor's component of the same name and shape; a head of another task is
    // never inherited (a new task starts from a zero head).
    ComponentPtr found;
    if (!fresh_adapters.count(name))
      for (auto at = parent; at && !found; at = at->parent) {
        auto it = at->components.find(name);
        if (it == at->components.end() || !it->second->fits(wanted)) continue;
        if (name == "head" && at->task != task) continue;
        found = it->second;
      }
    if (!found) {
      child->components[name] = std::make_shared<Component>(next_id(), name, wanted.tensors());
    } else if (found->trainable() || do_mutate(child->hparams, "clone:" + name, rng)) {
      child->components[name] = found->clone(next_id());
    } else {
      child->components[name] = found;  // shared frozen, by reference
    }
  }
  if (parent->task == task) ++parent->offsprings;
  return child;
}

PathPtr Population::select_parent(const std::string& task, const std::function<double(const Path&)>& score,
                                  Rng& rng) const {
  auto own = paths(task);
  std::stable_sort(own.begin(), own.end(), [&](const PathPtr& a, const PathPtr& b) { return score(*a) > score(*b); });
  for (const auto& p : own)
    if (uniform(rng) < acceptance(p->offsprings)) return p;
  std::vector<PathPtr> pool = own;
  for (const auto& [other, list] : paths_)
    if (other != task) pool.insert(pool.end(), list.begin(), list.end());
  pool.push_back(root_);
  return pool[size_t(std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng))];
}

int64_t Population::system_params() const {
  std::set<const Component*> seen;
  int64_t total = 0;
  const auto count = [&](const Path& p) {
    for (const auto& [name, c] : p.components)
      if (seen.insert(c.get()).second) total += c->numel();
  };
  count(*root_);
  for (const auto& [task, list] : paths_)
    for (const auto& p : list) count(*p);
  return total;
}

void Population::add(const PathPtr& path) { paths_[path->task].push_back(path); }

void Population::start_task(const std::string& task) {
  for (const auto& p : paths(task))
    for (auto& [name, c] : p->components) c->unlock(task);
}

PathPtr Population::end_task(const std::string& task, const std::function<double(const Path&)>& score) {
  auto& list = paths_[task];
  METAEVO_CHECK(!list.empty(), "end_task: task '{}' has no paths", task);
  auto best = *std::max_element(list.begin(), list.end(),
                                [&](const PathPtr& a, const PathPtr& b) { return score(*a) < score(*b); });
  list = {best};
  for (auto& [name, c] : best->components) c->lock(task);
  return best;
}

}  // namespace metaevo::munet
