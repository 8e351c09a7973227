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

namespace detail {
struct ConfigReader {
  const Config& config;
  template <typename T>
  void operator()(const char* key, T& field, const char* /*doc*/) {
    field = config.get<T>(key, field);
  }
};
struct JsonWriter {
  nlohmann::json& out;
  template <typename T>
  void operator()(const char* key, const T& field, const char* /*doc*/) {
    out[key] = field;
  }
};
struct DocWriter {
  std::vector<std::array<std::string, 3>>& rows;
  template <typename T>
  void operator()(const char* key, const T& field, const char* doc) {
    rows.push_back({key, nlohmann::json(field).dump(), doc});
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

/// (key, default, doc) rows, for `--help`-style listings and the README.
template <typename Options>
std::vector<std::array<std::string, 3>> describe(Options options = {}) {
  std::vector<std::array<std::string, 3>> rows;
  detail::DocWriter writer{rows};
  options.visit(writer);
  return rows;
}

}  // namespace metaevo
