#pragma once
// A configuration tree read from YAML (JSON is accepted too: it is a subset) with `--set a.b=v`
// overrides. Every key read is recorded, so that a key nobody read — a typo — is an error naming it.
#include <yaml-cpp/yaml.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "metaevo/core/error.h"

namespace metaevo {

class Config {
 public:
  /// Parses a YAML/JSON file; a missing or malformed file is an Error naming it.
  static Config load(const std::string& path);
  static Config parse(const std::string& text, const std::string& origin);
  Config();

  /// Applies `dotted.key=value`; the value is parsed as a YAML scalar or flow sequence/map.
  void set(const std::string& assignment);

  bool has(const std::string& key) const;
  /// A sub-tree; an absent key gives an empty section (whose reads all fall back to defaults).
  Config section(const std::string& key) const;

  template <typename T>
  T get(const std::string& key, const T& fallback) const {
    return has(key) ? get<T>(key) : fallback;
  }
  template <typename T>
  T get(const std::string& key) const {
    YAML::Node node = lookup(key);
    mark_used(key);
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      fail("{}: {}: cannot read '{}' as {}", origin(), path(key), YAML::Dump(node), type_name<T>());
    }
  }

  /// The value at `key` as JSON, scalars in their natural type (32 a number, true a boolean,
  /// relu a string), sequences and mappings recursively.
  nlohmann::json get_json(const std::string& key) const;
  /// The keys of this section, in file order.
  std::vector<std::string> keys() const;

  /// Dotted path of `key` in the whole file, e.g. "es.strategy.sigma".
  std::string path(const std::string& key) const;
  const std::string& origin() const { return state_->origin; }
  /// Throws for the first key present in the file that no code read.
  void check_all_used() const;
  /// The effective configuration (after overrides), for recording next to the results.
  std::string dump() const { return YAML::Dump(state_->root); }
  YAML::Node node() const { return node_; }

 private:
  struct State {
    YAML::Node root;
    std::string origin;
    std::set<std::string> used;
  };
  Config(std::shared_ptr<State> state, YAML::Node node, std::string prefix);
  YAML::Node lookup(const std::string& key) const;
  void mark_used(const std::string& key) const;
  template <typename T>
  static const char* type_name() {
    if constexpr (std::is_same_v<T, bool>)
      return "a boolean";
    else if constexpr (std::is_integral_v<T>)
      return "an integer";
    else if constexpr (std::is_floating_point_v<T>)
      return "a number";
    else if constexpr (std::is_same_v<T, std::string>)
      return "a string";
    else
      return "the expected type";
  }

  std::shared_ptr<State> state_;
  YAML::Node node_;
  std::string prefix_;
};

}  // namespace metaevo
