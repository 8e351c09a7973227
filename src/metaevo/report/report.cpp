#include "metaevo/report/report.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "metaevo/core/atomic_file.h"

namespace metaevo::report {
namespace {

namespace fs = std::filesystem;

const char* kScripts[] = {"vega.min.js", "vega-lite.min.js", "vega-embed.min.js"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

// JSON inside a <script>: "</" would end the element early.
std::string script_json(const nlohmann::json& j) {
  std::string s = j.dump();
  for (size_t at = 0; (at = s.find("</", at)) != std::string::npos; at += 3) s.replace(at, 2, "<\\/");
  return s;
}

std::string cell(const nlohmann::ordered_json& v) {
  if (v.is_string()) return escape(v.get<std::string>());
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_number_float()) return fmt::format("{:.6g}", v.get<double>());
  if (v.is_null()) return "";
  // A list of records (per-task results) is a table of its own; the report shows it as one.
  if (v.is_array() && !v.empty() && v.front().is_object()) return fmt::format("{} rows (in result.json)", v.size());
  return escape(v.dump());
}

// Nested objects become dotted keys ("final.test_acc"), so no cell shows raw JSON.
void flatten(const std::string& prefix, const nlohmann::ordered_json& value,
             std::vector<std::pair<std::string, nlohmann::ordered_json>>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) flatten(prefix.empty() ? k : prefix + "." + k, v, out);
  } else {
    out.emplace_back(prefix, value);
  }
}

std::string key_value_table(const nlohmann::ordered_json& results) {
  std::vector<std::pair<std::string, nlohmann::ordered_json>> rows;
  flatten("", results, rows);
  std::string html = "<table class='kv'>";
  for (const auto& [k, v] : rows) html += fmt::format("<tr><th>{}</th><td>{}</td></tr>", escape(k), cell(v));
  return html + "</table>";
}

std::string rows_table(const nlohmann::ordered_json& rows) {
  std::vector<std::string> columns;
  std::set<std::string> seen;
  for (const auto& r : rows)
    for (const auto& [k, v] : r.items())
      if (seen.insert(k).second) columns.push_back(k);
  std::string html = "<table class='rows'><tr>";
  for (const auto& c : columns) html += "<th>" + escape(c) + "</th>";
  html += "</tr>";
  for (const auto& r : rows) {
    html += "<tr>";
    for (const auto& c : columns) html += "<td>" + (r.contains(c) ? cell(r[c]) : std::string()) + "</td>";
    html += "</tr>";
  }
  return html + "</table>";
}

// Runs in the page: draws every spec, then writes what it drew (marks and data rows per chart)
// and any error into #metaevo-check, which the browser test reads.
constexpr const char* kDrawScript = R"JS(
(async () => {
  const out = {charts: [], errors: window.metaevoErrors};
  if (typeof vegaEmbed === 'undefined') {
    window.metaevoErrors.push('vega scripts not bundled');
    document.querySelectorAll('.chart').forEach(d => d.textContent =
      'Charts need the Vega scripts: run scripts/setup.sh (it fetches them from npm), then rewrite the report.');
  } else {
    for (let i = 0; i < metaevoSpecs.length; ++i) {
      try {
        const r = await vegaEmbed('#chart-' + i, metaevoSpecs[i], {actions: false, renderer: 'svg'});
        const svg = document.querySelector('#chart-' + i + ' svg');
        out.charts.push({
          title: metaevoSpecs[i].title,
          marks: svg ? svg.querySelectorAll('g.mark-line path, g.mark-symbol path, g.mark-rect path, g.mark-image image').length : 0,
          rows: r.view.data('source_0').map(d => [d.x, d.y, d.series])
        });
      } catch (e) {
        window.metaevoErrors.push(String(e));
      }
    }
  }
  document.getElementById('metaevo-check').textContent = JSON.stringify(out);
})();
)JS";

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}"
    "table{border-collapse:collapse;font-size:0.9em}th,td{padding:3px 12px 3px 0;text-align:left;vertical-align:top}"
    "table.rows th{border-bottom:1px solid #999}table.kv th{font-weight:600}"
    "pre{background:#f6f6f6;padding:0.8em;font-size:0.85em;overflow:auto}"
    ".chart{margin:1em 0}#metaevo-check{display:none}";

}  // namespace

/// The installed package's scripts, found from where this code was loaded (libmetaevo.so in the
/// library folder, or the metaevo program in the program folder), so a package installed under any
/// prefix finds its own. Empty when neither holds them.
std::string installed_web_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&installed_web_dir), &info) == 0 || info.dli_fname == nullptr) return "";
  const auto here = fs::path(info.dli_fname).parent_path();
  for (const char* relative : {METAEVO_LIB_TO_WEB, METAEVO_BIN_TO_WEB})
    if (fs::exists(here / relative / kScripts[0])) return (here / relative).lexically_normal().string();
  return "";
}

std::string web_dir() {
  if (const char* dir = std::getenv("METAEVO_WEB_DIR")) return dir;
  // The source tree's while it has the scripts (a build), else the installed package's.
  if (fs::exists(fs::path(METAEVO_WEB_DIR) / kScripts[0])) return METAEVO_WEB_DIR;
  const auto installed = installed_web_dir();
  return installed.empty() ? METAEVO_WEB_DIR : installed;
}

std::string render(const Report& report) {
  std::string scripts;
  for (const char* name : kScripts) {
    const auto path = fs::path(web_dir()) / name;
    if (fs::exists(path)) scripts += "<script>" + read_file(path.string()) + "</script>\n";
  }
  nlohmann::json specs = nlohmann::json::array();
  for (const auto& c : report.charts) specs.push_back(c.spec);

  std::string html = fmt::format(
      "<!doctype html><html><head><meta charset='utf-8'><title>{0}</title><style>{1}</style>\n"
      // Installed before the libraries, so their own errors are caught too.
      "<script>window.metaevoErrors=[];window.addEventListener('error',e=>metaevoErrors.push(String(e.message)));"
      "{{const ce=console.error;console.error=(...a)=>{{metaevoErrors.push(a.map(String).join(' '));ce(...a);}};}}"
      "</script>\n{2}</head><body><h1>{0}</h1>\n",
      escape(report.title), kStyle, scripts);
  if (!report.results.empty()) html += "<h2>Results</h2>" + key_value_table(report.results) + "\n";
  if (!report.rows.empty()) html += "<h2>" + escape(report.rows_title) + "</h2>" + rows_table(report.rows) + "\n";
  if (!report.charts.empty()) html += "<h2>Charts</h2>\n";
  for (size_t i = 0; i < report.charts.size(); ++i) html += fmt::format("<div class='chart' id='chart-{}'></div>\n", i);
  if (!report.config.empty()) html += "<h2>Configuration</h2><pre>" + escape(report.config) + "</pre>\n";
  html += "<pre id='metaevo-check'></pre>\n<script>const metaevoSpecs=" + script_json(specs) + ";" + kDrawScript +
          "</script>\n</body></html>\n";
  return html;
}

std::string write(const Report& report, const std::string& path) {
  write_file_atomic(path, render(report));
  return path;
}

}  // namespace metaevo::report
