// `metaevo es --config FILE [--set key=value ...] [--resume]`: one ES run with progress, metrics,
// checkpoints and a result file in the output directory.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/es/observers.h"
#include "metaevo/es/run.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/weights.h"

namespace metaevo::cli {

void add_run_options(CLI::App* command, RunArgs& args, const std::string& default_output) {
  command->add_option("--config", args.config, "YAML or JSON configuration")->required();
  command->add_option("--set", args.overrides, "override a config key: key.path=value (repeatable)");
  command->add_option("--output", args.output, "output directory (default: config 'output' or " + default_output + ")");
  command->add_flag("--resume", args.resume, "continue from the checkpoint in the output directory");
}

Config load_run_config(const RunArgs& args) {
  auto config = Config::load(args.config);
  for (const auto& o : args.overrides) config.set(o);
  return config;
}

std::string run_output(const RunArgs& args, const Config& config, const std::string& fallback) {
  // Read even when --output wins, so a config's `output` is never reported as an unknown key.
  const auto configured = config.get<std::string>("output", fallback);
  return args.output.empty() ? configured : args.output;
}

void save_weights(const es::Problem& problem, const torch::Tensor& x, const std::string& path) {
  if (auto model = problem.model(x)) return run::save_state_dict(*model, path);
  torch::nn::Module point;  // not a network: the point itself, under the name "x"
  point.register_parameter("x", x.detach().clone());
  run::save_state_dict(point, path);
}

torch::Tensor run_es_config(const Config& config, const std::string& output, bool resume) {
  namespace fs = std::filesystem;
  // Under mpirun every process runs this same code on its shard; only rank 0 touches files.
  auto& comm = dist::world();
  const bool primary = comm.rank() == 0;
  const std::string checkpoint = (fs::path(output) / "checkpoint.pt").string();
  if (primary) run::Checkpointer(checkpoint, "es", "").check_fresh_start(resume);
  auto run = es::make_es_run(config);
  config.check_all_used();
  const run::Checkpointer checkpointer(checkpoint, "es", run.fingerprint);
  if (primary) {
    fs::create_directories(output);
    write_file_atomic((fs::path(output) / "config.yaml").string(), config.dump());
  }

  es::Driver driver(*run.strategy, *run.problem, run.driver);
  driver.distribute(comm);
  driver.set_checkpoint(checkpointer);
  if (resume && !driver.resume()) spdlog::warn("--resume: no checkpoint in {}, starting afresh", output);
  if (primary) {
    driver.add_observer(std::make_shared<es::ProgressLogger>(run.driver));
    driver.add_observer(std::make_shared<es::MetricsWriter>((fs::path(output) / "metrics.jsonl").string()));
  }
  spdlog::info("strategy {} | {} parameters | seed {} | {} process(es) | output {}", run.strategy->name(),
               run.problem->layout().dim(), run.seed, comm.size(), output);

  auto result = driver.run();
  if (!primary) return result.center;
  nlohmann::json summary = {{"strategy", run.strategy->name()},
                            {"sense", es::sense_name(run.problem->sense())},
                            {"stop_reason", result.stop_reason},
                            {"generations", result.state.generation},
                            {"evals", result.state.evals},
                            {"elapsed_s", result.state.elapsed_s},
                            {"best_fitness", result.state.best_fitness},
                            {"final", result.report}};
  write_file_atomic((fs::path(output) / "result.json").string(), summary.dump(2) + "\n");
  save_weights(*run.problem, result.center, (fs::path(output) / "weights.pt").string());
  spdlog::info("wrote {}", report::write_run_report(output, "metaevo es: " + output));
  std::cout << summary.dump() << std::endl;
  return result.center;
}

void add_es_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("es", "optimise a problem with an evolution strategy");
  add_run_options(cmd, *args, "runs/es");
  add_describe_flags(cmd, "es");
  cmd->callback([&common, &action, args] {
    action = [&common, args] {
      auto config = load_run_config(*args);
      start_runtime(common, &config);
      run_es_config(config, run_output(*args, config, "runs/es"), args->resume);
      return 0;
    };
  });
}

}  // namespace metaevo::cli
