#include "metaevo/core/config.h"

#include <fstream>
#include <set>
#include <sstream>

namespace metaevo {
namespace {

/// yaml-cpp keeps both entries of a key written twice and lookups see the first, so a repeated
/// key would silently drop the later setting: refuse it, naming where it repeats.
void refuse_repeated_keys(const YAML::Node& node, const std::string& origin) {
  if (node.IsSequence())
    for (const auto& item : node) refuse_repeated_keys(item, origin);
  if (!node.IsMap()) return;
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const auto key = entry.first.Scalar();
    if (!seen.insert(key).second) fail("{}: line {}: key '{}' appears twice", origin, entry.first.Mark().line + 1, key);
    refuse_repeated_keys(entry.second, origin);
  }
}

}  // namespace

Config::Config() : Config(std::make_shared<State>(), YAML::Node(YAML::NodeType::Map), "") {
  state_->root = node_;
  state_->origin = "<defaults>";
}

Config::Config(std::shared_ptr<State> state, YAML::Node node, std::string prefix)
    : state_(std::move(state)), node_(node), prefix_(std::move(prefix)) {}

Config Config::parse(const std::string& text, const std::string& origin) {
  auto state = std::make_shared<State>();
  state->origin = origin;
  try {
    state->root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail("{}: line {}: {}", origin, e.mark.line + 1, e.msg);
  }
  // An empty file is a mistake (a wrong path, an unsaved editor), not a request for every default.
  if (state->root.IsNull()) fail("{}: the config is empty; it needs at least the settings of the run", origin);
  if (!state->root.IsMap()) fail("{}: the top level must be a mapping of keys (key: value lines)", origin);
  refuse_repeated_keys(state->root, origin);
  YAML::Node root = state->root;
  return Config(state, root, "");
}

Config Config::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open config file", path);
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

void Config::set(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) fail("--set {}: expected key=value", assignment);
  const std::string key = assignment.substr(0, eq);
  YAML::Node value;
  try {
    value = YAML::Load(assignment.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    fail("--set {}: cannot parse value: {}", assignment, e.msg);
  }
  // Walk with fresh handles: yaml-cpp's operator= on a held node would rebind, not assign.
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) fail("--set {}: empty key segment", assignment);
    parts.push_back(p);
  }
  std::vector<YAML::Node> chain{node_};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsMap()) fail("--set {}: '{}' is not a section", assignment, parts[i]);
    if (!next.IsDefined()) chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
    chain.push_back(chain.back()[parts[i]]);
  }
  chain.back()[parts.back()] = value;
}

YAML::Node Config::lookup(const std::string& key) const {
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (it->first.as<std::string>() == key) return it->second;
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Config::has(const std::string& key) const {
  YAML::Node n = lookup(key);
  return n.IsDefined() && !n.IsNull();
}

std::string Config::path(const std::string& key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

void Config::mark_used(const std::string& key) const {
  // A value read whole (e.g. a map of lists) consumes every key under it: its reader checks what
  // it holds. A block read whole must not also be read key by key, or a typo in it goes unseen.
  std::vector<std::pair<std::string, YAML::Node>> stack{{path(key), lookup(key)}};
  while (!stack.empty()) {
    auto [at, node] = stack.back();
    stack.pop_back();
    state_->used.insert(at);
    if (node.IsMap())
      for (auto it = node.begin(); it != node.end(); ++it)
        stack.emplace_back(at + "." + it->first.as<std::string>(), it->second);
  }
}

namespace {

nlohmann::json node_json(const YAML::Node& node) {
  if (node.IsSequence()) {
    auto out = nlohmann::json::array();
    for (const auto& item : node) out.push_back(node_json(item));
    return out;
  }
  if (node.IsMap()) {
    auto out = nlohmann::json::object();
    for (auto it = node.begin(); it != node.end(); ++it) out[it->first.as<std::string>()] = node_json(it->second);
    return out;
  }
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  const auto text = node.as<std::string>();
  auto value = nlohmann::json::parse(text, nullptr, false);
  return value.is_discarded() || value.is_object() || value.is_array() ? nlohmann::json(text) : value;
}

}  // namespace

nlohmann::json Config::get_json(const std::string& key) const {
  mark_used(key);
  return node_json(lookup(key));
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  if (node_.IsMap())
    for (auto it = node_.begin(); it != node_.end(); ++it) out.push_back(it->first.as<std::string>());
  return out;
}

Config Config::section(const std::string& key) const {
  YAML::Node n = lookup(key);
  state_->used.insert(path(key));  // the keys inside are checked one by one
  if (!n.IsDefined() || n.IsNull()) return Config(state_, YAML::Node(YAML::NodeType::Map), path(key));
  if (!n.IsMap()) fail("{}: {}: expected a section (mapping)", origin(), path(key));
  return Config(state_, n, path(key));
}

void Config::check_all_used() const {
  // Depth-first over the tree; the first unread leaf or section is reported.
  std::vector<std::pair<std::string, YAML::Node>> stack{{"", state_->root}};
  while (!stack.empty()) {
    auto [prefix, node] = stack.back();
    stack.pop_back();
    if (!node.IsMap()) continue;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string p = prefix.empty() ? it->first.as<std::string>() : prefix + "." + it->first.as<std::string>();
      if (!state_->used.count(p)) fail("{}: unknown key '{}'", origin(), p);
      stack.emplace_back(p, it->second);
    }
  }
}

}  // namespace metaevo
