#include "metaevo/storage/copy.h"

#include <algorithm>
#include <regex>

namespace metaevo::storage {

namespace {

/// The schema's tables in the order its migrations create them, so that referenced rows are
/// copied before the rows that reference them.
std::vector<std::string> tables_in_order(const Schema& schema) {
  static const std::regex create(R"(CREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*))");
  std::vector<std::string> out;
  for (const auto& migration : schema.migrations)
    for (std::sregex_iterator it(migration.begin(), migration.end(), create), end; it != end; ++it)
      if (std::find(out.begin(), out.end(), (*it)[1].str()) == out.end()) out.push_back((*it)[1].str());
  return out;
}

}  // namespace

int64_t copy_store(Database& from, Database& to) {
  const auto& schema = to.schema();
  METAEVO_CHECK(from.schema().name == schema.name, "{}: holds a {} store; {} is made for a {}", from.where(),
                from.schema().name, to.where(), schema.name);
  const auto tables = tables_in_order(schema);
  int64_t copied = 0;
  from.read([&] {
    to.write([&] {
      for (const auto& table : tables) {
        METAEVO_CHECK(to.one("SELECT COUNT(*) FROM " + table)->integer(0) == 0,
                      "{}: table {} is not empty; migrate into an empty database", to.where(), table);
        const auto rows = from.query("SELECT * FROM " + table);
        if (rows.empty()) continue;
        std::string marks;
        for (size_t c = 0; c < rows.front().size(); ++c) marks += c ? ", ?" : "?";
        const auto insert = "INSERT INTO " + table + " VALUES (" + marks + ")";
        for (const auto& row : rows) {
          Params values;
          for (size_t c = 0; c < row.size(); ++c) values.push_back(row[c]);
          to.query(insert, values);
        }
        to.backend().renumber(table);
        copied += int64_t(rows.size());
      }
    });
  });
  return copied;
}

}  // namespace metaevo::storage
