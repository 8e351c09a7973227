#pragma once
// Subcommands of the `metaevo` CLI, one file each. Each adds itself to the app and returns the
// action to run when it was selected.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metaevo/core/config.h"

namespace metaevo::cli {

using Action = std::function<int()>;

/// Options every subcommand shares.
struct Common {
  int threads = -1;  // -1: not given on the command line (config or all cores)
  std::string log_level = "info";
};

void add_es_command(CLI::App& app, Common& common, Action& action);
void add_bench_command(CLI::App& app, Common& common, Action& action);
void add_report_command(CLI::App& app, Common& common, Action& action);
void add_meta_command(CLI::App& app, Common& common, Action& action);
void add_tune_command(CLI::App& app, Common& common, Action& action);
void add_mlo_command(CLI::App& app, Common& common, Action& action);
void add_evolve_command(CLI::App& app, Common& common, Action& action);
/// `agent` and `agents`.
void add_agent_commands(CLI::App& app, Common& common, Action& action);
/// A multi-agent system's answer per task (munet::agent_system_summary) and each agent's
/// contribution (munet::agent_contributions) as tables on stdout.
void print_agent_summary(const nlohmann::json& rows, const nlohmann::json& contributions);
void add_predict_command(CLI::App& app, Common& common, Action& action);
void add_storage_command(CLI::App& app, Common& common, Action& action);
void add_grow_command(CLI::App& app, Common& common, Action& action);
void add_route_command(CLI::App& app, Common& common, Action& action);
/// `meta predict`, `meta evaluate` and `meta episodes`, added to the meta subcommand.
void add_meta_use_commands(CLI::App* meta, Common& common, Action& action);
/// `bench tune-table`, added to the bench subcommand.
void add_bench_tune(CLI::App* bench, Action& action);
/// `bench meta-memory`, added to the bench subcommand.
void add_bench_meta_memory(CLI::App* bench, Common& common, Action& action);

/// The flags of the commands that run a config into an output directory (es, meta).
struct RunArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string output;
  bool resume = false;
};
void add_run_options(CLI::App* command, RunArgs& args, const std::string& default_output);
/// The config with its --set overrides applied.
Config load_run_config(const RunArgs& args);
/// --output, else the config's `output`, else `fallback`.
std::string run_output(const RunArgs& args, const Config& config, const std::string& fallback);

/// Where a store lives: `flag` (--storage), else the config's `storage` key, else `fallback` (a
/// SQLite file in the output folder). The config keeps the location with any password masked,
/// since configs are written to run folders and reports.
std::string store_location(const std::string& flag, Config* config, const std::string& fallback);

/// Applies threads (the flag, else the config's `threads`, else all cores) and the log level, and
/// logs the BLAS/thread configuration.
void start_runtime(const Common& common, const Config* config = nullptr);

/// What `metaevo es` does once its config is read: the run, its checkpoints and result files in
/// `output` (rank 0 only under mpirun). With `resume`, continues the checkpoint there. Returns the
/// final center (on every process).
torch::Tensor run_es_config(const Config& config, const std::string& output, bool resume);

}  // namespace metaevo::cli
