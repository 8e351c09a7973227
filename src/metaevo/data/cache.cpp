#include "metaevo/data/cache.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>

namespace metaevo::data {

std::string default_cache_dir() {
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv("METAEVO_CACHE_DIR"); dir && *dir)
    return std::string(dir) == "off" ? "" : std::string(dir);
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return (fs::path(xdg) / "metaevo").string();
  if (const char* home = std::getenv("HOME"); home && *home) return (fs::path(home) / ".cache" / "metaevo").string();
  return "";
}

std::string short_hash(const std::string& bytes) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

}  // namespace metaevo::data
