#pragma once
// The processes of one job and the few collectives the engine needs. Algorithm code talks to this
// interface only: mpi.cpp is the one file that includes <mpi.h>, and a single process runs on the
// local backend, which is always built.
#include <cstdint>
#include <string>
#include <vector>

namespace metaevo::dist {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Processes of this job on this host (to share its cores among them).
  virtual int local_size() const = 0;
  /// Root's `bytes` on every process (resized on the others).
  virtual void broadcast(std::string& bytes, int root = 0) = 0;
  /// Every process's `local` values concatenated in rank order; counts may differ, and be zero.
  virtual std::vector<double> all_gather(const std::vector<double>& local) = 0;
  /// Elementwise sum over processes, in place.
  virtual void all_reduce_sum(std::vector<double>& values) = 0;
  /// The same for `count` floats (gradients), without a copy; every process gets the same bits.
  virtual void all_reduce_sum(float* values, int64_t count) = 0;
  /// In place: `values` holds every process's block in rank order, `counts[r]` floats each; this
  /// process's block is filled and, on return, so are all the others (sliced updates).
  virtual void all_gather(float* values, const std::vector<int64_t>& counts) = 0;
  /// In place: `values` holds a whole vector on every process, blocks of `counts[r]` floats in
  /// rank order; on return this process's block holds that block's sum over the processes.
  virtual void reduce_scatter_sum(float* values, const std::vector<int64_t>& counts) = 0;
  virtual void barrier() = 0;
  /// Ends every process of the job now; the caller prints why first.
  [[noreturn]] virtual void abort(int code) = 0;
  /// Payload bytes this process has sent: what a direct exchange would send to each peer (the
  /// MPI library's own algorithms and headers are not counted).
  int64_t bytes_sent() const { return bytes_sent_; }

 protected:
  int64_t bytes_sent_ = 0;
};

/// This process's job: the MPI backend when this binary has it and was started by mpirun,
/// otherwise one local process. Created on first use (MPI_Init) and finalised at exit.
Communicator& world();

/// After a fatal error on this process: ends the whole job when world() is a job of several
/// processes (the others would wait forever in their next collective); otherwise returns.
void abort_if_distributed(int code);

/// Whether this binary was built with the MPI backend (CMake option METAEVO_MPI).
bool mpi_built();

}  // namespace metaevo::dist
