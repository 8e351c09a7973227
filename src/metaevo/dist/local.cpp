// The single-process backend, and the choice of backend.
#include <cstdlib>
#include <memory>

#include "metaevo/dist/communicator.h"
#include "metaevo/dist/mpi.h"

namespace metaevo::dist {
namespace {

class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_size() const override { return 1; }
  void broadcast(std::string&, int) override {}
  std::vector<double> all_gather(const std::vector<double>& local) override { return local; }
  void all_reduce_sum(std::vector<double>&) override {}
  void all_reduce_sum(float*, int64_t) override {}
  void all_gather(float*, const std::vector<int64_t>&) override {}
  void reduce_scatter_sum(float*, const std::vector<int64_t>&) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::_Exit(code); }
};

// Open MPI's and PMIx's launchers set these in every process they start.
bool started_by_mpirun() { return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK"); }

Communicator* created = nullptr;

}  // namespace

Communicator& world() {
  static const std::unique_ptr<Communicator> comm = [] {
    std::unique_ptr<Communicator> c =
        started_by_mpirun() ? make_mpi_communicator() : std::make_unique<LocalCommunicator>();
    created = c.get();
    return c;
  }();
  return *comm;
}

void abort_if_distributed(int code) {
  if (created && created->size() > 1) created->abort(code);
}

}  // namespace metaevo::dist
