#include "metaevo/core/serialize.h"

#include <sstream>

#include "metaevo/core/error.h"

namespace metaevo {

void read_tensor(torch::serialize::InputArchive& archive, const std::string& key, torch::Tensor& dst) {
  torch::Tensor value;
  if (!archive.try_read(key, value)) fail("checkpoint: missing entry '{}'", key);
  if (dst.defined() && value.sizes() != dst.sizes())
    fail("checkpoint: entry '{}' has shape {} but {} was expected", key, fmt::join(value.sizes(), "x"),
         fmt::join(dst.sizes(), "x"));
  dst = dst.defined() ? value.to(dst.dtype()) : value;
}

void write_scalar(torch::serialize::OutputArchive& archive, const std::string& key, double value) {
  archive.write(key, torch::tensor(value, torch::kFloat64));
}

double read_scalar(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  read_tensor(archive, key, t);
  return t.item<double>();
}

void write_string(torch::serialize::OutputArchive& archive, const std::string& key, const std::string& value) {
  auto t = torch::empty({int64_t(value.size())}, torch::kUInt8);
  std::memcpy(t.data_ptr(), value.data(), value.size());
  archive.write(key, t);
}

std::string read_string(torch::serialize::InputArchive& archive, const std::string& key) {
  torch::Tensor t;
  read_tensor(archive, key, t);
  t = t.contiguous();
  return std::string(reinterpret_cast<const char*>(t.data_ptr()), size_t(t.numel()));
}

std::string archive_bytes(torch::serialize::OutputArchive& archive) {
  std::ostringstream out;
  archive.save_to(out);
  return out.str();
}

void load_archive(torch::serialize::InputArchive& archive, const std::string& bytes, const std::string& origin) {
  std::istringstream in(bytes);
  try {
    archive.load_from(in);
  } catch (const c10::Error& e) {
    fail("{}: not a readable checkpoint (corrupt or truncated)", origin);
  }
}

}  // namespace metaevo
