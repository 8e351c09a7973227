#pragma once
// Models built from config: an MLP and a small CNN for 1x28x28 images, optionally on an
// average-pooled input. Built as
// torch::nn::Sequential so the population forward can interpret them layer by layer.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/core/options.h"

namespace metaevo::models {

struct ModelOptions {
  std::string type = "mlp";                 // mlp | cnn
  std::vector<int64_t> hidden = {128};      // mlp: hidden widths
  std::vector<int64_t> channels = {8, 16};  // cnn: conv channels (5x5 conv + 2x2 max-pool each)
  std::string activation = "relu";          // relu | tanh
  /// Average-pool the input by this factor before the first layer (1 = off). It divides an MLP's
  /// first layer by its square, and ES needs fewer samples per step the fewer weights it perturbs.
  int64_t input_pool = 1;
  template <class V>
  void visit(V& v) {
    v("type", type, "mlp | cnn");
    v("hidden", hidden, "mlp hidden layer widths");
    v("channels", channels, "cnn channels per 5x5 conv + 2x2 max-pool block");
    v("activation", activation, "relu | tanh");
    v("input_pool", input_pool, "average-pool the input by this factor first (1 = off)");
  }
  void validate() const;
};

/// A classifier for inputs of shape `input` (C, H, W) with `classes` outputs, initialised from
/// `seed` (LibTorch's default init distribution drawn from Philox streams, models/init.h).
torch::nn::Sequential make_classifier(const ModelOptions& options, std::vector<int64_t> input, int64_t classes,
                                      uint64_t seed);

}  // namespace metaevo::models
