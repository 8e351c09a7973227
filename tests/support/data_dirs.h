#pragma once
// Where the tests find a data set: $METAEVO_DATA_DIR/NAME when that folder exists (as the CLI
// looks, data::resolve_data_dir; bench/gpu.sh points it at the data it carries), else the usual place.
#include <cstdlib>
#include <filesystem>
#include <string>

namespace metaevo::testing {

inline std::string data_dir(const std::string& name, const std::string& otherwise) {
  if (const char* root = std::getenv("METAEVO_DATA_DIR"))
    if (std::filesystem::is_directory(std::filesystem::path(root) / name))
      return (std::filesystem::path(root) / name).string();
  return otherwise;
}

inline std::string mnist_dir() { return data_dir("mnist", METAEVO_SOURCE_DIR "/data/mnist"); }
inline std::string fashion_dir() { return data_dir("fashion-mnist", "/usr/share/datasets/fashion-mnist"); }

}  // namespace metaevo::testing
