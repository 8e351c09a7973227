#pragma once
// A component of a routed layer: a module mapping [N, F, H, W] to [N, F, ceil(H/s), ceil(W/s)]
// for the layer's stride s, so that any subset of a layer's components can be averaged. Types
// are registered by name (components.cpp holds the seven of Gumbel-Matrix routing's Omniglot
// model); a new type is one registration.
#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "metaevo/core/registry.h"

namespace metaevo::routing {

class Component : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

/// What every component of a layer shares: channels in and out, GroupNorm groups, stride.
struct ComponentShape {
  int64_t filters = 48;
  int64_t groups = 4;
  int64_t stride = 1;
};

using ComponentRegistry = Registry<Component, const ComponentShape&>;

}  // namespace metaevo::routing
