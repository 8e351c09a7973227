#pragma once
// Small transformers of both front ends with every tensor random (gains too), and inputs for them,
// for the transformer and expansion tests.
#include <torch/torch.h>

#include <string>

#include "metaevo/core/philox.h"
#include "metaevo/models/transformer.h"

namespace metaevo::testing {

inline models::TransformerOptions small_transformer(const std::string& kind, const std::string& norm = "rms") {
  models::TransformerOptions o;
  o.kind = kind;
  o.norm = norm;
  o.hidden = 12, o.heads = 2, o.key_dim = 4, o.value_dim = 5, o.mlp_dim = 16, o.layers = 2;
  o.outputs = 7, o.channels = 2, o.image_size = 12, o.patch = 4;
  o.vocab = 11, o.context = 9;
  return o;
}

/// Random weights everywhere: normal(0, 0.5), around one for the gains.
inline models::Transformer random_transformer(const models::TransformerOptions& o, uint64_t seed) {
  models::Transformer m(o, seed);
  uint32_t i = 0;
  for (auto& [name, t] : m.tensors().named()) {
    const bool gain = name.find("_gain") != std::string::npos;
    *t = philox_normal({seed, i++, 1, 0}, t->numel()).view(t->sizes()) * 0.5 + (gain ? 1.0 : 0.0);
  }
  return m;
}

/// A batch of 3 inputs: images, or token ids over the whole context.
inline torch::Tensor transformer_input(const models::TransformerOptions& o, uint64_t seed) {
  if (o.vit())
    return philox_normal({seed, 0, 2, 0}, 3 * o.channels * o.image_size * o.image_size)
        .view({3, o.channels, o.image_size, o.image_size});
  return (philox_uniform({seed, 0, 3, 0}, 3 * o.context) * double(o.vocab))
      .to(torch::kLong)
      .clamp_max(o.vocab - 1)
      .view({3, o.context});
}

/// max |a - b| / max |a|
inline double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / a.abs().max().item<double>();
}

}  // namespace metaevo::testing
