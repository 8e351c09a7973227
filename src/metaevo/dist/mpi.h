#pragma once
// Backend factory shared by local.cpp and the MPI backend; not for use outside dist/.
#include <memory>

#include "metaevo/dist/communicator.h"

namespace metaevo::dist {

/// The MPI world communicator (initialises MPI), or null when built without MPI.
std::unique_ptr<Communicator> make_mpi_communicator();

}  // namespace metaevo::dist
