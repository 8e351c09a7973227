#pragma once
// Mini-batch indices as a pure function of the step: epoch e visits a permutation drawn from the
// counter-based stream (seed, e), so a replayed or resumed step gets the same batch with no
// sampler state to save.
#include <torch/torch.h>

#include <cstdint>

namespace metaevo::mlo {

class Batches {
 public:
  /// `size` 0 or >= n: every batch is the whole set, in order.
  Batches(int64_t n, int64_t size, uint64_t seed);
  /// int64 indices of batch `step`.
  torch::Tensor indices(int64_t step) const;
  int64_t per_epoch() const { return per_epoch_; }

 private:
  int64_t n_, size_, per_epoch_;
  uint64_t seed_;
  mutable int64_t epoch_ = -1;
  mutable torch::Tensor order_;
};

}  // namespace metaevo::mlo
