#pragma once
// The settings a run is defined by, read one way by every command: the seed, and the fingerprint
// that ties a checkpoint, a study or a stored system to the settings that produced it.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/config.h"

namespace metaevo::run {

/// `seed` (default 0): an integer >= 0, else an Error naming the file and key.
uint64_t read_seed(const Config& config);

/// 64-bit FNV-1a of `value`'s canonical JSON (object keys sorted) as 16 hex digits: stable across
/// builds and platforms, and blind to the order of keys in a file.
std::string fingerprint(const nlohmann::json& value);

/// The fingerprint of the seed and of the listed keys (dotted paths, e.g. "es.sigma")
/// of the effective config, overrides included. Absent keys count as absent, so adding a key with
/// its default value changes the fingerprint: settings are compared as written.
std::string settings_fingerprint(const Config& config, const std::vector<std::string>& keys);

/// A YAML tree as JSON (scalars stay strings: the file's spelling is what is compared).
nlohmann::json yaml_to_json(const YAML::Node& node);

}  // namespace metaevo::run
