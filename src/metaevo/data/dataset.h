#pragma once
// In-memory supervised image datasets (MNIST-like IDX releases).
#include <torch/torch.h>

#include <string>

namespace metaevo::data {

struct Dataset {
  torch::Tensor images;  // float32 [N, 1, H, W] in [0, 1]
  torch::Tensor labels;  // int64 [N]
  int64_t num_classes = 0;
  std::string name;
};

struct SupervisedData {
  Dataset train, test;
};

/// Reads train-/t10k- images and labels (`*-idx3-ubyte`, `*-idx1-ubyte`, raw or .gz) from `dir`.
SupervisedData load_mnist_like(const std::string& dir, const std::string& name);

/// Folder for `dataset`: `flag_value` if given; else $METAEVO_DATA_DIR/<dataset> if it exists;
/// else the standard place (fashion-mnist: /usr/share/datasets/fashion-mnist, mnist: data/mnist,
/// omniglot: ../shared/data/omniglot).
std::string resolve_data_dir(const std::string& dataset, const std::string& flag_value);

}  // namespace metaevo::data
