// Built instead of mpi.cpp when the CMake option METAEVO_MPI is off.
#include "metaevo/core/error.h"
#include "metaevo/dist/mpi.h"

namespace metaevo::dist {

bool mpi_built() { return false; }

std::unique_ptr<Communicator> make_mpi_communicator() {
  // Running alone in every process would have them all write the same output directory.
  fail("started by mpirun, but this metaevo was built without MPI (configure with -DMETAEVO_MPI=ON)");
}

}  // namespace metaevo::dist
