#pragma once
// A self-contained HTML page (inline SVG, no scripts or downloads) with line charts of a run's
// metrics, for a person who would rather look than read JSON.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace metaevo::report {

struct Series {
  std::string label;
  std::vector<double> x, y;
};

struct Chart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
};

/// One SVG line chart; NaN points are skipped.
std::string svg_chart(const Chart& chart, int width = 640, int height = 300);

/// The page: a title, a key/value table, the charts.
std::string html_page(const std::string& title, const nlohmann::json& summary, const std::vector<Chart>& charts);

/// Charts of every numeric field of the records against `x_key` (fitness fields share one chart).
std::vector<Chart> metric_charts(const std::vector<nlohmann::json>& records, const std::string& x_key);

/// Writes <dir>/report.html from <dir>/metrics.jsonl, charted against the log's own x axis (and
/// result.json when present); returns its path.
std::string write_run_report(const std::string& dir);

}  // namespace metaevo::report
