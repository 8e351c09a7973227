#pragma once
// Subcommands of the `metaevo` CLI, one file each. Each adds itself to the app and returns the
// action to run when it was selected.
#include <CLI/CLI.hpp>

#include <functional>

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

/// Applies threads/log level and logs the BLAS/thread configuration.
void start_runtime(const Common& common);

}  // namespace metaevo::cli
