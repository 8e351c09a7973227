#include "metaevo/munet/population.h"

#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/munet/component_kind.h"

namespace metaevo::munet {

namespace {

/// The components every path of `layers` encoder layers holds.
std::vector<std::string> required_components(int64_t layers) {
  std::vector<std::string> out;
  for (const auto& kind : component_kinds())
    if (!component_kind(kind).optional())
      for (const auto& name : component_names(kind, layers)) out.push_back(name);
  return out;
}

}  // namespace

Population::Population(VitOptions vit, HparamSpace space, MutationOptions mutation, uint64_t seed, torch::Device device)
    : vit_(vit), space_(std::move(space)), mutation_(std::move(mutation)), seed_(seed), device_(device) {
  vit_.validate();
  mutation_.validate();
  for (const auto& name : mutation_.active())
    mutations_.push_back(MutationRegistry::instance().create(name, "mutation.kinds"));
  std::stable_sort(mutations_.begin(), mutations_.end(),
                   [](const auto& a, const auto& b) { return a->stage() < b->stage(); });
  root_ = std::make_shared<Path>();
  root_->id = next_id();
  root_->task = kRootTask;
  root_->hparams = space_.defaults;
  root_->rates.base = mutation_.probability;
  for (const auto& name : required_components(vit_.depth)) {
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

PathPtr Population::make_child(const PathPtr& parent, const std::string& task, int64_t classes, Rng& rng) {
  auto child = std::make_shared<Path>();
  child->id = next_id();
  child->task = task;
  child->parent = parent;
  child->generation = parent->generation + 1;
  child->hparams = parent->hparams;
  child->hparams["num_classes"] = classes;
  child->rates = parent->rates;
  Mutator mutator(mutation_, child->rates, rng);
  mutator.tune_base();
  ChildDraft draft{*parent, *child, space_, vit_, device_, {}, {}, [this] { return next_id(); }, {}};
  const auto run = [&](Mutation::Stage stage) {
    for (const auto& m : mutations_)
      if (m->stage() == stage) m->apply(draft, mutator);
  };
  run(Mutation::Stage::hparams);

  // The architecture: every required component, and the parent's optional ones in the layers
  // still kept (those of dropped layers go with them).
  const int64_t layers = child->layers(), adapter_dim = child->hparams.at("adapter_dim").get<int64_t>();
  draft.names = required_components(layers);
  for (const auto& [name, c] : parent->components) {
    const auto n = ComponentName::parse(name);
    const auto& kind = component_kind(n.kind);
    if (kind.optional() && (kind.stage() != ComponentKind::Stage::layer || n.layer < layers))
      draft.names.push_back(name);
  }
  run(Mutation::Stage::architecture);

  // Each component from the nearest ancestor with one of the same name and shape, shared if it is
  // frozen; a task-specific one (a head) never from another task's path.
  const uint64_t init_seed = mix64(seed_, uint64_t(child->id));
  for (const auto& name : draft.names) {
    auto wanted = init_component(name, vit_, classes, adapter_dim, init_seed, device_);
    const auto& kind = component_kind(ComponentName::parse(name).kind);
    ComponentPtr found;
    if (!draft.fresh.count(name))
      for (auto at = parent; at && !found; at = at->parent) {
        auto it = at->components.find(name);
        if (it == at->components.end() || !kind.accepts(it->second->tensors(), wanted)) continue;
        if (kind.task_specific() && at->task != task) continue;
        found = it->second;
      }
    if (!found)
      child->components[name] = std::make_shared<Component>(next_id(), name, std::move(wanted));
    else if (found->trainable())  // still its owner's to train: the child gets a copy
      child->components[name] = found->clone(next_id());
    else
      child->components[name] = found;  // shared frozen, by reference
  }
  run(Mutation::Stage::components);
  run(Mutation::Stage::growth);
  child->grown = std::move(draft.grown);
  if (parent->task == task) ++parent->offsprings;
  return child;
}

PathPtr Population::select_parent(const std::string& task, const std::function<double(const Path&)>& score,
                                  Rng& rng) const {
  auto own = paths(task);
  std::stable_sort(own.begin(), own.end(), [&](const PathPtr& a, const PathPtr& b) { return score(*a) > score(*b); });
  for (const auto& p : own)
    if (rng.uniform() < acceptance(p->offsprings)) return p;
  std::vector<PathPtr> pool = own;
  for (const auto& [other, list] : paths_)
    if (other != task) pool.insert(pool.end(), list.begin(), list.end());
  pool.push_back(root_);
  return pool[rng.below(pool.size())];
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

void Population::prune(const std::string& task, const std::function<double(const Path&)>& score, size_t bound) {
  auto& list = paths_[task];
  std::stable_sort(list.begin(), list.end(), [&](const PathPtr& a, const PathPtr& b) { return score(*a) > score(*b); });
  if (list.size() > bound) list.resize(bound);
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
