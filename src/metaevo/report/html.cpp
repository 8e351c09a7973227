#include "metaevo/report/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include <filesystem>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/run/metrics_log.h"

namespace metaevo::report {
namespace {

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string svg_chart(const Chart& chart, int width, int height) {
  const double left = 70, right = 150, top = 30, bottom = 40;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : chart.series)
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) {
        x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
      }
  if (!std::isfinite(x0)) return "";
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (width - left - right); };
  auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * (height - top - bottom); };
  std::string svg = fmt::format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-family='sans-serif' font-size='11'>"
      "<text x='{}' y='18' font-size='13' font-weight='bold'>{}</text>"
      "<rect x='{}' y='{}' width='{}' height='{}' fill='none' stroke='#999'/>",
      width, height, left, escape(chart.title), left, top, width - left - right, height - top - bottom);
  for (int t = 0; t <= 4; ++t) {
    const double y = y0 + (y1 - y0) * t / 4.0, x = x0 + (x1 - x0) * t / 4.0;
    svg += fmt::format("<text x='{}' y='{}' text-anchor='end'>{:.4g}</text>", left - 4, py(y) + 4, y);
    svg += fmt::format("<text x='{}' y='{}' text-anchor='middle'>{:.4g}</text>", px(x), height - bottom + 14, x);
  }
  svg += fmt::format("<text x='{}' y='{}' text-anchor='middle'>{}</text>", (left + width - right) / 2, height - 6,
                     escape(chart.x_label));
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    std::string points;
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) points += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(s.y[i]));
    const char* color = kColors[k % 6];
    svg += fmt::format("<polyline fill='none' stroke='{}' stroke-width='1.5' points='{}'/>", color, points);
    svg += fmt::format("<text x='{}' y='{}' fill='{}'>{}</text>", width - right + 8, top + 14 * (k + 1), color,
                       escape(s.label));
  }
  return svg + "</svg>";
}

std::string html_page(const std::string& title, const nlohmann::json& summary, const std::vector<Chart>& charts) {
  std::string html = fmt::format(
      "<!doctype html><html><head><meta charset='utf-8'><title>{0}</title><style>body{{font-family:sans-serif;"
      "margin:2em}}td{{padding:2px 12px 2px 0}}</style></head><body><h1>{0}</h1><table>",
      escape(title));
  for (const auto& [k, v] : summary.items())
    html += fmt::format("<tr><td><b>{}</b></td><td>{}</td></tr>", escape(k), escape(v.is_string() ? v.get<std::string>() : v.dump()));
  html += "</table>";
  for (const auto& c : charts) html += "<div>" + svg_chart(c) + "</div>";
  return html + "</body></html>\n";
}

std::vector<Chart> metric_charts(const std::vector<nlohmann::json>& records, const std::string& x_key) {
  // Fitness statistics share a chart; every other numeric field gets its own.
  const std::vector<std::string> fitness = {"best", "mean", "worst", "best_ever"};
  std::map<std::string, Series> fields;
  for (const auto& r : records) {
    if (!r.contains(x_key)) continue;
    for (const auto& [k, v] : r.items()) {
      if (k == x_key || !v.is_number()) continue;
      auto& s = fields[k];
      s.label = k;
      s.x.push_back(r[x_key].get<double>());
      s.y.push_back(v.get<double>());
    }
  }
  std::vector<Chart> charts;
  Chart fit{"fitness", x_key, "fitness", {}};
  for (const auto& f : fitness)
    if (fields.count(f)) fit.series.push_back(fields[f]);
  if (!fit.series.empty()) charts.push_back(fit);
  for (const auto& [k, s] : fields) {
    if (std::find(fitness.begin(), fitness.end(), k) != fitness.end()) continue;
    if (k == "evals" || k == "elapsed_s") continue;  // monotone counters, not worth a chart
    charts.push_back({k, x_key, k, {s}});
  }
  return charts;
}

std::string write_run_report(const std::string& dir) {
  namespace fs = std::filesystem;
  const auto metrics = (fs::path(dir) / "metrics.jsonl").string();
  const auto log = run::read_metrics(metrics);
  if (log.records.empty()) fail("{}: no metrics records", metrics);
  nlohmann::json summary = nlohmann::json::object();
  const auto result = fs::path(dir) / "result.json";
  if (fs::exists(result)) summary = nlohmann::json::parse(read_file(result.string()), nullptr, false);
  if (summary.is_discarded()) fail("{}: not valid JSON", result.string());
  const auto out = (fs::path(dir) / "report.html").string();
  write_file_atomic(out, html_page(dir, summary, metric_charts(log.records, log.x_key.empty() ? "generation" : log.x_key)));
  return out;
}

}  // namespace metaevo::report
