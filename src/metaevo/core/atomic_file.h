#pragma once
// Crash-safe file replacement: write a temporary beside the target, fsync it, rename over the
// target, fsync the directory. After `kill -9` at any instant the target is the old or the new
// version, never a torn one.
#include <string>

namespace metaevo {

void write_file_atomic(const std::string& path, const std::string& bytes);
/// Whole file as bytes; an Error naming the file if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace metaevo
