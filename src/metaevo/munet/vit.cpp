#include "metaevo/munet/vit.h"

#include <cmath>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/serialize.h"

namespace metaevo::munet {

namespace F = torch::nn::functional;

void VitOptions::validate() const {
  require(channels >= 1, "channels", "must be >= 1, got {}", channels);
  require(patch >= 1 && image_size >= patch && image_size % patch == 0, "image_size",
          "must be a positive multiple of patch ({}), got {}", patch, image_size);
  require(width >= 1 && heads >= 1 && width % heads == 0, "heads", "must divide width ({}), got {}", width, heads);
  require(depth >= 1, "depth", "must be >= 1, got {}", depth);
  require(mlp_dim >= 1, "mlp_dim", "must be >= 1, got {}", mlp_dim);
}

namespace {

/// Counter-based initialisers: a component's tensors depend only on (seed, name, tensor index).
struct Init {
  uint64_t key;
  uint32_t next = 0;
  torch::Tensor normal(std::vector<int64_t> shape, double std) {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return philox_normal({key, next++, 0, 0}, n).view(shape) * std;
  }
  /// Glorot/Xavier uniform for a [out, in] matrix.
  torch::Tensor xavier(int64_t out, int64_t in) {
    const double bound = std::sqrt(6.0 / double(in + out));
    return (philox_uniform({key, next++, 0, 0}, out * in).view({out, in}) * 2 - 1) * bound;
  }
};

torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  return F::layer_norm(x, F::LayerNormFuncOptions({x.size(-1)}).weight(w).bias(b).eps(1e-6));
}

torch::Tensor encoder_block(const torch::Tensor& x, const Params& p, int64_t heads) {
  // p: ln1 w, b; qkv w, b; out w, b; ln2 w, b; mlp1 w, b; mlp2 w, b
  const int64_t batch = x.size(0), tokens = x.size(1), width = x.size(2), d = width / heads;
  auto qkv =
      F::linear(layer_norm(x, p[0], p[1]), p[2], p[3]).view({batch, tokens, 3, heads, d}).permute({2, 0, 3, 1, 4});
  const auto q = qkv[0], k = qkv[1], v = qkv[2];
  const auto attention = torch::softmax(q.matmul(k.transpose(-2, -1)) / std::sqrt(double(d)), -1);
  const auto mixed = attention.matmul(v).transpose(1, 2).reshape({batch, tokens, width});
  const auto y = x + F::linear(mixed, p[4], p[5]);
  return y + F::linear(torch::gelu(F::linear(layer_norm(y, p[6], p[7]), p[8], p[9])), p[10], p[11]);
}

torch::Tensor adapter(const torch::Tensor& x, const Params& p) {
  return x + F::linear(torch::gelu(F::linear(layer_norm(x, p[0], p[1]), p[2], p[3])), p[4], p[5]);
}

}  // namespace

namespace {

Params init_on_cpu(const std::string& name, const VitOptions& o, int64_t classes, int64_t adapter_dim, uint64_t seed) {
  Init init{mix64(seed, hash64(name))};
  const int64_t w = o.width;
  auto ones = [](int64_t n) { return torch::ones({n}); };
  auto zeros = [](std::vector<int64_t> s) { return torch::zeros(s); };
  if (name == "embedding") {
    const int64_t fan_in = o.channels * o.patch * o.patch;
    return {init.normal({w, o.channels, o.patch, o.patch}, 1.0 / std::sqrt(double(fan_in))), zeros({w})};
  }
  if (name == "cls") return {zeros({1, 1, w})};
  if (name == "posembed") return {init.normal({1, o.tokens(), w}, 0.02)};
  if (name == "encoder_norm") return {ones(w), zeros({w})};
  if (name == "head") return {zeros({classes, w}), zeros({classes})};
  if (name.rfind("encoderblock_", 0) == 0)
    return {ones(w),
            zeros({w}),
            init.xavier(3 * w, w),
            zeros({3 * w}),
            init.xavier(w, w),
            zeros({w}),
            ones(w),
            zeros({w}),
            init.xavier(o.mlp_dim, w),
            init.normal({o.mlp_dim}, 1e-6),
            init.xavier(w, o.mlp_dim),
            init.normal({w}, 1e-6)};
  if (name.rfind("residual_adapter_", 0) == 0)
    // The output layer starts at zero: inserting an adapter leaves the function unchanged.
    return {ones(w),   zeros({w}), init.xavier(adapter_dim, w), zeros({adapter_dim}), zeros({w, adapter_dim}),
            zeros({w})};
  fail("init_component: unknown component '{}'", name);
}

}  // namespace

Params init_component(const std::string& name, const VitOptions& o, int64_t classes, int64_t adapter_dim, uint64_t seed,
                      torch::Device device) {
  auto tensors = init_on_cpu(name, o, classes, adapter_dim, seed);
  for (auto& t : tensors) t = t.to(device);
  return tensors;
}

torch::Tensor vit_forward(const torch::Tensor& images, const std::map<std::string, ComponentPtr>& parts, int64_t layers,
                          const VitOptions& o) {
  auto get = [&](const std::string& name) -> const Params& {
    auto it = parts.find(name);
    METAEVO_CHECK(it != parts.end(), "vit_forward: no component '{}'", name);
    return it->second->tensors();
  };
  const auto& embedding = get("embedding");
  auto x = F::conv2d(images, embedding[0], F::Conv2dFuncOptions().bias(embedding[1]).stride(o.patch));
  x = x.flatten(2).transpose(1, 2);  // [B, patches, width]
  x = torch::cat({get("cls")[0].expand({x.size(0), 1, x.size(2)}), x}, 1) + get("posembed")[0];
  for (int64_t i = 0; i < layers; ++i) {
    auto a = parts.find("residual_adapter_" + std::to_string(i));
    if (a != parts.end()) x = adapter(x, a->second->tensors());
    x = encoder_block(x, get("encoderblock_" + std::to_string(i)), o.heads);
  }
  const auto& norm = get("encoder_norm");
  const auto& head = get("head");
  return F::linear(layer_norm(x, norm[0], norm[1]).select(1, 0), head[0], head[1]);
}

}  // namespace metaevo::munet
