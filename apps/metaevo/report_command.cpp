// `metaevo report --run DIR`: report.html with charts of a run's metrics.jsonl and its result.json.
// `metaevo report --runs A B ... --x KEY --y KEY [--y KEY ...] --out FILE`: one page comparing runs,
// each y against x with a line per run (e.g. test accuracy against training FLOPs).
#include <spdlog/spdlog.h>

#include "commands.h"
#include "metaevo/core/error.h"
#include "metaevo/report/charts.h"

namespace metaevo::cli {
namespace {

struct ReportArgs {
  std::string run, x = "step", out = "comparison.html";
  std::vector<std::string> runs, ys;
};

}  // namespace

void add_report_command(CLI::App& app, Common& common, Action& action) {
  auto a = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "write report.html for a run directory, or a page comparing runs");
  auto* one = cmd->add_option("--run", a->run, "run output directory (with metrics.jsonl)");
  auto* many = cmd->add_option("--runs", a->runs, "run directories to compare")->excludes(one);
  cmd->add_option("--x", a->x, "--runs: the metrics key on the x axis")->needs(many);
  cmd->add_option("--y", a->ys, "--runs: a metrics key to chart (repeatable)")->needs(many);
  cmd->add_option("--out", a->out, "--runs: the page to write")->needs(many);
  cmd->callback([&action, a] {
    action = [a] {
      if (!a->runs.empty()) {
        METAEVO_CHECK(!a->ys.empty(), "--y: name at least one metrics key to chart");
        spdlog::info("wrote {}",
                     report::write_comparison_report(a->runs, a->x, a->ys, a->out,
                                                     "metaevo report: " + std::to_string(a->runs.size()) + " runs"));
        return 0;
      }
      METAEVO_CHECK(!a->run.empty(), "--run or --runs is required");
      spdlog::info("wrote {}", report::write_run_report(a->run, "metaevo report: " + a->run));
      return 0;
    };
  });
}

}  // namespace metaevo::cli
