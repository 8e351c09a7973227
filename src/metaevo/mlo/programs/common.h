#pragma once
// Pieces the example programs share: functional MLPs (parameters as a plain list, so problems can
// swap them) and the data sets they train on.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/mlo/optimizer.h"

namespace metaevo::mlo {

/// `program.device`: "cpu" (default) or "cuda[:N]".
torch::Device program_device(const Config& program);
Params to_device(const Params& params, torch::Device device);

/// Weights and biases of an MLP with layer sizes `sizes` (torch.nn.Linear's initialisation), on
/// the CPU: the same numbers whatever the device.
Params init_mlp(const std::vector<int64_t>& sizes, uint64_t seed);
/// ReLU between layers, none after the last.
torch::Tensor mlp_forward(const torch::Tensor& x, const Params& params);

/// Features [n, d] and labels [n] of one split.
struct Split {
  torch::Tensor x, y;
  int64_t size() const { return x.size(0); }
  Split rows(const torch::Tensor& index) const {
    const auto at = index.to(x.device());
    return {x.index_select(0, at), y.index_select(0, at)};
  }
  Split to(torch::Device device) const { return {x.to(device), y.to(device)}; }
};

/// A labelled classification problem in three splits.
struct ClassificationData {
  Split train, valid, test;
  int64_t classes = 0;
  ClassificationData to(torch::Device device) const {
    return {train.to(device), valid.to(device), test.to(device), classes};
  }
};

/// `program.dataset`: "synthetic" (a sparse linear teacher over Gaussian features, sized by
/// `features`, `classes`, `train_size`, `valid_size`, `test_size`) or an image set
/// ("fashion-mnist", "mnist": flattened pixels; `train_size` and `valid_size` rows taken from a
/// seeded permutation of the training file, the test file as test).
ClassificationData load_classification(const Config& program, uint64_t seed);

/// Accuracy of logits against labels.
double accuracy(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace metaevo::mlo
