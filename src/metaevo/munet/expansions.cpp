#include "metaevo/munet/expansions.h"

#include <cmath>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::munet {
namespace {

using models::Transformer;
using models::TransformerLayer;

torch::Tensor philox_tensor(uint64_t seed, const std::string& name, const std::vector<int64_t>& shape, double std) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return (philox_normal({mix64(seed, hash64(name)), 0, 0, 0}, n) * std).view(shape);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<int64_t> shape_of(const torch::Tensor& t) { return t.sizes().vec(); }

/// A planner's bookkeeping: the model's tensors as they are, and the growth entries.
struct Planner {
  const Transformer& model;
  Expansion e;
  Planner(const Transformer& m, std::string what) : model(m) {
    e.what = std::move(what);
    e.after = m.options();
  }
  /// Tensor `name` grows to `shape` (old block kept, times `scale`).
  void grow(const std::string& name, std::vector<int64_t> shape, bool zero_new, double scale = 1) {
    const auto& t = model.tensors().at(name);
    e.tensors.push_back({name, shape_of(t), std::move(shape), scale, zero_new});
  }
  /// The same grow for tensor `field` of every layer.
  void grow_layers(const std::string& field, std::vector<int64_t> shape, bool zero_new, double scale = 1) {
    for (int64_t i = 0; i < model.options().layers; ++i)
      grow("layers." + std::to_string(i) + "." + field, shape, zero_new, scale);
  }
};

void require_larger(const char* key, int64_t now, int64_t asked) {
  require(asked > now, key, "{} is not an expansion of {} (the function-preserving expansions only grow)", asked, now);
}

/// Copies `old` times `scale` into the origin block of `out` (a tensor of the new shape).
torch::Tensor place(torch::Tensor out, const torch::Tensor& old, double scale) {
  if (!old.defined()) return out;
  auto block = out;
  for (int64_t d = 0; d < old.dim(); ++d) block = block.narrow(d, 0, old.size(d));
  block.copy_(old * scale);
  return out;
}

/// The layer's tensors all undefined: the slots a layer addition fills.
void insert_layer(models::TransformerTensors& t, const Expansion& e) {
  if (e.insert_layer >= 0) t.layers.insert(t.layers.begin() + e.insert_layer, TransformerLayer{});
}

}  // namespace

FreeInit fresh_init(uint64_t seed) {
  return [seed](const std::string& name, const std::vector<int64_t>& shape) {
    if (ends_with(name, "_gain")) return torch::ones(shape);
    if (shape.size() < 2) return torch::zeros(shape);  // biases, the class token's row
    return philox_tensor(seed, name, shape, 1 / std::sqrt(double(shape[shape.size() - 2])));
  };
}

FreeInit normal_init(uint64_t seed, double std) {
  return [seed, std](const std::string& name, const std::vector<int64_t>& shape) {
    return philox_tensor(seed, name, shape, std);
  };
}

Expansion mlp_expansion(const Transformer& model, int64_t mlp_dim) {
  const auto& o = model.options();
  require_larger("mlp_dim", o.mlp_dim, mlp_dim);
  Planner p(model, fmt::format("mlp_dim {} -> {}", o.mlp_dim, mlp_dim));
  p.grow_layers("w1", {o.hidden, mlp_dim}, false);
  p.grow_layers("b1", {mlp_dim}, false);
  p.grow_layers("w2", {mlp_dim, o.hidden}, true);
  p.e.after.mlp_dim = mlp_dim;
  return p.e;
}

Expansion head_addition(const Transformer& model, int64_t heads) {
  const auto& o = model.options();
  require_larger("heads", o.heads, heads);
  Planner p(model, fmt::format("heads {} -> {}", o.heads, heads));
  p.grow_layers("wq", {heads, o.hidden, o.key_dim}, false);
  p.grow_layers("wk", {heads, o.hidden, o.key_dim}, false);
  p.grow_layers("wv", {heads, o.hidden, o.value_dim}, false);
  p.grow_layers("wo", {heads, o.value_dim, o.hidden}, true);
  p.e.after.heads = heads;
  return p.e;
}

Expansion heads_expansion(const Transformer& model, int64_t value_dim) {
  const auto& o = model.options();
  require_larger("value_dim", o.value_dim, value_dim);
  Planner p(model, fmt::format("value_dim {} -> {}", o.value_dim, value_dim));
  p.grow_layers("wv", {o.heads, o.hidden, value_dim}, false);
  p.grow_layers("wo", {o.heads, value_dim, o.hidden}, true);
  p.e.after.value_dim = value_dim;
  return p.e;
}

Expansion attention_expansion(const Transformer& model, int64_t key_dim) {
  const auto& o = model.options();
  require_larger("key_dim", o.key_dim, key_dim);
  Planner p(model, fmt::format("key_dim {} -> {}", o.key_dim, key_dim));
  p.grow_layers("wq", {o.heads, o.hidden, key_dim}, false);
  p.grow_layers("wk", {o.heads, o.hidden, key_dim}, true, std::sqrt(double(key_dim) / double(o.key_dim)));
  p.e.after.key_dim = key_dim;
  return p.e;
}

Expansion hidden_expansion(const Transformer& model, int64_t hidden) {
  const auto& o = model.options();
  require_larger("hidden", o.hidden, hidden);
  require(o.rms(), "hidden",
          "the hidden-dimension expansion is not function-preserving with norm: layer (the zero-padded "
          "features change LayerNorm's mean and variance); use norm: rms");
  Planner p(model, fmt::format("hidden {} -> {}", o.hidden, hidden));
  const double gain = std::sqrt(double(o.hidden) / double(hidden));
  p.grow("embed", {o.input_dim(), hidden}, true);
  if (o.vit()) p.grow("cls", {1, hidden}, true);
  p.grow("pos", {o.positions(), hidden}, true);
  p.grow_layers("norm1_gain", {hidden}, false, gain);
  for (const char* w : {"wq", "wk"}) p.grow_layers(w, {o.heads, hidden, o.key_dim}, false);
  p.grow_layers("wv", {o.heads, hidden, o.value_dim}, false);
  p.grow_layers("wo", {o.heads, o.value_dim, hidden}, true);
  p.grow_layers("norm2_gain", {hidden}, false, gain);
  p.grow_layers("w1", {hidden, o.mlp_dim}, false);
  p.grow_layers("w2", {o.mlp_dim, hidden}, true);
  p.grow_layers("b2", {hidden}, true);
  p.grow("norm_gain", {hidden}, false, gain);
  p.grow("out_w", {hidden, o.output_dim()}, false);
  p.e.after.hidden = hidden;
  p.e.eps_scale = double(o.hidden) / double(hidden);
  return p.e;
}

Expansion layer_addition(const Transformer& model, int64_t at) {
  const auto& o = model.options();
  require(at >= 0 && at <= o.layers, "layers", "a new layer goes at a depth in 0..{}, got {}", o.layers, at);
  Planner p(model, fmt::format("layers {} -> {} (new layer at depth {})", o.layers, o.layers + 1, at));
  const std::string l = "layers." + std::to_string(at) + ".";
  auto add = [&](const std::string& field, std::vector<int64_t> shape, bool zero) {
    p.e.tensors.push_back({l + field, {}, std::move(shape), 1, zero});
  };
  const int64_t h = o.hidden;
  add("norm1_gain", {h}, false);
  add("wq", {o.heads, h, o.key_dim}, false);
  add("wk", {o.heads, h, o.key_dim}, false);
  add("wv", {o.heads, h, o.value_dim}, false);
  add("wo", {o.heads, o.value_dim, h}, true);
  add("norm2_gain", {h}, false);
  add("w1", {h, o.mlp_dim}, false);
  add("b1", {o.mlp_dim}, false);
  add("w2", {o.mlp_dim, h}, true);
  add("b2", {h}, true);
  if (!o.rms()) add("norm1_bias", {h}, false), add("norm2_bias", {h}, false);
  p.e.after.layers = o.layers + 1;
  p.e.insert_layer = at;
  return p.e;
}

std::vector<Expansion> plan_expansion(const Transformer& model, const std::string& size, int64_t value) {
  if (size == "mlp_dim") return {mlp_expansion(model, value)};
  if (size == "heads") return {head_addition(model, value)};
  if (size == "value_dim") return {heads_expansion(model, value)};
  if (size == "key_dim") return {attention_expansion(model, value)};
  if (size == "hidden") return {hidden_expansion(model, value)};
  if (size == "layers") {
    require_larger("layers", model.options().layers, value);
    // Each addition is planned on the model as the previous ones leave it: plan on a copy.
    Transformer grown = model;  // shares the tensors, which apply replaces rather than writes
    std::vector<Expansion> plan;
    for (int64_t n = model.options().layers; n < value; ++n) {
      plan.push_back(layer_addition(grown, n));
      apply(plan.back(), grown,
            [](const std::string&, const std::vector<int64_t>& shape) { return torch::zeros(shape); });
    }
    return plan;
  }
  fail("expansion: unknown size '{}' (mlp_dim | heads | value_dim | key_dim | hidden | layers)", size);
}

void apply(const Expansion& e, Transformer& model, const FreeInit& init) {
  torch::NoGradGuard no_grad;
  auto& t = model.tensors();
  const auto like = t.embed;
  insert_layer(t, e);
  for (const auto& g : e.tensors) {
    auto& slot = t.at(g.name);
    const auto fresh = g.zero_new ? torch::zeros(g.shape) : init(g.name, g.shape);
    METAEVO_CHECK(fresh.sizes().vec() == g.shape, "expansion {}: the initialiser gave {} a tensor of shape {}, not {}",
                  e.what, g.name, c10::str(fresh.sizes()), c10::str(at::IntArrayRef(g.shape)));
    const auto old = slot;
    slot = place(fresh.to(like.options()), old, g.scale).requires_grad_(like.requires_grad());
  }
  model.options() = e.after;
  model.set_norm_eps(model.norm_eps() * e.eps_scale);
}

void apply(const Expansion& e, models::TransformerTensors& moments, Moment kind) {
  torch::NoGradGuard no_grad;
  const auto like = moments.embed;
  insert_layer(moments, e);
  for (const auto& g : e.tensors) {
    auto& slot = moments.at(g.name);
    const double scale = kind == Moment::first ? 1 / g.scale : 1 / (g.scale * g.scale);
    slot = place(torch::zeros(g.shape, like.options()), slot, scale);
  }
}

}  // namespace metaevo::munet
