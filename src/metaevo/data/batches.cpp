#include "metaevo/data/batches.h"

#include "metaevo/core/error.h"
#include "metaevo/core/random_stream.h"

namespace metaevo::data {

Batches::Batches(int64_t n, int64_t size, uint64_t seed)
    : n_(n), size_(size <= 0 || size >= n ? n : size), per_epoch_(n / std::max<int64_t>(size_, 1)), seed_(seed) {
  METAEVO_CHECK(n > 0, "batches of an empty set");
}

torch::Tensor Batches::indices(int64_t step) const {
  if (size_ == n_) return torch::arange(n_);
  const int64_t epoch = step / per_epoch_;
  if (epoch != epoch_) {
    RandomStream stream(seed_, uint32_t(epoch), uint32_t(uint64_t(epoch) >> 32));
    order_ = torch::tensor(permutation(n_, stream), torch::kInt64);
    epoch_ = epoch;
  }
  return order_.narrow(0, (step % per_epoch_) * size_, size_);
}

}  // namespace metaevo::data
