#pragma once
// Checkpoint helpers over LibTorch archives: a missing or mis-shaped entry is an Error naming it,
// not a c10::Error deep inside LibTorch.
#include <torch/torch.h>

#include <string>

namespace metaevo {

/// Reads `key` into `dst`; when dst is defined, the stored tensor must have its shape.
void read_tensor(torch::serialize::InputArchive& archive, const std::string& key, torch::Tensor& dst);
void write_scalar(torch::serialize::OutputArchive& archive, const std::string& key, double value);
double read_scalar(torch::serialize::InputArchive& archive, const std::string& key);
void write_string(torch::serialize::OutputArchive& archive, const std::string& key, const std::string& value);
std::string read_string(torch::serialize::InputArchive& archive, const std::string& key);

/// Whole archive to bytes and back, for atomic file writes and blobs in a database.
std::string archive_bytes(torch::serialize::OutputArchive& archive);
/// `origin` names the file in errors.
void load_archive(torch::serialize::InputArchive& archive, const std::string& bytes, const std::string& origin);

}  // namespace metaevo
