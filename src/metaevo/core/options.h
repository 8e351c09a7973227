#pragma once
// Options structs list their fields once, in `template <class V> void visit(V& v)`, as
// `v("key", field, "doc")`; readers, writers and validation all go through that list, so config
// keys, JSON records and documentation share one vocabulary.
#include <nlohmann/json.hpp>

#include "metaevo/core/config.h"

namespace metaevo {

/// Thrown by an options struct's validate(); read_options adds the file and section.
class OptionError : public Error {
 public:
  OptionError(const std::string& key, const std::string& message)
      : Error(key + ": " + message), key_(key), message_(message) {}
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }

 private:
  std::string key_, message_;
};

template <typename... Args>
void require(bool cond, const char* key, fmt::format_string<Args...> format, Args&&... args) {
  if (!cond) throw OptionError(key, fmt::format(format, std::forward<Args>(args)...));
}

/// A variant picked by name with its own settings, e.g. a problem's hypergradient. In a config,
/// either the name alone (`hypergradient: cg`) or a block (`hypergradient: {name: cg, iterations:
/// 3}`). Settings given without a name, or for the variant already chosen, are merged over its
/// settings; naming another variant drops them. The variant reads its settings with
/// read_choice, into its own options struct.
struct Choice {
  // NOLINTNEXTLINE(google-explicit-constructor): a name converts to the choice of that variant
  Choice(std::string name = "", nlohmann::json settings = nlohmann::json::object(), std::string origin = "")
      : name(std::move(name)), settings(std::move(settings)), origin(std::move(origin)) {}
  std::string name;
  nlohmann::json settings;
  std::string origin;  // "file: path.to.key", for errors about the settings
  nlohmann::json to_json() const;
};

/// One documented option: key, type, default (JSON), doc.
using OptionRow = std::array<std::string, 4>;

namespace detail {
struct ConfigReader {
  const Config& config;
  template <typename T>
  void operator()(const char* key, T& field, const char* /*doc*/) {
    field = config.get<T>(key, field);
  }
  void operator()(const char* key, Choice& field, const char* doc);
};
struct JsonWriter {
  nlohmann::json& out;
  template <typename T>
  void operator()(const char* key, const T& field, const char* /*doc*/) {
    out[key] = field;
  }
  void operator()(const char* key, const Choice& field, const char* /*doc*/) { out[key] = field.to_json(); }
};
std::string json_type(const nlohmann::json& value);
struct DocWriter {
  std::vector<OptionRow>& rows;
  template <typename T>
  void operator()(const char* key, const T& field, const char* doc) {
    const nlohmann::json value(field);
    rows.push_back({key, json_type(value), value.dump(), doc});
  }
  void operator()(const char* key, const Choice& field, const char* doc) {
    const auto value = field.settings.empty() ? nlohmann::json(field.name) : field.to_json();
    rows.push_back({key, "choice", value.dump(), doc});
  }
};
}  // namespace detail

/// Reads the fields of `options` present in `config` (others keep their defaults) and validates.
template <typename Options>
Options read_options(const Config& config, Options options = {}) {
  detail::ConfigReader reader{config};
  options.visit(reader);
  try {
    options.validate();
  } catch (const OptionError& e) {
    fail("{}: {}: {}", config.origin(), config.path(e.key()), e.message());
  }
  return options;
}

template <typename Options>
nlohmann::json to_json(Options options) {
  nlohmann::json out = nlohmann::json::object();
  detail::JsonWriter writer{out};
  options.visit(writer);
  return out;
}

/// The options written by to_json, read back and validated; an Error names `origin`.
template <typename Options>
Options from_json(const nlohmann::json& j, const std::string& origin) {
  return read_options<Options>(Config::parse(j.dump(), origin));
}

/// (key, type, default, doc) rows, for `--describe` and the README's option tables.
template <typename Options>
std::vector<OptionRow> describe(Options options = {}) {
  std::vector<OptionRow> rows;
  detail::DocWriter writer{rows};
  options.visit(writer);
  return rows;
}

/// The choice at `key` of `config` (a name or a block) over `defaults`, as an options field reads it.
inline Choice read_choice_at(const Config& config, const std::string& key, Choice defaults) {
  detail::ConfigReader reader{config};
  reader(key.c_str(), defaults, "");
  return defaults;
}

/// The options of a variant without settings: any setting given to it is an unknown key.
struct NoOptions {
  template <class V>
  void visit(V& /*v*/) {}
  void validate() const {}
};

/// The options of `choice`'s variant, read from its settings over `defaults` and validated; a key
/// the options do not have, or a bad value, is an Error naming choice.origin.
template <typename Options>
Options read_choice(const Choice& choice, Options defaults = {}) {
  const auto config = Config::parse(choice.settings.dump(), choice.origin.empty() ? choice.name : choice.origin);
  auto options = read_options(config, std::move(defaults));
  config.check_all_used();
  return options;
}

}  // namespace metaevo
