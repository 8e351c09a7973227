// The ViT's component kinds (the reference's Ti3 layout): patch embedding, class token, position
// embedding, pre-norm encoder block, final norm reading out the class token, linear head, and the
// optional residual adapter x + Dense(gelu(Dense(LayerNorm(x)))) before a block.
#include <cmath>

#include "metaevo/munet/component_kind.h"

namespace metaevo::munet {
namespace {

namespace F = torch::nn::functional;
using Stage = ComponentKind::Stage;

/// Layer norm from elementary operations: LibTorch's fused layer-norm backward sums the weight and
/// bias gradients in per-thread blocks, so its result depends on the thread count; the reductions
/// here are split per output element, and the result is the same on any number of threads.
torch::Tensor layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  const auto centered = x - x.mean(-1, /*keepdim=*/true);
  return centered * torch::rsqrt(centered.pow(2).mean(-1, /*keepdim=*/true) + 1e-6) * w + b;
}

/// Tokens per image, class token included.
double tokens(const VitOptions& o) { return double(o.tokens()); }

class Embedding : public ComponentKind {
  Stage stage() const override { return Stage::stem; }
  int order() const override { return 0; }
  Params init(const ComponentShape& s, TensorInit& init) const override {
    const auto& o = s.vit;
    const int64_t fan_in = o.channels * o.patch * o.patch;
    return {init.normal({o.width, o.channels, o.patch, o.patch}, 1.0 / std::sqrt(double(fan_in))),
            torch::zeros({o.width})};
  }
  /// The patch convolution written as patches x matrix: LibTorch's convolution backward sums the
  /// weight gradient in an order that depends on the thread count, a matrix product does not.
  torch::Tensor forward(const torch::Tensor& images, const Params& p, const VitOptions& o) const override {
    const int64_t batch = images.size(0), c = images.size(1), side = images.size(2) / o.patch;
    const auto patches = images.reshape({batch, c, side, o.patch, side, o.patch})
                             .permute({0, 2, 4, 1, 3, 5})
                             .reshape({batch, side * side, c * o.patch * o.patch});
    return F::linear(patches, p[0].reshape({p[0].size(0), -1}), p[1]);
  }
  double flops(const Params& p, const VitOptions& o) const override {
    return 2.0 * (tokens(o) - 1) * double(o.width) * double(o.channels * o.patch * o.patch);
  }
};

class ClassToken : public ComponentKind {
  Stage stage() const override { return Stage::stem; }
  int order() const override { return 1; }
  Params init(const ComponentShape& s, TensorInit&) const override { return {torch::zeros({1, 1, s.vit.width})}; }
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions&) const override {
    return torch::cat({p[0].expand({x.size(0), 1, x.size(2)}), x}, 1);
  }
};

class PositionEmbedding : public ComponentKind {
  Stage stage() const override { return Stage::stem; }
  int order() const override { return 2; }
  Params init(const ComponentShape& s, TensorInit& init) const override {
    return {init.normal({1, s.vit.tokens(), s.vit.width}, 0.02)};
  }
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions&) const override { return x + p[0]; }
};

class ResidualAdapter : public ComponentKind {
  Stage stage() const override { return Stage::layer; }
  int order() const override { return 0; }  // before the layer's block
  bool optional() const override { return true; }
  Params init(const ComponentShape& s, TensorInit& init) const override {
    const int64_t w = s.vit.width, d = s.adapter_dim;
    // The output layer starts at zero: inserting an adapter leaves the function unchanged.
    return {torch::ones({w}),  torch::zeros({w}),    init.xavier(d, w),
            torch::zeros({d}), torch::zeros({w, d}), torch::zeros({w})};
  }
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions&) const override {
    return x + F::linear(torch::gelu(F::linear(layer_norm(x, p[0], p[1]), p[2], p[3])), p[4], p[5]);
  }
  double flops(const Params& p, const VitOptions& o) const override {
    return 2.0 * tokens(o) * double(o.width) * double(p[2].size(0)) * 2;
  }
};

class EncoderBlock : public ComponentKind {
  Stage stage() const override { return Stage::layer; }
  int order() const override { return 1; }
  Params init(const ComponentShape& s, TensorInit& init) const override {
    const int64_t w = s.vit.width, m = s.vit.mlp_dim;
    auto ones = [](int64_t n) { return torch::ones({n}); };
    auto zeros = [](int64_t n) { return torch::zeros({n}); };
    // ln1 w, b; qkv w, b; out w, b; ln2 w, b; mlp1 w, b; mlp2 w, b
    return {
        ones(w), zeros(w), init.xavier(3 * w, w), zeros(3 * w),           init.xavier(w, w), zeros(w),
        ones(w), zeros(w), init.xavier(m, w),     init.normal({m}, 1e-6), init.xavier(w, m), init.normal({w}, 1e-6)};
  }
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions& o) const override {
    const int64_t batch = x.size(0), n = x.size(1), width = x.size(2), d = width / o.heads;
    auto qkv =
        F::linear(layer_norm(x, p[0], p[1]), p[2], p[3]).view({batch, n, 3, o.heads, d}).permute({2, 0, 3, 1, 4});
    const auto q = qkv[0], k = qkv[1], v = qkv[2];
    const auto attention = torch::softmax(q.matmul(k.transpose(-2, -1)) / std::sqrt(double(d)), -1);
    const auto mixed = attention.matmul(v).transpose(1, 2).reshape({batch, n, width});
    const auto y = x + F::linear(mixed, p[4], p[5]);
    return y + F::linear(torch::gelu(F::linear(layer_norm(y, p[6], p[7]), p[8], p[9])), p[10], p[11]);
  }
  double flops(const Params&, const VitOptions& o) const override {
    const double n = tokens(o), w = double(o.width);
    return 2.0 * n * w * (3 * w) + 2.0 * n * n * w * 2 + 2.0 * n * w * w + 2.0 * n * w * double(o.mlp_dim) * 2;
  }
};

class EncoderNorm : public ComponentKind {
  Stage stage() const override { return Stage::top; }
  int order() const override { return 0; }
  Params init(const ComponentShape& s, TensorInit&) const override {
    return {torch::ones({s.vit.width}), torch::zeros({s.vit.width})};
  }
  /// Normalised class-token features [B, width].
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions&) const override {
    return layer_norm(x, p[0], p[1]).select(1, 0);
  }
};

class Head : public ComponentKind {
  Stage stage() const override { return Stage::top; }
  int order() const override { return 1; }
  bool task_specific() const override { return true; }
  /// Zero: a new task starts from a zero head over the features it inherits.
  Params init(const ComponentShape& s, TensorInit&) const override {
    return {torch::zeros({s.classes, s.vit.width}), torch::zeros({s.classes})};
  }
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions&) const override {
    return F::linear(x, p[0], p[1]);
  }
  double flops(const Params& p, const VitOptions& o) const override {
    return 2.0 * double(o.width) * double(p[0].size(0));
  }
};

template <class Kind>
Registrar<ComponentKindRegistry> kind(const char* name) {
  return {name, [] { return std::make_unique<Kind>(); }};
}
const auto embedding = kind<Embedding>("embedding");
const auto cls = kind<ClassToken>("cls");
const auto posembed = kind<PositionEmbedding>("posembed");
const auto residual_adapter = kind<ResidualAdapter>("residual_adapter");
const auto encoderblock = kind<EncoderBlock>("encoderblock");
const auto encoder_norm = kind<EncoderNorm>("encoder_norm");
const auto head = kind<Head>("head");

}  // namespace
}  // namespace metaevo::munet
