#include "metaevo/core/options.h"

namespace metaevo {

nlohmann::json Choice::to_json() const {
  auto out = settings;
  out["name"] = name;
  return out;
}

namespace detail {

void ConfigReader::operator()(const char* key, Choice& field, const char* /*doc*/) {
  field.origin = config.origin() + ": " + config.path(key);
  if (!config.has(key)) return;
  const auto value = config.get_json(key);
  if (value.is_string()) {
    if (value.get<std::string>() != field.name) field.settings = nlohmann::json::object();
    field.name = value.get<std::string>();
    return;
  }
  if (!value.is_object()) fail("{}: expected a name or a block {{name: ..., settings}}", field.origin);
  const auto block = config.section(key);
  const auto name = block.get<std::string>("name", field.name);
  if (name != field.name) field.settings = nlohmann::json::object();
  field.name = name;
  for (const auto& k : block.keys())
    if (k != "name") field.settings[k] = block.get_json(k);
}

std::string json_type(const nlohmann::json& value) {
  if (value.is_boolean()) return "bool";
  if (value.is_number_integer()) return "int";
  if (value.is_number()) return "number";
  if (value.is_string()) return "string";
  if (value.is_array()) return "list";
  return "map";
}

}  // namespace detail
}  // namespace metaevo
