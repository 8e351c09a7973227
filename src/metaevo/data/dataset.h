#pragma once
// MNIST-like IDX releases on disk, and where data folders are.
#include <string>

#include "metaevo/data/splits.h"

namespace metaevo::data {

/// Reads train-/t10k- images and labels (`*-idx3-ubyte`, `*-idx1-ubyte`, raw or .gz) from `dir`:
/// the training file is the pool, in file order, the t10k file the test split. Images are float32
/// [N, 1, H, W] in [0, 1]; classes = 1 + the largest label of either file.
Examples load_mnist_like(const std::string& dir);

/// Folder for `dataset`: `flag_value` if given; else $METAEVO_DATA_DIR/<dataset> if it exists;
/// else the standard place (fashion-mnist: /usr/share/datasets/fashion-mnist, omniglot:
/// ../shared/data/omniglot, any other: data/<dataset>).
std::string resolve_data_dir(const std::string& dataset, const std::string& flag_value);

}  // namespace metaevo::data
