#pragma once
// A pre-norm transformer kept as explicit per-head tensors, so that it can grow in every size while
// computing the same function (munet/expansions.h). Following Gesmundo & Maile's reference
// architecture: x += P; per layer x = x + MHA(Norm1(x)), x = x + MLP(Norm2(x)) with
// MHA = sum_e softmax(Q_e K_e^T / sqrt(k)) V_e W_O,e (no biases) and MLP = act(x W1 + b1) W2 + b2;
// a final norm and an output layer. Two front ends share it: a ViT over image patches, read out at
// a class token, and a decoder-only causal language model over token ids, a logit per position.
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "metaevo/core/options.h"

namespace metaevo::models {

struct TransformerOptions {
  std::string kind = "vit";  // vit | causal_lm
  /// rms: x / sqrt(mean(x^2) + eps) * g, under which every expansion is exact; layer: LayerNorm
  /// with bias, under which the hidden-dimension expansion cannot be (it changes the mean and
  /// variance over the features).
  std::string norm = "rms";
  std::string activation = "relu";  // relu | gelu
  int64_t hidden = 64;              // h, the residual width
  int64_t heads = 2;                // E
  int64_t key_dim = 32;             // k, query/key width per head
  int64_t value_dim = 32;           // v, value width per head
  int64_t mlp_dim = 128;            // p
  int64_t layers = 2;               // N
  int64_t outputs = 10;             // vit: classes (causal_lm: the vocabulary)
  // vit
  int64_t channels = 1, image_size = 28, patch = 7;
  // causal_lm
  int64_t vocab = 32, context = 64;
  template <class V>
  void visit(V& v) {
    v("kind", kind, "vit (image patches, class-token readout) | causal_lm (token ids, a logit per position)");
    v("norm", norm, "rms | layer (the hidden-dimension expansion is exact only with rms)");
    v("activation", activation, "MLP activation: relu | gelu");
    v("hidden", hidden, "residual width h");
    v("heads", heads, "attention heads E");
    v("key_dim", key_dim, "query/key width per head k");
    v("value_dim", value_dim, "value width per head v");
    v("mlp_dim", mlp_dim, "MLP inner width p");
    v("layers", layers, "transformer layers N");
    v("outputs", outputs, "vit: classes");
    v("channels", channels, "vit: image channels");
    v("image_size", image_size, "vit: image side in pixels (a multiple of patch)");
    v("patch", patch, "vit: patch side in pixels");
    v("vocab", vocab, "causal_lm: vocabulary size (also its outputs)");
    v("context", context, "causal_lm: longest sequence");
  }
  void validate() const;
  bool rms() const { return norm == "rms"; }
  bool vit() const { return kind == "vit"; }
  /// Positions: patches plus the class token (vit), or the context (causal_lm).
  int64_t positions() const;
  /// Width of one input row: a flattened patch (vit) or a token id's one-hot (causal_lm).
  int64_t input_dim() const;
  int64_t output_dim() const { return vit() ? outputs : vocab; }
};

/// One layer's tensors. Per-head matrices are stacked on the first axis: wq, wk [E, h, k],
/// wv [E, h, v], wo [E, v, h]. The norm biases are undefined with RMSNorm.
struct TransformerLayer {
  torch::Tensor norm1_gain, norm1_bias, wq, wk, wv, wo, norm2_gain, norm2_bias, w1, b1, w2, b2;
};

/// Every tensor of the model, or anything shaped like them (an optimizer's moments).
struct TransformerTensors {
  torch::Tensor embed;  // [input_dim, h]: patch projection, or token embedding table
  torch::Tensor cls;    // [1, h] (vit only)
  torch::Tensor pos;    // [positions, h], added to the input
  std::vector<TransformerLayer> layers;
  torch::Tensor norm_gain, norm_bias, out_w, out_b;  // final norm, then [h, outputs] and [outputs]
  /// (name, tensor) in a fixed order: "embed", "cls", "pos", "layers.<i>.<name>", "norm_gain", ...;
  /// undefined tensors (the biases of RMSNorm, a language model's cls) are left out.
  std::vector<std::pair<std::string, torch::Tensor*>> named();
  std::vector<std::pair<std::string, const torch::Tensor*>> named() const;
  /// The slot `name` (as named() spells it), undefined or not; an Error for a name with no slot.
  torch::Tensor& at(const std::string& name);
  const torch::Tensor& at(const std::string& name) const;
  /// Zeros shaped like every tensor here (fresh moments).
  TransformerTensors zeros_like() const;
};

class Transformer {
 public:
  /// Fresh weights from `seed` (Philox streams keyed by tensor name): matrices normal with std
  /// 1/sqrt(fan_in), gains one, biases zero, position embedding std 0.02.
  Transformer(TransformerOptions options, uint64_t seed);
  /// vit: images [B, C, S, S] -> logits [B, outputs]; causal_lm: token ids [B, T] (T <= context) ->
  /// logits [B, T, vocab], position t seeing positions <= t only.
  torch::Tensor forward(const torch::Tensor& x) const;
  const TransformerOptions& options() const { return options_; }
  TransformerOptions& options() { return options_; }
  TransformerTensors& tensors() { return tensors_; }
  const TransformerTensors& tensors() const { return tensors_; }
  /// The RMSNorm epsilon: the hidden-dimension expansion scales it by h/h' with the gains, so the
  /// expansion is exact rather than exact up to epsilon.
  double norm_eps() const { return norm_eps_; }
  void set_norm_eps(double eps) { norm_eps_ = eps; }
  int64_t parameter_count() const;
  /// Multiply-adds x 2 of the forward pass of one example (one image, or one sequence of `context`).
  double flops_per_example() const;

 private:
  torch::Tensor norm(const torch::Tensor& x, const torch::Tensor& gain, const torch::Tensor& bias) const;
  torch::Tensor layer(torch::Tensor x, const TransformerLayer& l) const;

  TransformerOptions options_;
  TransformerTensors tensors_;
  double norm_eps_ = 1e-6;
};

}  // namespace metaevo::models
