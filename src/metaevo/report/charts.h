#pragma once
// Chart builders shared by the commands' reports, and the run report of es, meta and mlo.
#include <map>
#include <string>
#include <vector>

#include "metaevo/report/report.h"
#include "metaevo/run/metrics_log.h"

namespace metaevo::report {

/// Which way is better for a metric: "higher" (accuracies, rewards), "lower" (losses, errors,
/// distances), or the problem's sense for fitness fields ("minimize" -> lower); "" when unknown.
std::string better_direction(const std::string& field, const std::string& sense = "");

/// A y-axis title with the direction: "loss (lower is better)".
std::string with_direction(const std::string& title, const std::string& direction);

struct Point {
  double x, y;
  std::string series;
};

/// Lines of `points` (one per series) against x; NaN and infinite points are left out.
/// `integer_x`: ticks on whole numbers only (generations, epochs, iterations).
Chart line_chart(const std::string& title, const std::string& x_title, const std::string& y_title,
                 const std::vector<Point>& points, bool integer_x = true);

/// A matrix of values: `cells` are (column, row, value).
Chart heatmap(const std::string& title, const std::string& x_title, const std::string& y_title,
              const std::vector<std::tuple<std::string, std::string, double>>& cells, const std::string& value_title);

/// One picture of an image grid: its column and row, a PNG file's bytes, and what its tooltip says.
struct ImageCell {
  std::string x, series;
  std::string png;
  double value = 0;  // shown in the tooltip under `value_title`
};

/// Pictures in a grid of columns (x) and rows (series), each drawn `side` pixels square, inlined as
/// data URLs so the page stays self-contained.
Chart image_grid(const std::string& title, const std::string& x_title, const std::string& y_title,
                 const std::vector<ImageCell>& cells, const std::string& value_title, int side = 48);

/// Learning curves of a metrics log against its own x axis: the fitness statistics (best, mean,
/// worst, best_ever) share a chart; every other numeric field gets its own. `sense` is the
/// problem's ("minimize" | "maximize"; empty when not an ES run).
std::vector<Chart> learning_curves(const run::Metrics& metrics, const std::string& sense = "");

/// report.html of a run directory: curves from metrics.jsonl, the results of result.json, the
/// configuration of config.yaml, `rows` (e.g. test accuracy per setting) as a second table, and
/// `charts` after the curves. Returns the page's path.
std::string write_run_report(const std::string& dir, const std::string& title, const std::string& rows_title = "",
                             const nlohmann::ordered_json& rows = nlohmann::ordered_json::array(),
                             const std::vector<Chart>& charts = {});

/// A page comparing runs: for each key of `ys`, one chart of it against `x` with a line per run
/// (named by its folder), read from each run's metrics.jsonl, and a table of each run's last
/// values. An Error names a run without metrics or a key no run records. Returns `path`.
std::string write_comparison_report(const std::vector<std::string>& dirs, const std::string& x,
                                    const std::vector<std::string>& ys, const std::string& path,
                                    const std::string& title);

}  // namespace metaevo::report
