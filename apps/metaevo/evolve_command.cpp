// `metaevo evolve --config F [--add-task NAME ...]`: grows one muNet multitask system, stored in
// OUTPUT/system.db, by task iterations (rounds over `tasks`, `task_iterations` times). A rerun
// continues after the last saved iteration; --add-task runs `task_iterations` iterations of each
// named task after those already done, extending the system without touching the others. With
// `root.task` the root is first pretrained on that source task; with `baseline.kind` each task
// gets a baseline model instead of evolved paths, trained for the same total budget.
// Writes metrics.jsonl (one record per task iteration), results.json and report.html. `metaevo evolve status --output
// D` prints each task's test accuracy, parameters and sharing.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/munet/agents/agent.h"
#include "metaevo/munet/evolve.h"
#include "metaevo/munet/system_store.h"
#include "metaevo/report/charts.h"
#include "metaevo/storage/database.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;
using namespace metaevo::munet;

struct EvolveArgs {
  RunArgs run;
  std::vector<std::string> add_tasks;
  std::string status_output;
  std::string storage;
};

/// report.html: each task's row, accuracy and size as task iterations go by, and which tasks
/// share components.
void write_report(const std::string& output, const nlohmann::json& rows, const std::vector<TaskIteration>& history,
                  const std::string& config) {
  report::Report page;
  page.title = "metaevo evolve: " + output;
  page.results = {{"tasks", rows.size()},
                  {"task iterations", history.size()},
                  {"system parameters", history.empty() ? 0 : history.back().system_params}};
  page.rows_title = "Tasks";
  for (const auto& r : rows)
    page.rows.push_back(
        {{"task", r["task"]},
         {"test accuracy", r["test_accuracy"]},
         {"validation accuracy", r["validation_accuracy"]},
         {"accounted parameters", r["accounted_params"]},
         {"path parameters", r["total_params"]},
         {"layers", r["layers"]},
         {"shares with", fmt::format("{}", fmt::join(r["shares_with"].get<std::vector<std::string>>(), ", "))}});
  std::vector<report::Point> accuracy, size;
  for (const auto& it : history) {
    accuracy.push_back({double(it.iteration + 1), it.test_quality, it.task});
    size.push_back({double(it.iteration + 1), double(it.system_params), "whole system"});
  }
  page.charts.push_back(report::line_chart("test accuracy of each task after its iterations", "task iteration",
                                           report::with_direction("test accuracy", "higher"), accuracy));
  page.charts.push_back(
      report::line_chart("size of the system as tasks are added", "task iteration", "parameters", size));
  // Components a task's path shares with each other task (the root's frozen ones are not counted).
  std::vector<std::tuple<std::string, std::string, double>> cells;
  for (const auto& a : rows)
    for (const auto& b : rows) {
      const auto& with = a["shares_with"];
      const bool shared = std::find(with.begin(), with.end(), b["task"]) != with.end();
      cells.emplace_back(a["task"].get<std::string>(), b["task"].get<std::string>(), shared ? 1.0 : 0.0);
    }
  page.charts.push_back(
      report::heatmap("which tasks share components (1 = the row's path uses a component of the column's task)", "task",
                      "shares with", cells, "shares"));
  page.config = config;
  report::write(page, (fs::path(output) / "report.html").string());
}

void print_summary(const nlohmann::json& rows) {
  std::cout << fmt::format("{:<40} {:>9} {:>12} {:>12}  {}\n", "task", "test acc", "accounted", "total", "shares with");
  for (const auto& r : rows)
    std::cout << fmt::format("{:<40} {:>8.2f}% {:>12.0f} {:>12}  {}\n", r["task"].get<std::string>(),
                             100 * r["test_accuracy"].get<double>(), r["accounted_params"].get<double>(),
                             r["total_params"].get<int64_t>(), r["shares_with"].dump());
}

int run_evolve(const Common& common, const EvolveArgs& args) {
  auto config = load_run_config(args.run);
  start_runtime(common, &config);
  const std::string output = run_output(args.run, config, "runs/evolve");
  const auto location = store_location(args.storage, &config, (fs::path(output) / "system.db").string());
  const auto settings = EvolveSettings::read(config);
  config.check_all_used();
  check_tasks(settings, args.add_tasks, config.origin());
  const auto outcome = evolve_system(settings, args.add_tasks, output, location);
  const auto rows = system_summary(outcome.population);
  nlohmann::json iterations = nlohmann::json::array();
  for (const auto& it : outcome.history) iterations.push_back(it.to_json());
  nlohmann::json results{{"tasks", rows}, {"iterations", iterations}};
  if (!outcome.pretrain.is_null()) results["pretrain"] = outcome.pretrain;
  write_file_atomic((fs::path(output) / "results.json").string(), results.dump(2) + "\n");
  write_report(output, rows, outcome.history, config.dump());
  print_summary(rows);
  return 0;
}

int run_status(const Common& common, const EvolveArgs& args) {
  start_runtime(common);
  std::vector<TaskIteration> history;
  METAEVO_CHECK(!args.status_output.empty() || !args.storage.empty(),
                "evolve status: give --output DIR or --storage URL");
  const auto location = args.storage.empty() ? (fs::path(args.status_output) / "system.db").string() : args.storage;
  if (fs::exists(location) || location.find("://") != std::string::npos) {
    const auto kind = storage::Database(location).stored_schema();
    if (kind && kind->first == agent_system_schema().name) {
      // A multi-agent system (metaevo agents): per task, the winning agent and whose components it uses.
      AgentStore store(location);
      const auto score = from_json<ScoreOptions>(store.settings().at("score"), store.where() + ": settings");
      const auto rows = agent_system_summary(store, score);
      print_agent_summary(rows, agent_contributions(store, rows));
      return 0;
    }
  }
  print_summary(system_summary(load_system(location, history)));
  return 0;
}

}  // namespace

void add_evolve_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<EvolveArgs>();
  auto* cmd = app.add_subcommand("evolve", "grow a muNet multitask system by evolution (stored in OUTPUT/system.db)");
  add_run_options(cmd, args->run, "runs/evolve");
  add_describe_flags(cmd, "evolve");
  cmd->get_option("--config")->required(false);  // not for `status`
  cmd->add_option("--add-task", args->add_tasks, "extend the stored system with this task (repeatable)");
  const auto storage_help =
      "the system's database: a SQLite file or postgresql://user@host:port/db (default: the config's 'storage', else "
      "OUTPUT/system.db); the password comes from PGPASSWORD, ~/.pgpass or PGSERVICE";
  cmd->add_option("--storage", args->storage, storage_help);
  cmd->callback([&common, &action, args, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    if (args->run.config.empty()) throw CLI::RequiredError("--config");
    action = [&common, args] { return run_evolve(common, *args); };
  });
  auto* status = cmd->add_subcommand("status", "per task: test accuracy, parameters, shared components");
  status->add_option("--output", args->status_output, "the run's output directory");
  status->add_option("--storage", args->storage, storage_help);
  status->callback([&common, &action, args] { action = [&common, args] { return run_status(common, *args); }; });
}

}  // namespace metaevo::cli
