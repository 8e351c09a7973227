#include "metaevo/hpo/curve_table.h"

#include <cmath>

#include "metaevo/core/atomic_file.h"

namespace metaevo::hpo {

CurveTable CurveTable::load(const std::string& path) {
  const auto json = nlohmann::json::parse(read_file(path), nullptr, false);
  METAEVO_CHECK(!json.is_discarded() && json.is_object(), "{}: not a JSON curve table", path);
  CurveTable table;
  try {
    table.source = json.value("source", "");
    table.maximize = json.at("maximize").get<bool>();
    table.epochs = json.at("epochs").get<int>();
    METAEVO_CHECK(table.epochs >= 1, "epochs must be >= 1");
    for (const auto& r : json.at("rows")) {
      Row row;
      row.config = r.at("config");
      row.value = r.at("value").get<std::vector<double>>();
      row.test = r.at("test").get<std::vector<double>>();
      row.seconds = r.at("seconds").get<std::vector<double>>();
      const size_t i = table.rows.size();
      METAEVO_CHECK(int(row.value.size()) == table.epochs && row.test.size() == row.value.size() &&
                        row.seconds.size() == row.value.size(),
                    "row {}: value, test and seconds need {} entries each", i, table.epochs);
      for (int e = 0; e < table.epochs; ++e)
        METAEVO_CHECK(std::isfinite(row.value[e]) && row.seconds[e] >= 0, "row {}: epoch {}: bad value or seconds", i,
                      e + 1);
      table.rows.push_back(std::move(row));
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: {}", path, e.what());
  } catch (const Error& e) {
    fail("{}: {}", path, e.what());
  }
  METAEVO_CHECK(!table.rows.empty(), "{}: the table has no rows", path);
  return table;
}

void CurveTable::save(const std::string& path) const {
  nlohmann::json json{
      {"source", source}, {"maximize", maximize}, {"epochs", epochs}, {"rows", nlohmann::json::array()}};
  for (const auto& row : rows)
    json["rows"].push_back(
        {{"config", row.config}, {"value", row.value}, {"test", row.test}, {"seconds", row.seconds}});
  write_file_atomic(path, json.dump() + "\n");
}

}  // namespace metaevo::hpo
