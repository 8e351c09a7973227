// `metaevo route --config F [--set key=value ...] [--output DIR] [--resume]`: a routing program
// (`program.type`, src/metaevo/routing/programs) trained over the tasks of `data.tasks` for
// `train.steps` steps. Every `train.eval_every` steps: mean validation accuracy to metrics.jsonl,
// the allocation to allocations.jsonl, and, when validation improves, the test accuracy of that
// state (the best state by validation is the result, as in the reference), then an atomic
// checkpoint that --resume continues exactly. result.json holds the per-task accuracies at the
// best step; report.html the curves and the learned allocation matrices.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <numeric>
#include <optional>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
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

/// The learned allocation: per layer, the final connection probabilities (tasks x components),
/// and over training the fraction of pairs each layer connects at evaluation.
std::vector<report::Chart> allocation_charts(const std::string& output, const std::vector<std::string>& tasks) {
  const auto log = run::read_metrics((fs::path(output) / "allocations.jsonl").string());
  if (log.records.empty()) return {};
  std::vector<report::Chart> charts;
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
  const auto& last = log.records.back();
  const auto& layers = last["layers"];
  const auto& components = last["components"];
  for (size_t l = 0; l < layers.size(); ++l) {
    std::vector<std::tuple<std::string, std::string, double>> cells;
    for (size_t t = 0; t < layers[l].size(); ++t)
      for (size_t c = 0; c < layers[l][t].size(); ++c)
        cells.emplace_back(components.at(c).get<std::string>(), tasks.at(t), layers[l][t][c].get<double>());
    charts.push_back(
        report::heatmap(fmt::format("layer {}: connection probability at step {}", l, last["step"].get<int64_t>()),
                        "component", "task", cells, "P(connected)"));
  }
  return charts;
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
  config.check_all_used();
  std::vector<data::Splits> tasks;
  with_context(config.origin(), [&] { tasks = data.load(); });
  program->build(tasks);

  fs::create_directories(output);
  write_file_atomic((fs::path(output) / "config.yaml").string(), config.dump());
  // The best state by mean validation accuracy: its step and per-task accuracies.
  nlohmann::json best = {{"step", -1}, {"valid_accuracy", -1.0}};
  const bool resumed = args.resume && checkpointer.load([&](auto& archive) {
    program->load(archive);
    best = nlohmann::json::parse(read_string(archive, "best"));
  });
  if (args.resume && !resumed) spdlog::warn("--resume: no checkpoint in {}, starting afresh", output);
  const auto resumed_at = resumed ? std::optional<int64_t>(program->step()) : std::nullopt;
  run::MetricsLog log((fs::path(output) / "metrics.jsonl").string(), "step", resumed_at);
  run::MetricsLog allocations((fs::path(output) / "allocations.jsonl").string(), "step", resumed_at);
  spdlog::info("route: {} tasks, {} parameters", tasks.size(), program->parameter_count());
  run::Progress progress("step", train.steps);
  const run::RunClock clock;
  progress.start(program->step(), 0);
  double loss_sum = 0;
  int64_t losses = 0;
  while (program->step() < train.steps) {
    loss_sum += program->train_step();
    ++losses;
    const auto step = program->step();
    progress.update(step, clock.elapsed_s(),
                    fmt::format("loss {:.4f} | best valid {:.4f} at step {}", loss_sum / double(losses),
                                best["valid_accuracy"].get<double>(), best["step"].get<int64_t>()));
    if (step % train.eval_every != 0 && step != train.steps) continue;
    const auto valid = program->evaluate("valid");
    if (mean(valid) > best["valid_accuracy"].get<double>()) {
      const auto test = program->evaluate("test");
      best = {{"step", step},
              {"valid_accuracy", mean(valid)},
              {"test_accuracy", mean(test)},
              {"valid", valid},
              {"test", test}};
    }
    nlohmann::json record = {{"step", step},
                             {"train_loss", loss_sum / double(losses)},
                             {"valid_accuracy", mean(valid)},
                             {"best_valid_accuracy", best["valid_accuracy"]},
                             {"test_accuracy_at_best", best["test_accuracy"]}};
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
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (size_t t = 0; t < tasks.size(); ++t)
    rows.push_back({{"task", tasks[t].name},
                    {"classes", tasks[t].classes},
                    {"validation accuracy", best["valid"][t]},
                    {"test accuracy", best["test"][t]}});
  const nlohmann::json result = {{"steps", program->step()},
                                 {"parameters", program->parameter_count()},
                                 {"best_step", best["step"]},
                                 {"valid_accuracy", best["valid_accuracy"]},
                                 {"test_accuracy", best["test_accuracy"]},
                                 {"tasks", rows}};
  write_file_atomic((fs::path(output) / "result.json").string(), result.dump(2) + "\n");
  std::vector<std::string> names;
  for (const auto& t : tasks) names.push_back(t.name);
  spdlog::info("wrote {}", report::write_run_report(output, "metaevo route: " + output, "Tasks at the best step", rows,
                                                    allocation_charts(output, names)));
  std::cout << nlohmann::json{{"steps", result["steps"]},
                              {"best_step", result["best_step"]},
                              {"valid_accuracy", result["valid_accuracy"]},
                              {"test_accuracy", result["test_accuracy"]},
                              {"parameters", result["parameters"]}}
                   .dump()
            << std::endl;
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
