#pragma once
// Checkpoint helpers over LibTorch archives: a missing or mis-shaped entry is an Error naming it,
// not a c10::Error deep inside LibTorch.
#include <torch/torch.h>

#include <functional>
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

/// Every checkpoint starts with a format tag (what wrote it, and which version) and the fingerprint
/// of the settings it belongs to, so a file from another command or other settings is refused
/// rather than misread.
void write_checkpoint_header(torch::serialize::OutputArchive& archive, const std::string& format,
                             const std::string& settings_fingerprint);
/// Parses `bytes`, checks the header, then runs `read` on the archive; any failure, here or in
/// `read`, becomes one Error naming `origin` and what is wrong.
void read_checkpoint(const std::string& bytes, const std::string& origin, const std::string& format,
                     const std::string& settings_fingerprint,
                     const std::function<void(torch::serialize::InputArchive&)>& read);

/// 64-bit FNV-1a of `text` as 16 hex digits: a settings fingerprint for checkpoints, stable
/// across builds and platforms (unlike std::hash).
std::string fingerprint(const std::string& text);

}  // namespace metaevo
