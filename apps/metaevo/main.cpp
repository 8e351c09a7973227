// metaevo: evolution strategies, evolutionary multitask systems, multi-fidelity HPO and multilevel
// optimisation on LibTorch. Every user-facing failure ends as one "metaevo: error: ..." line and a
// non-zero exit status.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "commands.h"
#include "metaevo/core/error.h"
#include "metaevo/core/runtime.h"
#include "metaevo/dist/communicator.h"

namespace metaevo::cli {

void start_runtime(const Common& common, const Config* config) {
  const auto level = spdlog::level::from_str(common.log_level);
  if (level == spdlog::level::off && common.log_level != "off")
    fail("--log-level: unknown level '{}' (trace, debug, info, warn, error, off)", common.log_level);
  const auto& comm = dist::world();
  // Only rank 0 logs progress; the others still report errors.
  spdlog::set_level(comm.rank() == 0 ? level : std::max(level, spdlog::level::err));
  configure_allocator();
  // "All cores" means this process's share of the host when several ranks run on it.
  const int configured = config ? config->get<int>("threads", 0) : 0;
  int threads = common.threads >= 0 ? common.threads : configured;
  if (threads < 0) fail("threads: must be >= 0 (0 = all cores), got {}", threads);
  if (threads == 0) threads = std::max(1, int(std::thread::hardware_concurrency()) / std::max(1, comm.local_size()));
  configure_threads(threads);
  spdlog::info("{} | process {} of {}", describe_runtime(), comm.rank(), comm.size());
}

}  // namespace metaevo::cli

namespace {

// OpenMP threads that spin after each parallel region compete with OpenBLAS's own pthread pool
// for the same cores; passive waiting measured 1.3x (full-rank) and 1.6x (low-rank) faster ES at
// 2 threads. libgomp reads the policy in its load-time constructor: the executable's preinit
// functions run before any shared library's, so the default is set there (a re-exec with it set
// would load LibTorch twice, ~0.6 s per command).
void prefer_passive_openmp_waits(int, char**, char**) { ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0); }
__attribute__((section(".preinit_array"),
               used)) void (*const passive_openmp_waits)(int, char**, char**) = prefer_passive_openmp_waits;

}  // namespace

int main(int argc, char** argv) {
  using namespace metaevo::cli;
  // Logs go to standard error, so that standard output carries only results (JSON lines, CSV).
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::stderr_color_sink_mt>()));
  CLI::App app{
      "metaevo: evolution strategies, evolutionary multitask learning, multi-fidelity HPO and multilevel optimization "
      "on LibTorch"};
  app.require_subcommand(1);
  // Global flags are accepted after the subcommand too (`metaevo es ... --threads 1`): subcommands
  // created from here on pass flags they do not know up to the app.
  app.fallthrough();
  Common common;
  app.add_option("--threads", common.threads, "compute threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", common.log_level, "trace | debug | info | warn | error | off");
  Action action;
  add_es_command(app, common, action);
  add_bench_command(app, common, action);
  add_report_command(app, common, action);
  add_meta_command(app, common, action);
  add_tune_command(app, common, action);
  add_mlo_command(app, common, action);
  add_evolve_command(app, common, action);
  add_agent_commands(app, common, action);
  add_predict_command(app, common, action);
  add_storage_command(app, common, action);
  add_grow_command(app, common, action);
  add_route_command(app, common, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  // A failing process of a distributed job takes the job down: its peers would otherwise wait
  // in their next collective forever.
  auto fatal = [](const char* what, int code) {
    std::cerr << "metaevo: error: " << what << std::endl;
    metaevo::dist::abort_if_distributed(code);
    return code;
  };
  try {
    return action();
  } catch (const metaevo::Error& e) {
    return fatal(e.what(), 2);
  } catch (const c10::Error& e) {
    return fatal(e.what_without_backtrace(), 3);
  } catch (const std::exception& e) {
    return fatal(e.what(), 3);
  }
}
