#include "metaevo/storage/backend.h"

#include <regex>

namespace metaevo::storage {

std::unique_ptr<Backend> open_backend(const std::string& location) {
  METAEVO_CHECK(!location.empty(), "storage: empty location (a SQLite file path or a postgresql:// URL)");
  const auto colon = location.find("://");
  std::string scheme = colon == std::string::npos ? "sqlite" : location.substr(0, colon);
  if (scheme == "postgres") scheme = "postgresql";
  return BackendRegistry::instance().create(scheme, "storage", location);
}

namespace {
// A password in the authority (user:secret@host) or in the query (?password=secret): group 2.
const std::regex& in_authority() {
  static const std::regex pattern(R"((://[^:/@?#]*:)([^@/?#]*)@)");
  return pattern;
}
const std::regex& in_query() {
  static const std::regex pattern(R"(([?&]password=)([^&]*))");
  return pattern;
}
}  // namespace

std::string mask_password(const std::string& url) {
  return std::regex_replace(std::regex_replace(url, in_authority(), "$1***@"), in_query(), "$1***");
}

std::string without_password(std::string message, const std::string& url) {
  for (const auto* pattern : {&in_authority(), &in_query()}) {
    std::smatch m;
    if (!std::regex_search(url, m, *pattern) || m[2].length() == 0) continue;
    const auto secret = m[2].str();
    for (size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at))
      message.replace(at, secret.size(), "***");
  }
  return message;
}

std::string with_types(std::string sql, const std::string& key, const std::string& serial, const std::string& blob) {
  for (const auto& [token, type] : {std::pair{"{key}", &key}, {"{serial}", &serial}, {"{blob}", &blob}})
    for (size_t at = sql.find(token); at != std::string::npos; at = sql.find(token, at + type->size()))
      sql.replace(at, std::string(token).size(), *type);
  return sql;
}

}  // namespace metaevo::storage
