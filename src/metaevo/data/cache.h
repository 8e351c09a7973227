#pragma once
// Where loaders keep what they derive from a data release (decoded, resized images), so that later
// processes skip that work. A cache entry names the release it came from: a changed release is
// derived again, and an unreadable entry is ignored and rewritten.
#include <string>

namespace metaevo::data {

/// $METAEVO_CACHE_DIR, else $XDG_CACHE_HOME/metaevo, else $HOME/.cache/metaevo; "" (caching off)
/// when METAEVO_CACHE_DIR is "off" or none of them is set. The folder is created on first write.
std::string default_cache_dir();

/// 64-bit FNV-1a of `bytes` as 16 hex digits: a short name for a long description.
std::string short_hash(const std::string& bytes);

}  // namespace metaevo::data
