#include "metaevo/run/settings.h"

#include <sstream>

#include "metaevo/core/philox.h"

namespace metaevo::run {

uint64_t read_seed(const Config& config) {
  const auto seed = config.get<int64_t>("seed", 0);
  if (seed < 0) fail("{}: seed: must be >= 0, got {}", config.origin(), seed);
  return uint64_t(seed);
}

std::string fingerprint(const nlohmann::json& value) { return fmt::format("{:016x}", hash64(value.dump())); }

nlohmann::json yaml_to_json(const YAML::Node& node) {
  if (node.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) out[it->first.as<std::string>()] = yaml_to_json(it->second);
    return out;
  }
  if (node.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(yaml_to_json(item));
    return out;
  }
  if (node.IsScalar()) return node.Scalar();
  return nullptr;
}

namespace {

// Const lookups only: assigning a yaml-cpp node taken from a tree would rewrite the tree.
YAML::Node find(const YAML::Node& node, const std::vector<std::string>& parts, size_t i) {
  if (i == parts.size()) return node;
  if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node child = node[parts[i]];
  return child.IsDefined() ? find(child, parts, i + 1) : YAML::Node(YAML::NodeType::Undefined);
}

}  // namespace

std::string settings_fingerprint(const Config& config, const std::vector<std::string>& keys) {
  nlohmann::json settings = {{"seed", read_seed(config)}};
  const YAML::Node root = config.node();
  for (const auto& key : keys) {
    std::vector<std::string> parts;
    std::stringstream path(key);
    for (std::string part; std::getline(path, part, '.');) parts.push_back(part);
    const YAML::Node node = find(root, parts, 0);
    if (node.IsDefined() && !node.IsNull()) settings[key] = yaml_to_json(node);
  }
  return fingerprint(settings);
}

}  // namespace metaevo::run
