#include "metaevo/mlo/batches.h"

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::mlo {

Batches::Batches(int64_t n, int64_t size, uint64_t seed)
    : n_(n), size_(size <= 0 || size >= n ? n : size), per_epoch_(n / size_), seed_(seed) {
  METAEVO_CHECK(n > 0, "batches of an empty set");
}

torch::Tensor Batches::indices(int64_t step) const {
  if (size_ == n_) return torch::arange(n_);
  const int64_t epoch = step / per_epoch_;
  if (epoch != epoch_) {
    order_ = philox_uniform({seed_, uint32_t(epoch), uint32_t(epoch >> 32), 0x6d6c6f}, n_).argsort();
    epoch_ = epoch;
  }
  return order_.narrow(0, (step % per_epoch_) * size_, size_);
}

}  // namespace metaevo::mlo
