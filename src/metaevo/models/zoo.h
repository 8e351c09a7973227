#pragma once
// The model builders, each written once: the MLP (es, tune, mlo), a small CNN for 1x28x28 images,
// optionally on an average-pooled input, and the few-shot conv4 encoder (meta, mlo). Built as
// torch::nn::Sequential so the population forward and the functional forward can interpret them
// layer by layer.
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

/// Appends an MLP with layer widths `sizes` (input, hidden..., output) to `net`: Linear layers,
/// each but the last followed by `activation` (relu | tanh) and, when `dropout` > 0, dropout
/// drawing its masks from `generator` (models::Dropout).
void append_mlp(torch::nn::Sequential& net, const std::vector<int64_t>& sizes, const std::string& activation = "relu",
                double dropout = 0, const at::Generator& generator = {});

/// The standard few-shot conv4 encoder: 4 x [conv3x3 `channels` filters (padding 1), batch-norm,
/// ReLU, max-pool 2], flattened (64 features for 28x28 inputs and 64 channels). Initialised from
/// `seed`.
torch::nn::Sequential make_conv4(int64_t in_channels, int64_t channels, uint64_t seed);

/// A classifier for inputs of shape `input` (C, H, W) with `classes` outputs, initialised from
/// `seed` (LibTorch's default init distribution drawn from Philox streams, models/init.h).
torch::nn::Sequential make_classifier(const ModelOptions& options, std::vector<int64_t> input, int64_t classes,
                                      uint64_t seed);

}  // namespace metaevo::models
