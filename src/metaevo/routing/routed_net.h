#pragma once
// The routed convolutional network of Gumbel-Matrix routing's Omniglot model: a shared 1x1
// convolution (GroupNorm, ReLU), then routed layers of parallel components whose output is the
// mean of the components a task's allocation switches on, then Flatten, dropout and one linear
// head per task. The allocation is an argument of the forward pass, so the same network serves
// learned allocations, full sharing (all on) and, one per task, no sharing.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "metaevo/routing/component.h"

namespace metaevo::routing {

struct RoutedNetOptions {
  int64_t filters = 48;
  int64_t groups = 4;
  int64_t layers = 8;
  std::vector<int64_t> downsample{0, 1, 3, 4, 6};
  std::vector<std::string> components{"conv3x3",    "conv5x5",    "conv7x7", "conv1x7",
                                      "maxpool3x3", "avgpool3x3", "identity"};
  double dropout = 0.5;
  template <class V>
  void visit(V& v) {
    v("filters", filters, "channels of the 1x1 stem and of every component");
    v("groups", groups, "GroupNorm groups (must divide filters)");
    v("layers", layers, "routed layers");
    v("downsample", downsample, "routed layers (0-based, increasing) whose components take stride 2");
    v("components", components, "the component types of every routed layer, in order");
    v("dropout", dropout, "dropout before the heads, in training");
  }
  void validate() const;
};

class RoutedNetImpl : public torch::nn::Module {
 public:
  /// Images [N, channels, image_size, image_size]; one head per entry of `classes`. Weights from
  /// `seed` alone (models/init.h).
  RoutedNetImpl(const RoutedNetOptions& options, int64_t channels, int64_t image_size,
                const std::vector<int64_t>& classes, uint64_t seed);
  /// Logits of head `head` for `x`, where `allocation[l]` ([components], values in [0, 1] or
  /// straight-through samples) weighs layer l's components: their weighted sum over
  /// max(sum of weights, 1). `dropout`, when given, draws the training-time dropout mask.
  torch::Tensor forward(const torch::Tensor& x, const std::vector<torch::Tensor>& allocation, int64_t head,
                        const at::Generator* dropout = nullptr);
  /// The parameters of routed layer `layer`'s component `component`.
  std::vector<torch::Tensor> component_parameters(int64_t layer, int64_t component) const;
  /// Every parameter but biases: what the L2 penalty covers.
  std::vector<torch::Tensor> weights() const;
  int64_t parameter_count() const;

 private:
  torch::Tensor features(const torch::Tensor& x, const std::vector<torch::Tensor>& allocation);

  RoutedNetOptions options_;
  torch::nn::Conv2d stem_{nullptr};
  torch::nn::GroupNorm stem_norm_{nullptr};
  std::vector<std::vector<std::shared_ptr<Component>>> layers_;
  std::vector<torch::nn::Linear> heads_;
};
TORCH_MODULE(RoutedNet);

}  // namespace metaevo::routing
