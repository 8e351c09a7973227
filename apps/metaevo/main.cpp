// metaevo: evolution strategies, evolutionary multitask systems, multi-fidelity HPO and multilevel
// optimisation on LibTorch. Every user-facing failure ends as one "metaevo: error: ..." line and a
// non-zero exit status.
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "commands.h"
#include "metaevo/core/error.h"
#include "metaevo/core/runtime.h"

namespace metaevo::cli {

void start_runtime(const Common& common) {
  const auto level = spdlog::level::from_str(common.log_level);
  if (level == spdlog::level::off && common.log_level != "off")
    fail("--log-level: unknown level '{}' (trace, debug, info, warn, error, off)", common.log_level);
  spdlog::set_level(level);
  configure_allocator();
  configure_threads(std::max(0, common.threads));
  spdlog::info("{}", describe_runtime());
}

}  // namespace metaevo::cli

int main(int argc, char** argv) {
  using namespace metaevo::cli;
  // OpenMP threads that spin after each parallel region compete with OpenBLAS's own pthread pool
  // for the same cores; passive waiting measured 1.3x (full-rank) and 1.6x (low-rank) faster ES at
  // 2 threads. libgomp reads the policy only at load time, hence one re-exec with it set.
  if (!std::getenv("OMP_WAIT_POLICY") && ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0)
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run with the default policy
  CLI::App app{"metaevo: evolution strategies and evolutionary multitask learning on LibTorch"};
  app.require_subcommand(1);
  Common common;
  app.add_option("--threads", common.threads, "compute threads (0 = all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", common.log_level, "trace | debug | info | warn | error | off");
  Action action;
  add_es_command(app, common, action);
  add_bench_command(app, common, action);
  add_report_command(app, common, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return action();
  } catch (const metaevo::Error& e) {
    std::cerr << "metaevo: error: " << e.what() << std::endl;
    return 2;
  } catch (const c10::Error& e) {
    std::cerr << "metaevo: error: " << e.what_without_backtrace() << std::endl;
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "metaevo: error: " << e.what() << std::endl;
    return 3;
  }
}
