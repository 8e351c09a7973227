// `metaevo mlo --config FILE [--set key=value ...] [--output DIR] [--resume]`: a multilevel
// optimization program (program.type, see src/metaevo/mlo/programs) run by the engine; validation
// records in metrics.jsonl, the last one with time and memory in result.json, charts in
// report.html, and an atomic checkpoint that --resume continues. Under mpirun the problems run
// data-parallel (src/metaevo/mlo/data_parallel.h).
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/runtime.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/mlo/program.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/settings.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

int run_mlo(const Common& common, const RunArgs& args) {
  auto config = load_run_config(args);
  start_runtime(common, &config);
  // Under mpirun every process runs the program data-parallel; only rank 0 touches files.
  auto& comm = dist::world();
  const bool primary = comm.rank() == 0;
  const std::string output = run_output(args, config, "runs/mlo");
  const auto seed = run::read_seed(config);
  // Everything but the engine's schedule defines what a checkpoint holds.
  const run::Checkpointer checkpointer((fs::path(output) / "checkpoint.pt").string(), "mlo",
                                       run::settings_fingerprint(config, {"program", "problems"}));
  if (primary) checkpointer.check_fresh_start(args.resume);
  const auto options = read_options<mlo::EngineOptions>(config.section("engine"));
  const auto program = mlo::make_program(config, seed);
  config.check_all_used();

  mlo::Engine engine(program->problems, program->dependencies, options, seed);
  engine.distribute(comm);
  if (primary) {
    fs::create_directories(output);
    write_file_atomic((fs::path(output) / "config.yaml").string(), config.dump());
  }
  engine.set_validation([&] { return program->validate(); });
  engine.set_checkpoint(checkpointer);
  const bool resumed = args.resume && engine.resume();
  if (args.resume && !resumed) spdlog::warn("--resume: no checkpoint in {}, starting afresh", output);
  std::optional<run::MetricsLog> log;
  if (primary)
    log.emplace((fs::path(output) / "metrics.jsonl").string(), "iteration",
                resumed ? std::optional<int64_t>(engine.iteration()) : std::nullopt);
  engine.on_validation([&](const nlohmann::json& record) {
    std::string line;
    for (const auto& [k, v] : record.items())
      if (v.is_number_float()) line += fmt::format(" {} {:.4f}", k, v.get<double>());
    spdlog::info("validation at iteration {}:{}", engine.iteration(), line);
    if (log) log->append(record);
  });

  const bool windowed = reset_peak_rss();
  const double rss_at_start = current_rss_mb();
  const auto start = std::chrono::steady_clock::now();
  const int64_t first = engine.iteration();
  std::map<std::string, int64_t> steps_before;
  for (const auto& p : engine.problems()) steps_before[p->name()] = p->count();
  auto result = engine.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double training_seconds = seconds - engine.validation_seconds();
  nlohmann::json steps, upper_step_seconds;
  for (const auto& p : engine.problems()) {
    steps[p->name()] = p->count();
    const int64_t taken = p->count() - steps_before[p->name()];
    // Training time per step of each problem: for the top problem, the cost of one hypergradient
    // update including the lower steps it waited for.
    if (taken > 0) upper_step_seconds[p->name()] = training_seconds / double(taken);
  }
  if (!primary) return 0;
  result["program"] = config.section("program").get<std::string>("type");
  result["processes"] = comm.size();
  result["seconds"] = seconds;
  result["validation_seconds"] = engine.validation_seconds();
  result["iterations_this_run"] = engine.iteration() - first;
  result["steps"] = steps;
  result["seconds_per_step"] = upper_step_seconds;
  // Peak while training (when the peak could be reset), and what training added to the memory
  // held once data and problems were set up.
  result["peak_rss_mb"] = peak_rss_mb();
  if (windowed) result["peak_rss_above_start_mb"] = peak_rss_mb() - rss_at_start;
  write_file_atomic((fs::path(output) / "result.json").string(), result.dump(2) + "\n");
  spdlog::info("wrote {}", report::write_run_report(output, "metaevo mlo: " + output));
  std::cout << result.dump() << std::endl;
  return 0;
}

}  // namespace

void add_mlo_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("mlo", "multilevel optimization: a program of problems with hypergradients");
  add_run_options(cmd, *args, "runs/mlo");
  add_describe_flags(cmd, "mlo");
  cmd->callback([&common, &action, args] { action = [&common, args] { return run_mlo(common, *args); }; });
}

}  // namespace metaevo::cli
