// Every command's report.html, rendered in headless Chromium: every chart drew marks, the page
// logged no error, and the points it drew are the metrics file's. Skipped with a message where
// Chromium or the Vega scripts are absent (scripts/setup.sh installs both).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "../support/tiny_runs.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/report/report.h"
#include "metaevo/run/metrics_log.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

const char* kChromium = "/usr/bin/chromium";

/// What the page's self-check wrote after drawing: {"charts": [{title, marks, rows}], "errors"}.
nlohmann::json render(const fs::path& page) {
  const auto dom = page.string() + ".dom";
  const auto command = fmt::format(
      "{} --headless --no-sandbox --disable-gpu --virtual-time-budget=20000 --dump-dom "
      "'file://{}' > '{}' 2>/dev/null",
      kChromium, fs::absolute(page).string(), dom);
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::smatch m;
  const auto text = metaevo::read_file(dom);
  if (!std::regex_search(text, m, std::regex("<pre id=\"metaevo-check\">([^<]*)</pre>"))) return nullptr;
  return nlohmann::json::parse(std::regex_replace(std::string(m[1]), std::regex("&amp;"), "&"), nullptr, false);
}

size_t chart_divs(const fs::path& page) {
  const auto html = metaevo::read_file(page.string());
  size_t n = 0;
  for (size_t at = 0; (at = html.find("<div class='chart'", at)) != std::string::npos; ++at) ++n;
  return n;
}

/// Checks that every chart drew, that nothing was logged, and returns the drawn charts.
nlohmann::json check_page(const fs::path& page) {
  EXPECT_TRUE(fs::exists(page)) << page;
  const auto check = render(page);
  EXPECT_TRUE(check.is_object()) << page << ": the page never wrote its self-check";
  if (!check.is_object()) return nlohmann::json::array();
  EXPECT_EQ(check["errors"], nlohmann::json::array()) << page;
  EXPECT_EQ(check["charts"].size(), chart_divs(page)) << page;
  EXPECT_GT(check["charts"].size(), 0u) << page;
  for (const auto& c : check["charts"]) {
    EXPECT_GT(c["marks"].get<int>(), 0) << page << ": chart '" << c["title"] << "' drew nothing";
    EXPECT_GT(c["rows"].size(), 0u) << page << ": chart '" << c["title"] << "' has no data";
  }
  return check["charts"];
}

/// Every drawn point whose series is a field of the metrics log is that field's value at that x,
/// and every charted (field, x) of the log was drawn.
void expect_points_match_metrics(const nlohmann::json& charts, const fs::path& metrics_path) {
  const auto metrics = metaevo::run::read_metrics(metrics_path.string());
  std::map<std::pair<std::string, double>, double> expected;
  for (const auto& r : metrics.records)
    for (const auto& [k, v] : r.items())
      if (k != metrics.x_key && v.is_number()) expected[{k, r[metrics.x_key].get<double>()}] = v.get<double>();
  std::set<std::string> drawn_fields;
  size_t matched = 0;
  for (const auto& c : charts)
    for (const auto& row : c["rows"]) {
      if (!row[0].is_number()) continue;  // a heatmap's categories
      const auto key = std::make_pair(row[2].get<std::string>(), row[0].get<double>());
      if (!expected.count(key)) continue;
      EXPECT_EQ(row[1].get<double>(), expected[key]) << key.first << " at " << key.second;
      drawn_fields.insert(key.first);
      ++matched;
    }
  size_t charted = 0;
  for (const auto& [key, value] : expected) charted += drawn_fields.count(key.first);
  EXPECT_GT(matched, 0u);
  EXPECT_EQ(matched, charted) << "some points of the charted fields were not drawn";
}

class Reports : public ::testing::TestWithParam<std::string> {};

TEST_P(Reports, RenderInABrowserWithTheMetricsData) {
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " not found (apt-get install chromium)";
  if (!fs::exists(fs::path(metaevo::report::web_dir()) / "vega-embed.min.js"))
    GTEST_SKIP() << "the Vega scripts are not in " << metaevo::report::web_dir() << " (scripts/setup.sh fetches them)";
  const auto& run = tiny_runs().at(GetParam());
  if (run.missing && !run.missing().empty()) GTEST_SKIP() << run.missing();
  const auto out = fs::temp_directory_path() / ("metaevo_report_" + GetParam());
  fs::remove_all(out);
  ASSERT_EQ(run_tiny(run, out, false), 0) << metaevo::read_file(out.string() + ".stderr");
  const auto charts = check_page(out / "report.html");
  if (GetParam() == "tune") {
    // `tune status` writes the same page from the study alone; the incumbent is drawn once per
    // reported epoch, and the first chart holds it.
    ASSERT_EQ(wait_for(spawn({METAEVO_BINARY, "tune", "status", "--output", out.string()}), 120), 0);
    const auto status = check_page(out / "report.html");
    const auto results = nlohmann::json::parse(metaevo::read_file((out / "results.json").string()));
    ASSERT_FALSE(status.empty());
    EXPECT_EQ(status[0]["rows"].size(), results["epochs"].get<size_t>());
    EXPECT_EQ(status, charts) << "tune status drew another picture than the tune run";
  } else if (GetParam() == "evolve") {
    // Accuracy as tasks are added: one point per task iteration, its task's test accuracy.
    const auto metrics = metaevo::run::read_metrics((out / "metrics.jsonl").string());
    ASSERT_EQ(charts[0]["rows"].size(), metrics.records.size());
    for (size_t i = 0; i < metrics.records.size(); ++i) {
      const auto& r = metrics.records[i];
      EXPECT_EQ(charts[0]["rows"][i], nlohmann::json({r["task_iterations"], r["test_quality"], r["task"]}));
    }
  } else if (GetParam() == "agents") {
    // The map of whose components each task's winner uses, cell by cell as agents.json says: 2 for
    // the winner itself, 1 for an agent whose component it shares, 0.5 for one whose it clones.
    const auto rows = nlohmann::json::parse(metaevo::read_file((out / "agents.json").string()))["tasks"];
    ASSERT_EQ(rows.size(), 2u) << rows.dump();
    std::set<std::string> agents, expected, drawn;
    for (const auto& r : rows)
      for (const auto& a : r["agents"]) agents.insert(a.get<std::string>());
    const auto holds = [](const nlohmann::json& list, const std::string& a) {
      return std::find(list.begin(), list.end(), a) != list.end();
    };
    for (const auto& r : rows)
      for (const auto& a : agents) {
        const double value = a == r["agent"] ? 2 : holds(r["uses"], a) ? 1 : holds(r["clones"], a) ? 0.5 : 0;
        expected.insert(nlohmann::json({r["task"], value, a}).dump());
      }
    for (const auto& row : charts[0]["rows"])
      drawn.insert(nlohmann::json({row[0], row[1].get<double>(), row[2]}).dump());
    EXPECT_EQ(drawn, expected);
  } else {
    expect_points_match_metrics(charts, out / "metrics.jsonl");
  }
  if (GetParam() == "route" || GetParam() == "route_continual") {
    // The last charts: per routed layer, every (component, task) cell at its final connection
    // probability (Gumbel-Matrix) or share of the task's inputs (routing network).
    const auto log = metaevo::run::read_metrics((out / "allocations.jsonl").string());
    ASSERT_FALSE(log.records.empty());
    const auto& last = log.records.back();
    const auto tasks = nlohmann::json::parse(metaevo::read_file((out / "result.json").string()))["tasks"];
    const auto& layers = last["layers"];
    ASSERT_GE(charts.size(), layers.size());
    // A cell as drawn: the page's numbers are JavaScript's, so 0.0 comes back as 0.
    const auto cell = [](const nlohmann::json& x, const nlohmann::json& value, const nlohmann::json& y) {
      return nlohmann::json({x, value.get<double>(), y}).dump();
    };
    const auto drawn_cell = [&](const nlohmann::json& row) { return cell(row[0], row[1], row[2]); };
    for (size_t l = 0; l < layers.size(); ++l) {
      std::set<std::string> expected, drawn;
      for (size_t t = 0; t < layers[l].size(); ++t)
        for (size_t c = 0; c < layers[l][t].size(); ++c)
          expected.insert(cell(last["components"][c], layers[l][t][c], tasks[t]["task"]));
      for (const auto& row : charts[charts.size() - layers.size() + l]["rows"]) drawn.insert(drawn_cell(row));
      EXPECT_EQ(drawn, expected) << "layer " << l;
    }
    if (GetParam() == "route_continual") {
      // Before them, the forgetting matrix: every task's test accuracy after each task.
      const auto rows = metaevo::run::read_metrics((out / "forgetting.jsonl").string()).records;
      ASSERT_EQ(rows.size(), tasks.size());
      std::set<std::string> expected, drawn;
      for (size_t i = 0; i < rows.size(); ++i)
        for (size_t j = 0; j < tasks.size(); ++j)
          expected.insert(cell(tasks[j]["task"], rows[i]["test"][j],
                               fmt::format("after {:02d}: {}", i, tasks[i]["task"].get<std::string>())));
      ASSERT_GT(charts.size(), layers.size());
      for (const auto& row : charts[charts.size() - layers.size() - 1]["rows"]) drawn.insert(drawn_cell(row));
      EXPECT_EQ(drawn, expected);
      // Mean forgetting: over every task but the last, its best accuracy after training minus its final one.
      double forgetting = 0;
      for (size_t j = 0; j + 1 < rows.size(); ++j) {
        double best = 0;
        for (size_t i = j; i + 1 < rows.size(); ++i) best = std::max(best, rows[i]["test"][j].get<double>());
        forgetting += (best - rows.back()["test"][j].get<double>()) / double(rows.size() - 1);
      }
      const auto result = nlohmann::json::parse(metaevo::read_file((out / "result.json").string()));
      EXPECT_NEAR(result["forgetting"].get<double>(), forgetting, 1e-12);
      EXPECT_NEAR(result["test_accuracy"].get<double>(),
                  (rows.back()["test"][0].get<double>() + rows.back()["test"][1].get<double>()) / 2, 1e-12);
    }
  }
  if (GetParam() == "grow") {
    // A page comparing runs: validation accuracy against training FLOPs, a line per run folder.
    const auto page = out / "comparison.html";
    ASSERT_EQ(wait_for(spawn({METAEVO_BINARY, "report", "--runs", out.string(), "--x", "train_flops", "--y",
                              "valid_accuracy", "--out", page.string()}),
                       120),
              0);
    const auto compared = check_page(page);
    const auto metrics = metaevo::run::read_metrics((out / "metrics.jsonl").string());
    ASSERT_EQ(compared.size(), 1u);
    ASSERT_EQ(compared[0]["rows"].size(), metrics.records.size());
    for (size_t i = 0; i < metrics.records.size(); ++i) {
      const auto& r = metrics.records[i];
      EXPECT_EQ(compared[0]["rows"][i],
                nlohmann::json({r["train_flops"], r["valid_accuracy"], out.filename().string()}));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryCommand, Reports,
                         ::testing::Values("es", "meta_es", "meta_backprop", "mlo", "tune", "evolve", "agents", "grow",
                                           "route", "route_continual"));

}  // namespace
