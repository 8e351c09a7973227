#pragma once
// IDX files (the MNIST release format), raw or gzip-compressed.
#include <torch/torch.h>

#include <string>

namespace metaevo::data {

/// The stored array as uint8 with the stored shape. Only unsigned-byte data (type 0x08) is
/// accepted. A missing file, bad magic, truncated data or a corrupt gzip stream is an Error naming
/// the file.
torch::Tensor read_idx(const std::string& path);

}  // namespace metaevo::data
