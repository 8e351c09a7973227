#pragma once
// The one minibatch sampler: batch `step` as a pure function of (seed, step). Epoch e visits a
// permutation of the n examples drawn from the stream (seed, e), in batches of `size`; the last
// n mod size examples of a permutation wait for a later epoch. A replayed or resumed step gets
// the same batch with no sampler state to save. Used by es (one batch per generation), tune's
// objectives (one epoch per trial epoch), mlo's problems and muNet's training.
#include <torch/torch.h>

#include <cstdint>

namespace metaevo::data {

class Batches {
 public:
  /// `size` 0 or >= n: every batch is the whole set, in order.
  Batches(int64_t n, int64_t size, uint64_t seed);
  /// int64 indices (CPU) of batch `step`. Keeps the current epoch's permutation: not for use by
  /// several threads at once.
  torch::Tensor indices(int64_t step) const;
  int64_t per_epoch() const { return per_epoch_; }
  int64_t size() const { return size_; }

 private:
  int64_t n_, size_, per_epoch_;
  uint64_t seed_;
  mutable int64_t epoch_ = -1;
  mutable torch::Tensor order_;
};

}  // namespace metaevo::data
