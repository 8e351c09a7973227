#include "metaevo/run/checkpointer.h"

#include <filesystem>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/core/serialize.h"
#include "metaevo/run/fault.h"

namespace metaevo::run {
namespace {

constexpr const char* kFormat = "metaevo-checkpoint";

}  // namespace

Checkpointer::Checkpointer(std::string path, std::string kind, std::string fingerprint)
    : path_(std::move(path)), kind_(std::move(kind)), fingerprint_(std::move(fingerprint)) {}

bool Checkpointer::exists() const { return enabled() && std::filesystem::exists(path_); }

void Checkpointer::check_fresh_start(bool resume) const {
  if (!resume && exists())
    fail("{}: a checkpoint exists; pass --resume to continue it or choose another output directory", path_);
}

void Checkpointer::save(const Writer& write) const {
  if (!enabled()) return;
  torch::serialize::OutputArchive archive;
  write_string(archive, "format", kFormat);
  write_scalar(archive, "version", kVersion);
  write_string(archive, "kind", kind_);
  write_string(archive, "fingerprint", fingerprint_);
  write(archive);
  write_file_atomic(path_, archive_bytes(archive));
  crash_point("checkpoint");
}

std::optional<std::string> Checkpointer::read_bytes() const {
  if (!exists()) return std::nullopt;
  return read_file(path_);
}

void Checkpointer::load_bytes(const std::string& bytes, const Reader& read) const {
  torch::serialize::InputArchive archive;
  load_archive(archive, bytes, path_);
  try {
    torch::Tensor probe;
    if (!archive.try_read("format", probe) || read_string(archive, "format") != kFormat)
      fail("not a metaevo checkpoint");
    const auto version = int(read_scalar(archive, "version"));
    if (version != kVersion)
      fail("checkpoint format version {}, but this metaevo reads version {}; start a new output directory", version,
           kVersion);
    const auto kind = read_string(archive, "kind");
    if (kind != kind_) fail("holds a '{}' run, not '{}'", kind, kind_);
    if (read_string(archive, "fingerprint") != fingerprint_)
      fail("was written with different settings; use another output directory or restore them");
    read(archive);
  } catch (const Error& e) {
    fail("{}: {}", path_, e.what());
  } catch (const c10::Error& e) {
    fail("{}: unreadable checkpoint entry: {}", path_, e.what_without_backtrace());
  }
}

bool Checkpointer::load(const Reader& read) const {
  const auto bytes = read_bytes();
  if (!bytes) return false;
  load_bytes(*bytes, read);
  return true;
}

}  // namespace metaevo::run
