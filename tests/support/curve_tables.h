#pragma once
// Synthetic learning curves for scheduler and tuner tests: row r rises towards its own ceiling at
// its own rate, plus optional noise, so rankings at low resource predict (imperfectly) the final
// ranking, as real curves do.
#include <cmath>
#include <string>

#include "metaevo/hpo/curve_table.h"

namespace metaevo::testing {

inline hpo::CurveTable synthetic_curves(int rows, int epochs, double noise, uint64_t seed = 7) {
  hpo::CurveTable table;
  table.source = "synthetic";
  table.epochs = epochs;
  hpo::Draws draws(seed, 1);
  for (int r = 0; r < rows; ++r) {
    hpo::CurveTable::Row row;
    row.config = {{"row", r}};
    const double ceiling = 0.6 + 0.35 * draws.uniform();
    const double rate = 0.5 + 5.0 * draws.uniform();
    for (int e = 1; e <= epochs; ++e) {
      const double v = ceiling * (1 - std::exp(-double(e) / rate)) + noise * draws.normal();
      row.value.push_back(v);
      row.test.push_back(v - 0.01);
      row.seconds.push_back(1.0 + 0.1 * (r % 3));
    }
    table.rows.push_back(std::move(row));
  }
  return table;
}

/// Writes the table to `path` and returns the path.
inline std::string write_curves(const hpo::CurveTable& table, const std::string& path) {
  table.save(path);
  return path;
}

}  // namespace metaevo::testing
