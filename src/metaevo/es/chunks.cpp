#include "metaevo/es/chunks.h"

#include "metaevo/core/runtime.h"

namespace metaevo::es {

torch::Tensor evaluate_in_chunks(int64_t begin, int64_t end, int64_t chunk, bool parallel,
                                 const std::function<torch::Tensor(int64_t, int64_t)>& score) {
  std::vector<int64_t> bounds{begin};
  while (bounds.back() < end) bounds.push_back(std::min(end, (bounds.back() / chunk + 1) * chunk));
  auto fitness = torch::empty({end - begin}, torch::kFloat64);
  auto run = [&](int64_t c) {
    const int64_t c0 = bounds[size_t(c)], c1 = bounds[size_t(c) + 1];
    fitness.narrow(0, c0 - begin, c1 - c0).copy_(score(c0, c1));
  };
  const int64_t chunks = int64_t(bounds.size()) - 1;
  if (parallel) {
    SingleThreadedBlas blas;
    at::parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) run(c);
    });
  } else {
    for (int64_t c = 0; c < chunks; ++c) run(c);
  }
  return fitness;
}

}  // namespace metaevo::es
