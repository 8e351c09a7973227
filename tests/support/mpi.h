#pragma once
// Tests that start metaevo under mpirun: where mpirun is, the environment that lets it run in CI
// containers, and the skip when this build or machine has no MPI.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "metaevo/dist/communicator.h"

namespace metaevo::testing {

inline const char* const kMpirun = "/usr/bin/mpirun";

// Root in CI containers, no network, 2 cores: allowed explicitly, oversubscription allowed,
// shared-memory transport without the single-copy mechanism containers often forbid.
inline const std::vector<std::string> kMpiEnv{
    "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1", "OMPI_MCA_rmaps_base_oversubscribe=1",
    "OMPI_MCA_btl_vader_single_copy_mechanism=none", "OMPI_MCA_btl=self,vader",
    // Ranks share the cores with other tests (ctest -j): waiting in a collective yields the CPU
    // instead of spinning, which under load starved the other rank for minutes.
    "OMPI_MCA_mpi_yield_when_idle=1"};

/// `metaevo <args...>` under mpirun with `ranks` processes, or alone when ranks is 0.
inline std::vector<std::string> mpi_argv(int ranks, const std::vector<std::string>& args) {
  std::vector<std::string> argv;
  if (ranks > 0) argv = {kMpirun, "-np", std::to_string(ranks)};
  argv.push_back(METAEVO_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace metaevo::testing

#define SKIP_WITHOUT_MPI()                                                                                  \
  do {                                                                                                      \
    if (!metaevo::dist::mpi_built()) GTEST_SKIP() << "built without MPI (configure with -DMETAEVO_MPI=ON)"; \
    if (!std::filesystem::exists(metaevo::testing::kMpirun))                                                \
      GTEST_SKIP() << metaevo::testing::kMpirun << " not found (apt-get install openmpi-bin)";              \
  } while (0)
