// `metaevo evolve --config F [--add-task NAME ...]`: grows one muNet multitask system, stored in
// OUTPUT/system.db, by task iterations (rounds over `tasks`, `task_iterations` times). A rerun
// continues after the last saved iteration; --add-task runs `task_iterations` iterations of each
// named task after those already done, extending the system without touching the others. With
// `root.task` the root is first pretrained on that source task; with `baseline.kind` each task
// gets a baseline model instead of evolved paths, trained for the same total budget.
// Writes metrics.jsonl (one record per task iteration), results.json and report.html. `metaevo evolve status --output
// D` prints each task's test accuracy, parameters and sharing.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "commands.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/runtime.h"
#include "metaevo/munet/pretrain.h"
#include "metaevo/munet/system_store.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/fault.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/progress.h"
#include "metaevo/run/settings.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;
using namespace metaevo::munet;

struct EvolveArgs {
  RunArgs run;
  std::vector<std::string> add_tasks;
  std::string status_output;
};

/// Per task: accuracy, parameters, and which other tasks hold each shared component.
nlohmann::json summary(const Population& population) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& task : population.tasks())
    for (const auto& p : population.paths(task)) {
      std::set<std::string> shared_with;
      for (const auto& [name, c] : p->components)
        for (const auto& lock : c->locks())
          if (lock != task && lock != kRootTask) shared_with.insert(lock);
      rows.push_back({{"task", task},
                      {"path", p->id},
                      {"validation_accuracy", p->quality},
                      {"test_accuracy", p->test_quality},
                      {"accounted_params", accounted_params(*p)},
                      {"total_params", total_params(*p)},
                      {"layers", p->layers()},
                      {"shares_with", shared_with}});
    }
  return rows;
}

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

/// The per-task training budget of a baseline: what the evolution spends on a task
/// (task_iterations x children x validations x batches between validations), as one run.
TrainOptions baseline_budget(TrainOptions train, const EvolutionOptions& evolution, int64_t rounds) {
  train.validations *= evolution.children * rounds;
  return train;
}

int run_evolve(const Common& common, const EvolveArgs& args) {
  auto config = load_run_config(args.run);
  start_runtime(common, &config);
  const std::string output = run_output(args.run, config, "runs/evolve");
  const auto seed = run::read_seed(config);
  const auto device = parse_device(config.get<std::string>("device", "cpu"));
  const auto vit = read_options<VitOptions>(config.section("vit"));
  const auto score_options = read_options<ScoreOptions>(config.section("score"));
  const auto train = read_options<TrainOptions>(config.section("train"));
  const auto evolution = read_options<EvolutionOptions>(config.section("evolution"));
  const auto pretrain = read_options<PretrainOptions>(config.section("root"));
  const auto baseline = read_options<BaselineOptions>(config.section("baseline"));
  const auto tasks = config.get<std::vector<std::string>>("tasks", {});
  const auto rounds = config.get<int64_t>("task_iterations", 1);
  const auto data = config.section("data");
  const DataDirs dirs{data.get<std::string>("mnist", ""), data.get<std::string>("fashion_mnist", ""),
                      data.get<std::string>("omniglot", "")};
  config.check_all_used();
  METAEVO_CHECK(rounds >= 1, "{}: task_iterations: must be >= 1, got {}", config.origin(), rounds);
  METAEVO_CHECK(!tasks.empty() || !args.add_tasks.empty(), "{}: tasks: name at least one task (or pass --add-task)",
                config.origin());
  // Every task name is checked before anything is pretrained, loaded or written.
  std::vector<std::string> all_tasks = tasks;
  for (const auto& task : tasks) with_context(config.origin() + ": tasks", [&] { check_task_name(task); });
  for (const auto& task : args.add_tasks) with_context("--add-task", [&] { check_task_name(task); });
  if (!pretrain.task.empty()) with_context(config.origin() + ": root.task", [&] { check_task_name(pretrain.task); });
  all_tasks.insert(all_tasks.end(), args.add_tasks.begin(), args.add_tasks.end());
  if (!pretrain.task.empty()) all_tasks.push_back(pretrain.task);
  for (const auto& task : all_tasks) with_context(config.origin() + ": data", [&] { check_task_data(task, dirs); });

  fs::create_directories(output);
  SystemStore store((fs::path(output) / "system.db").string());
  // What the system is: changing any of it would make the stored one a different system.
  store.check_settings(
      run::settings_fingerprint(config, {"vit", "score", "root", "baseline", "evolution.mutation_probability"}),
      {{"seed", seed},
       {"vit", to_json(vit)},
       {"score", to_json(score_options)},
       {"root", to_json(pretrain)},
       {"baseline", to_json(baseline)},
       {"mutation_probability", evolution.mutation_probability}});
  Population population(vit, hparam_space(evolution, vit.depth), {}, seed, device);
  std::vector<TaskIteration> history;
  const auto pretrain_file = (fs::path(output) / "pretrain.json").string();
  if (store.load(population, history)) {
    spdlog::info("continuing {} after {} task iterations", store.path(), history.size());
  } else if (!pretrain.from.empty()) {
    std::vector<TaskIteration> ignored;
    adopt_root(population, load_system(pretrain.from, ignored, device), pretrain.from);
    const auto source_pretrain = fs::path(pretrain.from).parent_path() / "pretrain.json";
    write_file_atomic(pretrain_file, nlohmann::json{{"from", pretrain.from},
                                                    {"source", fs::exists(source_pretrain)
                                                                   ? nlohmann::json::parse(read_file(source_pretrain))
                                                                   : nlohmann::json()}}
                                             .dump(2) +
                                         "\n");
    store.save(population, history);
  } else if (!pretrain.task.empty()) {
    const auto r = pretrain_root(population, load_task(pretrain.task, dirs).to(device), pretrain, train, seed);
    spdlog::info("root pretrained on {}: validation {:.4f}, test {:.4f} after {} steps", pretrain.task,
                 r.validation_accuracy, r.test_accuracy, r.steps);
    write_file_atomic(pretrain_file, nlohmann::json{{"task", pretrain.task},
                                                    {"validation_accuracy", r.validation_accuracy},
                                                    {"test_accuracy", r.test_accuracy},
                                                    {"steps", r.steps}}
                                             .dump(2) +
                                         "\n");
    store.save(population, history);
  }
  const Scorer scorer(score_options, *population.root(), vit);

  // The schedule: rounds over the config's tasks, then each added task's iterations (a baseline
  // trains each task once, for the evolution's whole budget).
  const int64_t repeats = baseline.kind.empty() ? rounds : 1;
  std::vector<std::string> schedule;
  for (int64_t r = 0; r < repeats; ++r) schedule.insert(schedule.end(), tasks.begin(), tasks.end());
  if (!args.add_tasks.empty()) {
    schedule.resize(std::max(schedule.size(), history.size()), "");
    for (int64_t r = 0; r < repeats; ++r) schedule.insert(schedule.end(), args.add_tasks.begin(), args.add_tasks.end());
  }
  run::MetricsLog log((fs::path(output) / "metrics.jsonl").string(), "task_iterations", int64_t(history.size()));
  const run::RunClock clock;
  run::Progress progress("task iteration", int64_t(schedule.size()));
  progress.start(int64_t(history.size()), 0);
  std::map<std::string, TaskData> loaded;
  for (size_t i = history.size(); i < schedule.size(); ++i) {
    const auto& name = schedule[i];
    if (!loaded.count(name)) loaded[name] = load_task(name, dirs).to(device);
    const auto result = baseline.kind.empty()
                            ? run_task_iteration(population, loaded[name], scorer, evolution, train, seed, int64_t(i))
                            : run_baseline_task(population, loaded[name], scorer, baseline,
                                                baseline_budget(train, evolution, rounds), seed, int64_t(i));
    history.push_back(result);
    // The log first, then the system: a kill between the two re-runs the iteration on resume, and
    // the log drops the record the store does not cover.
    auto record = result.to_json();
    record["task_iterations"] = history.size();
    log.append(record);
    store.save(population, history);
    run::crash_point("checkpoint");
    progress.update(
        int64_t(i + 1), clock.elapsed_s(),
        fmt::format("{}: validation {:.4f}, test {:.4f}, accounted {:.0f} of {} parameters ({} of {} children "
                    "kept), system {} parameters",
                    name, result.quality, result.test_quality, result.accounted_params, result.total_params,
                    result.kept, result.children, result.system_params),
        /*force=*/true);
  }
  const auto rows = summary(population);
  nlohmann::json iterations = nlohmann::json::array();
  for (const auto& it : history) iterations.push_back(it.to_json());
  nlohmann::json results{{"tasks", rows}, {"iterations", iterations}};
  if (fs::exists(pretrain_file)) results["pretrain"] = nlohmann::json::parse(read_file(pretrain_file));
  write_file_atomic((fs::path(output) / "results.json").string(), results.dump(2) + "\n");
  write_report(output, rows, history, config.dump());
  print_summary(rows);
  return 0;
}

int run_status(const Common& common, const EvolveArgs& args) {
  start_runtime(common);
  std::vector<TaskIteration> history;
  const auto population = load_system((fs::path(args.status_output) / "system.db").string(), history);
  print_summary(summary(population));
  return 0;
}

}  // namespace

void add_evolve_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<EvolveArgs>();
  auto* cmd = app.add_subcommand("evolve", "grow a muNet multitask system by evolution (stored in OUTPUT/system.db)");
  add_run_options(cmd, args->run, "runs/evolve");
  cmd->get_option("--config")->required(false);  // not for `status`
  cmd->add_option("--add-task", args->add_tasks, "extend the stored system with this task (repeatable)");
  cmd->callback([&common, &action, args, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    if (args->run.config.empty()) throw CLI::RequiredError("--config");
    action = [&common, args] { return run_evolve(common, *args); };
  });
  auto* status = cmd->add_subcommand("status", "per task: test accuracy, parameters, shared components");
  status->add_option("--output", args->status_output, "the run's output directory")->required();
  status->callback([&common, &action, args] { action = [&common, args] { return run_status(common, *args); }; });
}

}  // namespace metaevo::cli
