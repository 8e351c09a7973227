#pragma once
// The small Vision Transformer that muNet paths are made of, written as a function of named
// components so that each path can assemble its own model from shared and private blocks (the
// kinds are in components/vit_components.cpp). The defaults are the reference's "Ti3": width 192, 3 heads, MLP 768, 3
// blocks, patch 16.
#include <map>
#include <string>

#include "metaevo/core/options.h"
#include "metaevo/munet/component.h"

namespace metaevo::munet {

struct VitOptions {
  int64_t channels = 1;
  int64_t image_size = 32;
  int64_t patch = 16;
  int64_t width = 192;
  int64_t depth = 3;
  int64_t heads = 3;
  int64_t mlp_dim = 768;
  template <class V>
  void visit(V& v) {
    v("channels", channels, "image channels");
    v("image_size", image_size, "input side length in pixels (a multiple of patch)");
    v("patch", patch, "patch side length");
    v("width", width, "token width");
    v("depth", depth, "encoder blocks of the root model");
    v("heads", heads, "attention heads (width must divide by it)");
    v("mlp_dim", mlp_dim, "hidden width of each block's MLP");
  }
  void validate() const;
  int64_t tokens() const { return (image_size / patch) * (image_size / patch) + 1; }
};

/// Fresh tensors of component `name` (see component_kind.h) for `classes` outputs (head) or
/// `adapter_dim` (adapters), on `device`: drawn on the CPU from (seed, name), so the same on every
/// device.
Params init_component(const std::string& name, const VitOptions& o, int64_t classes, int64_t adapter_dim, uint64_t seed,
                      torch::Device device);

/// Logits of `images` [B, C, S, S] through `parts` in their kinds' order; the layer kinds only in
/// layers 0..layers-1. An Error names a required component that is missing.
torch::Tensor vit_forward(const torch::Tensor& images, const std::map<std::string, ComponentPtr>& parts, int64_t layers,
                          const VitOptions& o);
/// The pre-logits representation [B, width]: the same pass without the task-specific kinds (the
/// head), as a multipath model runs another task's path.
torch::Tensor vit_features(const torch::Tensor& images, const std::map<std::string, ComponentPtr>& parts,
                           int64_t layers, const VitOptions& o);

}  // namespace metaevo::munet
