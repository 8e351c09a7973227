#pragma once
// The one report writer of every command: a self-contained HTML page whose charts are Vega-Lite
// specs drawn by vega-embed. The Vega scripts (npm packages vega, vega-lite, vega-embed, fetched
// by scripts/setup.sh) are inlined, so the page works offline and from a copied folder.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace metaevo::report {

/// One chart: a Vega-Lite spec with its data inline. Rows use the fields "x", "y" and "series"
/// (a heatmap: x and series are the two categories, y the value), which the page's self-check
/// reads back after rendering.
struct Chart {
  nlohmann::json spec;
};

struct Report {
  std::string title;  // "metaevo es: runs/fmnist"
  // Ordered: tables keep the order in which keys were added (rank before trial, and so on).
  nlohmann::ordered_json results = nlohmann::ordered_json::object();  // key -> value, shown as a table
  std::string rows_title;                                             // a second table (leaderboard, per task, ...)
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();      // array of objects, one table row each
  std::vector<Chart> charts;
  std::string config;  // the effective configuration (YAML), shown as is
};

/// The page. Without the Vega scripts it still holds the tables, the configuration and each
/// chart's data, with a line saying how to get the scripts.
std::string render(const Report& report);
/// Writes `report` to `path` atomically; returns `path`.
std::string write(const Report& report, const std::string& path);

/// The folder holding vega.min.js, vega-lite.min.js and vega-embed.min.js: $METAEVO_WEB_DIR, else
/// the one scripts/setup.sh fills (data/web in the source tree), else the installed package's.
std::string web_dir();

}  // namespace metaevo::report
