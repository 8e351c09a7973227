#include "metaevo/models/transformer.h"

#include <cmath>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::models {

void TransformerOptions::validate() const {
  require(kind == "vit" || kind == "causal_lm", "kind", "must be vit or causal_lm, got '{}'", kind);
  require(norm == "rms" || norm == "layer", "norm", "must be rms or layer, got '{}'", norm);
  require(activation == "relu" || activation == "gelu", "activation", "must be relu or gelu, got '{}'", activation);
  require(hidden >= 1, "hidden", "must be >= 1, got {}", hidden);
  require(heads >= 1, "heads", "must be >= 1, got {}", heads);
  require(key_dim >= 1, "key_dim", "must be >= 1, got {}", key_dim);
  require(value_dim >= 1, "value_dim", "must be >= 1, got {}", value_dim);
  require(mlp_dim >= 1, "mlp_dim", "must be >= 1, got {}", mlp_dim);
  require(layers >= 0, "layers", "must be >= 0, got {}", layers);
  if (vit()) {
    require(outputs >= 1, "outputs", "must be >= 1, got {}", outputs);
    require(channels >= 1, "channels", "must be >= 1, got {}", channels);
    require(patch >= 1 && image_size >= patch && image_size % patch == 0, "image_size",
            "must be a positive multiple of patch ({}), got {}", patch, image_size);
  } else {
    require(vocab >= 1, "vocab", "must be >= 1, got {}", vocab);
    require(context >= 1, "context", "must be >= 1, got {}", context);
  }
}

int64_t TransformerOptions::positions() const {
  return vit() ? (image_size / patch) * (image_size / patch) + 1 : context;
}

int64_t TransformerOptions::input_dim() const { return vit() ? channels * patch * patch : vocab; }

namespace {

/// Every slot in the fixed order, undefined ones too when `all`.
template <class Tensors, class Out>
void collect(Tensors& t, Out& out, bool all = false) {
  auto add = [&](std::string name, auto& tensor) {
    if (all || tensor.defined()) out.emplace_back(std::move(name), &tensor);
  };
  add("embed", t.embed);
  add("cls", t.cls);
  add("pos", t.pos);
  for (size_t i = 0; i < t.layers.size(); ++i) {
    auto& l = t.layers[i];
    const std::string p = "layers." + std::to_string(i) + ".";
    add(p + "norm1_gain", l.norm1_gain);
    add(p + "norm1_bias", l.norm1_bias);
    add(p + "wq", l.wq);
    add(p + "wk", l.wk);
    add(p + "wv", l.wv);
    add(p + "wo", l.wo);
    add(p + "norm2_gain", l.norm2_gain);
    add(p + "norm2_bias", l.norm2_bias);
    add(p + "w1", l.w1);
    add(p + "b1", l.b1);
    add(p + "w2", l.w2);
    add(p + "b2", l.b2);
  }
  add("norm_gain", t.norm_gain);
  add("norm_bias", t.norm_bias);
  add("out_w", t.out_w);
  add("out_b", t.out_b);
}

}  // namespace

std::vector<std::pair<std::string, torch::Tensor*>> TransformerTensors::named() {
  std::vector<std::pair<std::string, torch::Tensor*>> out;
  collect(*this, out);
  return out;
}

std::vector<std::pair<std::string, const torch::Tensor*>> TransformerTensors::named() const {
  std::vector<std::pair<std::string, const torch::Tensor*>> out;
  collect(*this, out);
  return out;
}

torch::Tensor& TransformerTensors::at(const std::string& name) {
  return const_cast<torch::Tensor&>(static_cast<const TransformerTensors&>(*this).at(name));
}

const torch::Tensor& TransformerTensors::at(const std::string& name) const {
  std::vector<std::pair<std::string, const torch::Tensor*>> slots;
  collect(*this, slots, /*all=*/true);
  for (const auto& [slot, tensor] : slots)
    if (slot == name) return *tensor;
  fail("transformer: no tensor '{}'", name);
}

TransformerTensors TransformerTensors::zeros_like() const {
  TransformerTensors z = *this;
  for (auto& [name, t] : z.named()) *t = torch::zeros_like(*t);
  return z;
}

Transformer::Transformer(TransformerOptions options, uint64_t seed) : options_(std::move(options)) {
  options_.validate();
  const auto& o = options_;
  const int64_t h = o.hidden;
  const bool layer_norm = !o.rms();
  // Normal draws keyed by (seed, tensor name): a tensor's values do not depend on the others.
  auto normal = [&](const std::string& name, std::vector<int64_t> shape, double std) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return (philox_normal({mix64(seed, hash64(name)), 0, 0, 0}, n) * std).view(shape);
  };
  auto ones = [](int64_t n) { return torch::ones({n}); };
  auto zeros = [](int64_t n) { return torch::zeros({n}); };
  auto& t = tensors_;
  t.embed = normal("embed", {o.input_dim(), h}, o.vit() ? 1 / std::sqrt(double(o.input_dim())) : 1.0);
  if (o.vit()) t.cls = torch::zeros({1, h});
  t.pos = normal("pos", {o.positions(), h}, 0.02);
  for (int64_t i = 0; i < o.layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    const double in = 1 / std::sqrt(double(h));
    TransformerLayer l;
    l.norm1_gain = ones(h);
    l.wq = normal(p + "wq", {o.heads, h, o.key_dim}, in);
    l.wk = normal(p + "wk", {o.heads, h, o.key_dim}, in);
    l.wv = normal(p + "wv", {o.heads, h, o.value_dim}, in);
    l.wo = normal(p + "wo", {o.heads, o.value_dim, h}, 1 / std::sqrt(double(o.heads * o.value_dim)));
    l.norm2_gain = ones(h);
    l.w1 = normal(p + "w1", {h, o.mlp_dim}, in);
    l.b1 = zeros(o.mlp_dim);
    l.w2 = normal(p + "w2", {o.mlp_dim, h}, 1 / std::sqrt(double(o.mlp_dim)));
    l.b2 = zeros(h);
    if (layer_norm) l.norm1_bias = zeros(h), l.norm2_bias = zeros(h);
    t.layers.push_back(l);
  }
  t.norm_gain = ones(h);
  if (layer_norm) t.norm_bias = zeros(h);
  t.out_w = normal("out_w", {h, o.output_dim()}, 1 / std::sqrt(double(h)));
  t.out_b = zeros(o.output_dim());
}

torch::Tensor Transformer::norm(const torch::Tensor& x, const torch::Tensor& gain, const torch::Tensor& bias) const {
  if (options_.rms()) return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + norm_eps_) * gain;
  // Elementary operations rather than the fused layer norm, whose backward sums per thread block
  // (the result would depend on the thread count).
  const auto centered = x - x.mean(-1, /*keepdim=*/true);
  return centered * torch::rsqrt(centered.pow(2).mean(-1, /*keepdim=*/true) + norm_eps_) * gain + bias;
}

torch::Tensor Transformer::layer(torch::Tensor x, const TransformerLayer& l) const {
  const int64_t positions = x.size(1);
  const auto a = norm(x, l.norm1_gain, l.norm1_bias).unsqueeze(1);        // [B, 1, T, h]
  const auto q = a.matmul(l.wq), k = a.matmul(l.wk), v = a.matmul(l.wv);  // [B, E, T, k|v]
  auto scores = q.matmul(k.transpose(-2, -1)) / std::sqrt(double(l.wk.size(2)));
  if (!options_.vit()) {
    const auto future = torch::ones({positions, positions}, torch::kBool).triu(1).to(x.device());
    scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  }
  // sum over heads of (softmax(.) V_e) W_O,e
  x = x + torch::softmax(scores, -1).matmul(v).matmul(l.wo).sum(1);
  const auto m = norm(x, l.norm2_gain, l.norm2_bias).matmul(l.w1) + l.b1;
  const auto act = options_.activation == "relu" ? torch::relu(m) : torch::gelu(m);
  return x + act.matmul(l.w2) + l.b2;
}

torch::Tensor Transformer::forward(const torch::Tensor& input) const {
  const auto& o = options_;
  const auto& t = tensors_;
  torch::Tensor x;
  if (o.vit()) {
    METAEVO_CHECK(input.dim() == 4 && input.size(1) == o.channels && input.size(2) == o.image_size &&
                      input.size(3) == o.image_size,
                  "transformer: expected images [B, {}, {}, {}], got {}", o.channels, o.image_size, o.image_size,
                  c10::str(input.sizes()));
    const int64_t batch = input.size(0), side = o.image_size / o.patch;
    const auto patches = input.reshape({batch, o.channels, side, o.patch, side, o.patch})
                             .permute({0, 2, 4, 1, 3, 5})
                             .reshape({batch, side * side, o.input_dim()});
    x = torch::cat({t.cls.expand({batch, 1, o.hidden}), patches.matmul(t.embed)}, 1) + t.pos;
  } else {
    METAEVO_CHECK(input.dim() == 2 && input.size(1) >= 1 && input.size(1) <= o.context,
                  "transformer: expected token ids [B, T] with 1 <= T <= {}, got {}", o.context,
                  c10::str(input.sizes()));
    x = t.embed.index_select(0, input.reshape(-1)).view({input.size(0), input.size(1), o.hidden}) +
        t.pos.slice(0, 0, input.size(1));
  }
  for (const auto& l : t.layers) x = layer(x, l);
  x = norm(x, t.norm_gain, t.norm_bias);
  if (o.vit()) x = x.select(1, 0);
  return x.matmul(t.out_w) + t.out_b;
}

int64_t Transformer::parameter_count() const {
  int64_t n = 0;
  for (const auto& [name, t] : tensors_.named()) n += t->numel();
  return n;
}

double Transformer::flops_per_example() const {
  const auto& o = options_;
  const double n = double(o.positions()), h = double(o.hidden), e = double(o.heads);
  const double k = double(o.key_dim), v = double(o.value_dim), p = double(o.mlp_dim);
  const double embed = o.vit() ? 2 * (n - 1) * double(o.input_dim()) * h : 0;
  const double attention = 2 * n * h * e * (2 * k + v) + 2 * n * n * e * (k + v) + 2 * n * e * v * h;
  const double mlp = 2 * n * h * p * 2;
  const double readout = 2 * (o.vit() ? 1 : n) * h * double(o.output_dim());
  return embed + double(o.layers) * (attention + mlp) + readout;
}

}  // namespace metaevo::models
