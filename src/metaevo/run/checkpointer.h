#pragma once
// The one checkpoint mechanism of every long command: a versioned header (format, version, kind,
// settings fingerprint) in front of the command's own entries, written atomically. A file from
// another command, another version or other settings is refused with its name, never misread.
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

namespace metaevo::run {

class Checkpointer {
 public:
  /// Bumped when the header changes; the entries' layout belongs to each `kind`.
  static constexpr int kVersion = 2;
  using Writer = std::function<void(torch::serialize::OutputArchive&)>;
  using Reader = std::function<void(torch::serialize::InputArchive&)>;

  /// No checkpointing: save does nothing, load finds nothing.
  Checkpointer() = default;
  /// `kind` names what the entries hold (e.g. "es", "mlo"); `fingerprint` the settings they
  /// belong to (see run/settings.h).
  Checkpointer(std::string path, std::string kind, std::string fingerprint);

  bool enabled() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  bool exists() const;
  /// A fresh run must not overwrite a checkpoint: without `resume`, an existing one is an Error.
  void check_fresh_start(bool resume) const;

  /// Header plus `write`'s entries, replacing the file atomically (old or new after any kill).
  void save(const Writer& write) const;
  /// The file's bytes, or nothing when there is no checkpoint (for sending to other processes).
  std::optional<std::string> read_bytes() const;
  /// Checks the header of `bytes`, then runs `read`; any failure is one Error naming the file.
  void load_bytes(const std::string& bytes, const Reader& read) const;
  /// read_bytes + load_bytes; false when there is no checkpoint.
  bool load(const Reader& read) const;

 private:
  std::string path_, kind_, fingerprint_;
};

}  // namespace metaevo::run
