// `metaevo route --config F [--set key=value ...] [--output DIR] [--resume]`: a routing program
// (`program.type`, src/metaevo/routing/programs) trained over the tasks of `data.tasks` for
// `train.steps` steps. Every `train.eval_every` steps: mean validation accuracy to metrics.jsonl,
// the allocation to allocations.jsonl, then an atomic checkpoint that --resume continues exactly.
// A joint program's result is the state with the best mean validation accuracy (its test
// accuracy measured when validation improves), as in the Gumbel-Matrix reference. A continual
// program meets the tasks in turn; after each, every task's test accuracy goes to
// forgetting.jsonl (a row of the forgetting matrix), and the result is the final state.
// result.json holds the per-task accuracies; report.html the curves, the allocation matrices and
// the forgetting matrix.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <numeric>
#include <optional>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/core/serialize.h"
#include "metaevo/report/charts.h"
#include "metaevo/routing/program.h"
#include "metaevo/run/checkpointer.h"
#include "metaevo/run/fault.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/progress.h"
#include "metaevo/run/settings.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

double mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / double(v.size()); }

/// Per layer, the final allocation (tasks x components, in the program's measure); for connection
/// probabilities also the fraction of pairs each layer connects at evaluation over training.
std::vector<report::Chart> allocation_charts(const std::string& output, const std::vector<std::string>& tasks) {
  const auto log = run::read_metrics((fs::path(output) / "allocations.jsonl").string());
  if (log.records.empty()) return {};
  std::vector<report::Chart> charts;
  const auto& last = log.records.back();
  const auto measure = last.at("measure").get<std::string>();
  if (measure == "P(connected)") {
    std::vector<report::Point> connected;
    for (const auto& r : log.records) {
      const auto& layers = r["layers"];
      for (size_t l = 0; l < layers.size(); ++l) {
        double on = 0, all = 0;
        for (const auto& row : layers[l])
          for (const auto& p : row) on += p.get<double>() > 0.5 ? 1 : 0, all += 1;
        connected.push_back({r["step"].get<double>(), on / all, fmt::format("layer {}", l)});
      }
    }
    charts.push_back(report::line_chart("connected (task, component) pairs per layer, as evaluation routes", "step",
                                        "fraction connected", connected));
  }
  const auto& layers = last["layers"];
  const auto& components = last["components"];
  for (size_t l = 0; l < layers.size(); ++l) {
    std::vector<std::tuple<std::string, std::string, double>> cells;
    for (size_t t = 0; t < layers[l].size(); ++t)
      for (size_t c = 0; c < layers[l][t].size(); ++c)
        cells.emplace_back(components.at(c).get<std::string>(), tasks.at(t), layers[l][t][c].get<double>());
    charts.push_back(report::heatmap(fmt::format("layer {}: {} at step {}", l, measure, last["step"].get<int64_t>()),
                                     "component", "task", cells, measure));
  }
  return charts;
}

/// The forgetting matrix: a[i][j], task j's test accuracy after training on task i.
std::vector<std::vector<double>> read_forgetting(const std::string& output) {
  std::vector<std::vector<double>> rows;
  for (const auto& r : run::read_metrics((fs::path(output) / "forgetting.jsonl").string()).records)
    rows.push_back(r.at("test").get<std::vector<double>>());
  return rows;
}

report::Chart forgetting_chart(const std::vector<std::vector<double>>& a, const std::vector<std::string>& tasks) {
  std::vector<std::tuple<std::string, std::string, double>> cells;
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < a[i].size(); ++j)
      cells.emplace_back(tasks.at(j), fmt::format("after {:02d}: {}", i, tasks.at(i)), a[i][j]);
  return report::heatmap("forgetting matrix: test accuracy of every task after each task", "task evaluated",
                         "trained so far", cells, "test accuracy");
}

/// Mean over the tasks before the last of the drop from their best accuracy after training to
/// their final one (Chaudhry et al.'s forgetting measure).
double mean_forgetting(const std::vector<std::vector<double>>& a) {
  if (a.size() < 2) return 0;
  double sum = 0;
  for (size_t j = 0; j + 1 < a.size(); ++j) {
    double best = 0;
    for (size_t i = j; i + 1 < a.size(); ++i) best = std::max(best, a[i][j]);
    sum += best - a.back()[j];
  }
  return sum / double(a.size() - 1);
}

int run_route(const Common& common, const RunArgs& args) {
  auto config = load_run_config(args);
  start_runtime(common, &config);
  const std::string output = run_output(args, config, "runs/route");
  const auto seed = run::read_seed(config);
  const run::Checkpointer checkpointer((fs::path(output) / "checkpoint.pt").string(), "route",
                                       run::settings_fingerprint(config, {"data", "program"}));
  checkpointer.check_fresh_start(args.resume);
  const auto data = read_options<routing::RouteDataOptions>(config.section("data"));
  const auto train = read_options<routing::RouteTrainOptions>(config.section("train"));
  const auto program = routing::make_program(config.section("program"), seed);
  const auto n = int64_t(data.tasks.size());
  const bool continual = program->continual();
  if (continual && train.steps % n != 0)
    fail("{}: train.steps: a continual program meets its {} tasks in turn, so steps must be a multiple of {}, got {}",
         config.origin(), n, n, train.steps);
  const auto per_task = continual ? train.steps / n : train.steps;
  config.check_all_used();
  std::vector<data::Splits> tasks;
  with_context(config.origin(), [&] { tasks = data.load(); });
  program->build(tasks);
  std::vector<std::string> names;
  for (const auto& t : tasks) names.push_back(t.name);

  fs::create_directories(output);
  write_file_atomic((fs::path(output) / "config.yaml").string(), config.dump());
  // Joint: the best state by mean validation accuracy, its step and per-task accuracies.
  nlohmann::json best = {{"step", -1}, {"valid_accuracy", -1.0}};
  const bool resumed = args.resume && checkpointer.load([&](auto& archive) {
    program->load(archive);
    best = nlohmann::json::parse(read_string(archive, "best"));
  });
  if (args.resume && !resumed) spdlog::warn("--resume: no checkpoint in {}, starting afresh", output);
  const auto resumed_at = resumed ? std::optional<int64_t>(program->step()) : std::nullopt;
  run::MetricsLog log((fs::path(output) / "metrics.jsonl").string(), "step", resumed_at);
  run::MetricsLog allocations((fs::path(output) / "allocations.jsonl").string(), "step", resumed_at);
  std::optional<run::MetricsLog> forgetting;
  if (continual) forgetting.emplace((fs::path(output) / "forgetting.jsonl").string(), "step", resumed_at);
  spdlog::info("route: {} tasks{}, {} parameters", n, continual ? " in turn" : "", program->parameter_count());
  run::Progress progress("step", train.steps);
  const run::RunClock clock;
  progress.start(program->step(), 0);
  double loss_sum = 0;
  int64_t losses = 0;
  while (program->step() < train.steps) {
    if (continual && program->step() % per_task == 0) program->begin_task(program->step() / per_task);
    loss_sum += program->train_step();
    ++losses;
    const auto step = program->step();
    progress.update(
        step, clock.elapsed_s(),
        continual ? fmt::format("loss {:.4f} | task {}/{}", loss_sum / double(losses), (step - 1) / per_task + 1, n)
                  : fmt::format("loss {:.4f} | best valid {:.4f} at step {}", loss_sum / double(losses),
                                best["valid_accuracy"].get<double>(), best["step"].get<int64_t>()));
    const bool task_done = continual && step % per_task == 0;
    if (step % train.eval_every != 0 && step != train.steps && !task_done) continue;
    const auto valid = program->evaluate("valid");
    nlohmann::json record = {
        {"step", step}, {"train_loss", loss_sum / double(losses)}, {"valid_accuracy", mean(valid)}};
    if (task_done) {
      const auto test = program->evaluate("test");
      forgetting->append({{"step", step}, {"task", step / per_task - 1}, {"valid", valid}, {"test", test}});
      record["test_accuracy"] = mean(test);
    } else if (!continual && mean(valid) > best["valid_accuracy"].get<double>()) {
      const auto test = program->evaluate("test");
      best = {{"step", step},
              {"valid_accuracy", mean(valid)},
              {"test_accuracy", mean(test)},
              {"valid", valid},
              {"test", test}};
    }
    if (!continual) {
      record["best_valid_accuracy"] = best["valid_accuracy"];
      record["test_accuracy_at_best"] = best["test_accuracy"];
    }
    record.update(program->state());
    log.append(record);
    loss_sum = 0, losses = 0;
    const auto allocation = program->allocation();
    if (!allocation.is_null()) {
      auto entry = allocation;
      entry["step"] = step;
      allocations.append(entry);
    }
    checkpointer.save([&](auto& archive) {
      program->save(archive);
      write_string(archive, "best", best.dump());
    });
    run::crash_point("checkpoint");
  }
  auto charts = allocation_charts(output, names);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  nlohmann::ordered_json result = {{"steps", program->step()}, {"parameters", program->parameter_count()}};
  if (continual) {
    const auto a = read_forgetting(output);
    METAEVO_CHECK(int64_t(a.size()) == n, "{}: {} rows for {} tasks", (fs::path(output) / "forgetting.jsonl").string(),
                  a.size(), n);
    for (int64_t t = 0; t < n; ++t)
      rows.push_back({{"task", names[size_t(t)]},
                      {"test accuracy after it", a[size_t(t)][size_t(t)]},
                      {"final test accuracy", a.back()[size_t(t)]}});
    result["test_accuracy"] = mean(a.back());
    result["forgetting"] = mean_forgetting(a);
    charts.insert(charts.begin(), forgetting_chart(a, names));
  } else {
    for (size_t t = 0; t < tasks.size(); ++t)
      rows.push_back({{"task", names[t]},
                      {"classes", tasks[t].classes},
                      {"validation accuracy", best["valid"][t]},
                      {"test accuracy", best["test"][t]}});
    result["best_step"] = best["step"];
    result["valid_accuracy"] = best["valid_accuracy"];
    result["test_accuracy"] = best["test_accuracy"];
  }
  result["tasks"] = rows;
  write_file_atomic((fs::path(output) / "result.json").string(), result.dump(2) + "\n");
  spdlog::info("wrote {}",
               report::write_run_report(output, "metaevo route: " + output,
                                        continual ? "Tasks at the end" : "Tasks at the best step", rows, charts));
  result.erase("tasks");
  std::cout << result.dump() << std::endl;
  return 0;
}

}  // namespace

void add_route_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("route", "learn how tasks share a network's components (Gumbel-Matrix routing)");
  add_run_options(cmd, *args, "runs/route");
  add_describe_flags(cmd, "route");
  cmd->callback([&common, &action, args] { action = [&common, args] { return run_route(common, *args); }; });
}

}  // namespace metaevo::cli
