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

std::string fingerprint(const std::string& text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", hash);
}

void write_checkpoint_header(torch::serialize::OutputArchive& archive, const std::string& format,
                             const std::string& settings_fingerprint) {
  write_string(archive, "format", format);
  write_string(archive, "fingerprint", settings_fingerprint);
}

void read_checkpoint(const std::string& bytes, const std::string& origin, const std::string& format,
                     const std::string& settings_fingerprint,
                     const std::function<void(torch::serialize::InputArchive&)>& read) {
  torch::serialize::InputArchive archive;
  load_archive(archive, bytes, origin);
  try {
    const auto found = read_string(archive, "format");
    if (found != format) fail("not a {} checkpoint (format '{}')", format, found);
    if (read_string(archive, "fingerprint") != settings_fingerprint)
      fail("was written with different settings; use another output directory or restore them");
    read(archive);
  } catch (const Error& e) {
    fail("{}: {}", origin, e.what());
  } catch (const c10::Error& e) {
    fail("{}: unreadable checkpoint entry: {}", origin, e.what_without_backtrace());
  }
}

}  // namespace metaevo
