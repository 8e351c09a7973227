// `metaevo report --run DIR`: report.html with charts of a run's metrics.jsonl and its result.json.
#include <spdlog/spdlog.h>

#include "commands.h"
#include "metaevo/report/charts.h"

namespace metaevo::cli {

void add_report_command(CLI::App& app, Common& common, Action& action) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("report", "write report.html for a run directory");
  cmd->add_option("--run", *dir, "run output directory (with metrics.jsonl)")->required();
  cmd->callback([&action, dir] {
    action = [dir] {
      spdlog::info("wrote {}", report::write_run_report(*dir, "metaevo report: " + *dir));
      return 0;
    };
  });
}

}  // namespace metaevo::cli
