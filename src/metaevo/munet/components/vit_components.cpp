// The ViT's component kinds (the reference's Ti3 layout): patch embedding, class token, position
// embedding, pre-norm encoder block, final norm reading out the class token, linear head, and the
// optional residual adapter x + Dense(gelu(Dense(LayerNorm(x)))) before a block.
#include <cmath>

#include "metaevo/core/error.h"
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

/// Pre-norm block; its heads keep the root's size (width / vit.heads), so the number of heads and
/// the MLP's width are read from the tensors: a grown block (grow:heads, grow:mlp_dim) runs as is.
class EncoderBlock : public ComponentKind {
  // Tensors: ln1 w, b; qkv w [3 x heads x head, width], b; out w [width, heads x head], b; ln2 w,
  // b; mlp1 w [mlp, width], b; mlp2 w [width, mlp], b.
  enum { qkv_w = 2, qkv_b, out_w, out_b, mlp1_w = 8, mlp1_b, mlp2_w, mlp2_b };
  static int64_t head_size(const VitOptions& o) { return o.width / o.heads; }
  static int64_t heads(const Params& p, const VitOptions& o) { return p[qkv_w].size(0) / (3 * head_size(o)); }

  Stage stage() const override { return Stage::layer; }
  int order() const override { return 1; }
  Params init(const ComponentShape& s, TensorInit& init) const override {
    const int64_t w = s.vit.width, m = s.vit.mlp_dim;
    auto ones = [](int64_t n) { return torch::ones({n}); };
    auto zeros = [](int64_t n) { return torch::zeros({n}); };
    return {
        ones(w), zeros(w), init.xavier(3 * w, w), zeros(3 * w),           init.xavier(w, w), zeros(w),
        ones(w), zeros(w), init.xavier(m, w),     init.normal({m}, 1e-6), init.xavier(w, m), init.normal({w}, 1e-6)};
  }
  torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions& o) const override {
    const int64_t batch = x.size(0), n = x.size(1), d = head_size(o), h = heads(p, o);
    auto qkv =
        F::linear(layer_norm(x, p[0], p[1]), p[qkv_w], p[qkv_b]).view({batch, n, 3, h, d}).permute({2, 0, 3, 1, 4});
    const auto q = qkv[0], k = qkv[1], v = qkv[2];
    const auto attention = torch::softmax(q.matmul(k.transpose(-2, -1)) / std::sqrt(double(d)), -1);
    const auto mixed = attention.matmul(v).transpose(1, 2).reshape({batch, n, h * d});
    const auto y = x + F::linear(mixed, p[out_w], p[out_b]);
    return y + F::linear(torch::gelu(F::linear(layer_norm(y, p[6], p[7]), p[mlp1_w], p[mlp1_b])), p[mlp2_w], p[mlp2_b]);
  }
  double flops(const Params& p, const VitOptions& o) const override {
    const double n = tokens(o), w = double(o.width), inner = double(heads(p, o) * head_size(o));
    return 2.0 * n * w * (3 * inner) + 2.0 * n * n * inner * 2 + 2.0 * n * inner * w +
           2.0 * n * w * double(p[mlp1_w].size(0)) * 2;
  }

  std::vector<std::string> growable() const override { return {"heads", "mlp_dim"}; }
  int64_t size(const Params& p, const std::string& dim, const VitOptions& o) const override {
    if (dim == "heads") return heads(p, o);
    if (dim == "mlp_dim") return p[mlp1_w].size(0);
    return ComponentKind::size(p, dim, o);
  }
  /// Head addition and MLP expansion (munet/expansions.h) on the packed layout: the new heads'
  /// columns of the output projection and the new columns of the MLP's second layer are zero.
  Params grow(const Params& p, const std::string& dim, int64_t to, const VitOptions& o,
              TensorInit& init) const override {
    const int64_t now = size(p, dim, o), w = o.width;
    METAEVO_CHECK(to > now, "encoderblock: {} can only grow ({} now, {} asked)", dim, now, to);
    const auto device = p[0].device();
    const auto free = [&](std::vector<int64_t> shape, double std) {
      return init.normal(std::move(shape), std).to(device);
    };
    Params out = p;
    if (dim == "mlp_dim") {
      const int64_t added = to - now;
      out[mlp1_w] = torch::cat({p[mlp1_w], free({added, w}, 1 / std::sqrt(double(w)))});
      out[mlp1_b] = torch::cat({p[mlp1_b], free({added}, 1)});
      out[mlp2_w] = torch::cat({p[mlp2_w], torch::zeros({w, added}, p[mlp2_w].options())}, 1);
      return out;
    }
    const int64_t d = head_size(o), added = to - now;
    // The packed rows are [q | k | v] x heads x head size: each of q, k, v gains `added` heads.
    out[qkv_w] = torch::cat({p[qkv_w].view({3, now, d, w}), free({3, added, d, w}, 1 / std::sqrt(double(w)))}, 1)
                     .reshape({3 * to * d, w});
    out[qkv_b] = torch::cat({p[qkv_b].view({3, now, d}), free({3, added, d}, 1)}, 1).reshape({3 * to * d});
    out[out_w] = torch::cat({p[out_w], torch::zeros({w, added * d}, p[out_w].options())}, 1);
    return out;
  }
  /// A layer addition: attention and MLP outputs at zero, so the block passes its input through.
  Params identity(const ComponentShape& s, TensorInit& init) const override {
    auto p = this->init(s, init);
    for (int i : {out_w, out_b, mlp2_w, mlp2_b}) p[size_t(i)].zero_();
    return p;
  }
  /// The same width; heads and MLP width may have grown.
  bool accepts(const Params& have, const Params& wanted) const override {
    return have.size() == wanted.size() && have[0].sizes() == wanted[0].sizes();
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
