#include "metaevo/report/charts.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"

namespace metaevo::report {
namespace {

const std::vector<std::string> kFitness = {"best", "mean", "worst", "best_ever"};

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Counters and timings that only grow, and interval widths: not worth a chart of their own.
bool charted(const std::string& field) {
  return field != "evals" && field != "elapsed_s" && field != "seconds" && !contains(field, "ci95");
}

}  // namespace

std::string better_direction(const std::string& field, const std::string& sense) {
  if (std::find(kFitness.begin(), kFitness.end(), field) != kFitness.end())
    return sense == "minimize" ? "lower" : sense == "maximize" ? "higher" : "";
  if (contains(field, "acc") || contains(field, "quality")) return "higher";
  if (contains(field, "loss") || contains(field, "error") || contains(field, "distance")) return "lower";
  return "";
}

std::string with_direction(const std::string& title, const std::string& direction) {
  return direction.empty() ? title : title + " (" + direction + " is better)";
}

Chart line_chart(const std::string& title, const std::string& x_title, const std::string& y_title,
                 const std::vector<Point>& points, bool integer_x) {
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, int> per_series;
  for (const auto& p : points)
    if (std::isfinite(p.x) && std::isfinite(p.y)) {
      rows.push_back({{"x", p.x}, {"y", p.y}, {"series", p.series}});
      ++per_series[p.series];
    }
  int most = 0;
  for (const auto& [s, n] : per_series) most = std::max(most, n);
  double largest = 0;
  for (const auto& r : rows) largest = std::max(largest, std::abs(r["x"].get<double>()));
  nlohmann::json x_axis = nlohmann::json::object();
  if (integer_x)
    x_axis = {{"tickMinStep", 1}, {"format", "d"}};
  else if (largest >= 1e5)
    x_axis = {{"format", "~s"}};  // FLOPs, evaluations: 3.2G rather than 3,200,000,000
  nlohmann::json spec = {
      {"title", title},
      {"width", 620},
      {"height", 240},
      {"data", {{"values", rows}}},
      {"mark", {{"type", "line"}, {"point", most <= 40}, {"tooltip", true}}},
      {"encoding",
       {{"x", {{"field", "x"}, {"type", "quantitative"}, {"title", x_title}, {"axis", x_axis}}},
        {"y", {{"field", "y"}, {"type", "quantitative"}, {"title", y_title}, {"scale", {{"zero", false}}}}},
        {"color", {{"field", "series"}, {"type", "nominal"}, {"title", nullptr}}}}}};
  return {spec};
}

Chart heatmap(const std::string& title, const std::string& x_title, const std::string& y_title,
              const std::vector<std::tuple<std::string, std::string, double>>& cells, const std::string& value_title) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [x, y, v] : cells) rows.push_back({{"x", x}, {"series", y}, {"y", v}});
  nlohmann::json spec = {{"title", title},
                         {"data", {{"values", rows}}},
                         {"mark", {{"type", "rect"}, {"tooltip", true}}},
                         {"encoding",
                          {{"x", {{"field", "x"}, {"type", "nominal"}, {"title", x_title}, {"sort", nullptr}}},
                           {"y", {{"field", "series"}, {"type", "nominal"}, {"title", y_title}, {"sort", nullptr}}},
                           {"color", {{"field", "y"}, {"type", "quantitative"}, {"title", value_title}}}}}};
  return {spec};
}

namespace {

std::string base64(const std::string& bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? uint8_t(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

}  // namespace

Chart image_grid(const std::string& title, const std::string& x_title, const std::string& y_title,
                 const std::vector<ImageCell>& cells, const std::string& value_title, int side) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : cells)
    rows.push_back(
        {{"x", c.x}, {"series", c.series}, {"y", c.value}, {"url", "data:image/png;base64," + base64(c.png)}});
  nlohmann::json spec = {
      {"title", title},
      {"data", {{"values", rows}}},
      {"mark", {{"type", "image"}, {"width", side}, {"height", side}}},
      {"encoding",
       {{"x", {{"field", "x"}, {"type", "nominal"}, {"title", x_title}, {"sort", nullptr}}},
        {"y", {{"field", "series"}, {"type", "nominal"}, {"title", y_title}, {"sort", nullptr}}},
        {"url", {{"field", "url"}, {"type", "nominal"}}},
        {"tooltip", {{{"field", "series"}, {"title", y_title}}, {{"field", "y"}, {"title", value_title}}}}}},
      {"width", {{"step", side + 8}}},
      {"height", {{"step", side + 8}}}};
  return {spec};
}

std::vector<Chart> learning_curves(const run::Metrics& metrics, const std::string& sense) {
  const std::string& x = metrics.x_key;
  std::vector<Point> fitness;
  std::map<std::string, std::vector<Point>> fields;
  for (const auto& r : metrics.records) {
    if (!r.contains(x) || !r[x].is_number()) continue;
    const double at = r[x].get<double>();
    for (const auto& [k, v] : r.items()) {
      if (k == x || !v.is_number() || !charted(k)) continue;
      const bool is_fitness = std::find(kFitness.begin(), kFitness.end(), k) != kFitness.end();
      (is_fitness ? fitness : fields[k]).push_back({at, v.get<double>(), k});
    }
  }
  std::vector<Chart> charts;
  if (!fitness.empty())
    charts.push_back(
        line_chart("fitness of each " + x, x, with_direction("fitness", better_direction("best", sense)), fitness));
  for (const auto& [k, points] : fields)
    charts.push_back(line_chart(k, x, with_direction(k, better_direction(k, sense)), points));
  return charts;
}

std::string write_run_report(const std::string& dir, const std::string& title, const std::string& rows_title,
                             const nlohmann::ordered_json& rows, const std::vector<Chart>& charts) {
  namespace fs = std::filesystem;
  const auto metrics_path = (fs::path(dir) / "metrics.jsonl").string();
  const auto metrics = run::read_metrics(metrics_path);
  if (metrics.records.empty()) fail("{}: no metrics records", metrics_path);
  Report report;
  report.title = title;
  const auto result = fs::path(dir) / "result.json";
  if (fs::exists(result)) {
    report.results = nlohmann::ordered_json::parse(read_file(result.string()), nullptr, false);
    if (report.results.is_discarded()) fail("{}: not valid JSON", result.string());
  }
  const auto config = fs::path(dir) / "config.yaml";
  if (fs::exists(config)) report.config = read_file(config.string());
  report.rows_title = rows_title;
  report.rows = rows;
  report.charts = learning_curves(metrics, report.results.value("sense", ""));
  report.charts.insert(report.charts.end(), charts.begin(), charts.end());
  return write(report, (fs::path(dir) / "report.html").string());
}

std::string write_comparison_report(const std::vector<std::string>& dirs, const std::string& x,
                                    const std::vector<std::string>& ys, const std::string& path,
                                    const std::string& title) {
  namespace fs = std::filesystem;
  Report report;
  report.title = title;
  report.rows_title = "Last record of each run";
  std::map<std::string, std::vector<Point>> curves;
  for (const auto& dir : dirs) {
    const auto metrics_path = (fs::path(dir) / "metrics.jsonl").string();
    const auto metrics = run::read_metrics(metrics_path);
    if (metrics.records.empty()) fail("{}: no metrics records", metrics_path);
    const auto name = fs::path(dir).lexically_normal().filename().string();
    nlohmann::ordered_json last = {{"run", name}};
    for (const auto& r : metrics.records) {
      if (!r.contains(x) || !r[x].is_number()) continue;
      for (const auto& y : ys)
        if (r.contains(y) && r[y].is_number()) {
          curves[y].push_back({r[x].get<double>(), r[y].get<double>(), name});
          last[x] = r[x];
          last[y] = r[y];
        }
    }
    report.rows.push_back(last);
  }
  for (const auto& y : ys) {
    if (curves[y].empty()) fail("report: no run records '{}' against '{}'", y, x);
    report.charts.push_back(line_chart(y + " against " + x, x, with_direction(y, better_direction(y)), curves[y],
                                       /*integer_x=*/false));
  }
  return write(report, path);
}

}  // namespace metaevo::report
