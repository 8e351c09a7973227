// Open MPI backend: the only file that includes <mpi.h>. MPI is initialised with
// MPI_THREAD_FUNNELED: only the main thread communicates, compute threads never do.
#include "metaevo/dist/mpi.h"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <numeric>

#include "metaevo/core/error.h"

namespace metaevo::dist {
namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  fail("MPI {}: {}", what, std::string(text, size_t(len)));
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "init");
    // Errors come back as codes (check() turns them into metaevo errors) instead of aborting
    // silently inside the library.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    MPI_Comm host;
    check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host), "split by host");
    MPI_Comm_size(host, &local_size_);
    MPI_Comm_free(&host);
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return local_size_; }

  void broadcast(std::string& bytes, int root) override {
    int64_t n = int64_t(bytes.size());
    check(MPI_Bcast(&n, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "broadcast");
    if (rank_ != root) bytes.resize(size_t(n));
    METAEVO_CHECK(n <= int64_t(std::numeric_limits<int>::max()), "broadcast of {} bytes is too large", n);
    check(MPI_Bcast(bytes.data(), int(n), MPI_BYTE, root, MPI_COMM_WORLD), "broadcast");
    if (rank_ == root) bytes_sent_ += (int64_t(sizeof n) + n) * (size_ - 1);
  }

  std::vector<double> all_gather(const std::vector<double>& local) override {
    const int count = int(local.size());
    std::vector<int> counts(static_cast<size_t>(size_)), offsets(static_cast<size_t>(size_));
    check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "all-gather");
    std::exclusive_scan(counts.begin(), counts.end(), offsets.begin(), 0);
    std::vector<double> all(size_t(offsets.back() + counts.back()));
    check(MPI_Allgatherv(local.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                         MPI_COMM_WORLD),
          "all-gather");
    bytes_sent_ += (int64_t(sizeof count) + int64_t(count) * int64_t(sizeof(double))) * (size_ - 1);
    return all;
  }

  void all_reduce_sum(std::vector<double>& values) override {
    check(MPI_Allreduce(MPI_IN_PLACE, values.data(), int(values.size()), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
          "all-reduce");
    bytes_sent_ += int64_t(values.size() * sizeof(double)) * (size_ - 1);
  }

  void all_reduce_sum(float* values, int64_t count) override {
    // MPI counts are ints: long buffers go in slices.
    constexpr int64_t kSlice = std::numeric_limits<int>::max();
    for (int64_t at = 0; at < count; at += kSlice)
      check(MPI_Allreduce(MPI_IN_PLACE, values + at, int(std::min(kSlice, count - at)), MPI_FLOAT, MPI_SUM,
                          MPI_COMM_WORLD),
            "all-reduce");
    bytes_sent_ += count * int64_t(sizeof(float)) * (size_ - 1);
  }

  void all_gather(float* values, const std::vector<int64_t>& counts) override {
    const auto [n, offsets] = blocks(counts, "all-gather");
    check(
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values, n.data(), offsets.data(), MPI_FLOAT, MPI_COMM_WORLD),
        "all-gather");
    bytes_sent_ += counts[size_t(rank_)] * int64_t(sizeof(float)) * (size_ - 1);
  }

  void reduce_scatter_sum(float* values, const std::vector<int64_t>& counts) override {
    const auto [n, offsets] = blocks(counts, "reduce-scatter");
    const int mine = n[size_t(rank_)];
    std::vector<float> block(size_t(std::max(1, mine)));
    check(MPI_Reduce_scatter(values, block.data(), n.data(), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "reduce-scatter");
    std::copy(block.begin(), block.begin() + mine, values + offsets[size_t(rank_)]);
    // A direct exchange sends each peer its block.
    bytes_sent_ += (std::accumulate(counts.begin(), counts.end(), int64_t(0)) - mine) * int64_t(sizeof(float));
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "barrier"); }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest if it did
  }

 private:
  /// MPI's int counts and offsets of blocks of `counts` floats, one per process.
  std::pair<std::vector<int>, std::vector<int>> blocks(const std::vector<int64_t>& counts, const char* what) const {
    METAEVO_CHECK(int64_t(counts.size()) == size_, "{}: {} counts for {} processes", what, counts.size(), size_);
    std::vector<int> n(counts.size()), offsets(counts.size());
    int64_t total = 0;
    for (size_t r = 0; r < counts.size(); ++r) {
      total += counts[r];
      METAEVO_CHECK(total <= int64_t(std::numeric_limits<int>::max()), "{} of {} floats is too large", what, total);
      n[r] = int(counts[r]);
    }
    std::exclusive_scan(n.begin(), n.end(), offsets.begin(), 0);
    return {n, offsets};
  }

  int rank_ = 0, size_ = 1, local_size_ = 1;
};

}  // namespace

bool mpi_built() { return true; }

std::unique_ptr<Communicator> make_mpi_communicator() { return std::make_unique<MpiCommunicator>(); }

}  // namespace metaevo::dist
