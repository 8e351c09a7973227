#include "metaevo/mlo/implicit.h"

#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {

Params implicit_vjp(Problem& lower, Problem& upper, const std::function<Params(const Hvp&)>& inverse_hessian_times_v) {
  const auto& w = lower.params();
  // Under fp16 in float32: its unscaled second-order products would leave float16's range.
  const auto loss = lower.loss(lower.count() - 1, /*float32=*/lower.precision() == Precision::fp16);
  const auto g = vector_grad({loss}, w, {}, /*create_graph=*/true);
  // g is this process's term of the gradient (data_parallel.h): every product with it is summed
  // over the processes, so the solver sees the global Hessian.
  const auto& parallel = lower.parallel();
  const Hvp hvp = [&](const Params& u) {
    auto h = vector_grad(g, w, u);
    for (auto& t : h) t = t.detach();
    return parallel.all_reduce(h);
  };
  const auto p = inverse_hessian_times_v(hvp);
  auto out = parallel.all_reduce(vector_grad(g, upper.params(), p, false, false));
  for (auto& t : out) t = -t;
  return out;
}

}  // namespace metaevo::mlo
