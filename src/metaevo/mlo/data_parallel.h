#pragma once
// Data-parallel problems (Betty's DDP, here over MPI). Under mpirun every process holds the same
// parameters of every problem and computes only its share of each batch: its loss is its term of
// the global loss (the terms sum to it over processes), and every gradient, hypergradient and
// Hessian-vector product is summed over processes before it is used. So N processes take the steps
// that one process takes on the same global batch, equal up to rounding, and the parameters stay
// bitwise equal across processes because each sum reaches all of them with the same bits.
//
// A program's losses use the share helpers below; a program whose hypergradient is ES keeps every
// batch whole on every process and splits the perturbations instead (see Engine::distribute).
#include <torch/torch.h>

#include "metaevo/dist/communicator.h"
#include "metaevo/mlo/optimizer.h"

namespace metaevo::mlo {

class DataParallel {
 public:
  /// One process: every share is the whole batch, every sum the value itself.
  DataParallel() = default;
  /// The processes of `comm`, splitting batches when `split` (otherwise each computes whole batches
  /// and only methods that split their own work, like ES, use the communicator).
  DataParallel(dist::Communicator& comm, bool split);

  /// The job's processes; this one's rank.
  int processes() const { return comm_ ? comm_->size() : 1; }
  int rank() const { return comm_ ? comm_->rank() : 0; }
  /// Shares each batch is cut into: the processes when split, otherwise 1.
  int shares() const { return split_ ? processes() : 1; }
  dist::Communicator* communicator() const { return comm_; }

  /// This process's contiguous share of a global batch (its first dimension): rows
  /// [B r / S, B (r + 1) / S) for share r of S.
  torch::Tensor share(const torch::Tensor& batch) const;
  /// This process's term of a batch mean: the sum of its share's per-example values over the
  /// global batch size.
  torch::Tensor mean(const torch::Tensor& per_example_of_share, int64_t global_size) const;
  /// A term every process computes alike (a regulariser), counted once: on rank 0, zero elsewhere.
  torch::Tensor once(const torch::Tensor& term) const;
  /// The sum of x over the shares (a normaliser over the global batch). Differentiable: as each
  /// process's loss is a term of the global loss, its backward sums the incoming gradients too.
  torch::Tensor sum(const torch::Tensor& x) const;
  /// Every tensor summed over the shares, in one message. `differentiable` keeps the sum in the
  /// graph as sum() does (a lower problem whose steps stay in the graph).
  Params all_reduce(const Params& terms, bool differentiable = false) const;

 private:
  dist::Communicator* comm_ = nullptr;
  bool split_ = false;
};

}  // namespace metaevo::mlo
