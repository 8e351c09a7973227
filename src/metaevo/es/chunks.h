#pragma once
// Batched fitness evaluation of a population slice, chunk by chunk.
#include <torch/torch.h>

#include <functional>

namespace metaevo::es {

/// Fitness of members [begin, end) as float64 [end - begin]. Chunks end at multiples of `chunk`,
/// so a member's arithmetic does not depend on how the population was cut; `score(c0, c1)`
/// returns the fitness of members [c0, c1). With `parallel` (CPU) the chunks run concurrently,
/// each on one thread with single-threaded BLAS: per-chunk activations stay in cache and the
/// values do not depend on the thread count. Otherwise (CUDA) they run one after another.
torch::Tensor evaluate_in_chunks(int64_t begin, int64_t end, int64_t chunk, bool parallel,
                                 const std::function<torch::Tensor(int64_t, int64_t)>& score);

}  // namespace metaevo::es
