#include "metaevo/mlo/implicit.h"

#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {

Params implicit_vjp(Problem& lower, Problem& upper, const std::function<Params(const Hvp&)>& inverse_hessian_times_v) {
  const auto& w = lower.params();
  const auto loss = lower.training_step(lower.count() - 1);
  const auto g = vector_grad({loss}, w, {}, /*create_graph=*/true);
  const Hvp hvp = [&](const Params& u) {
    auto h = vector_grad(g, w, u);
    for (auto& t : h) t = t.detach();
    return h;
  };
  const auto p = inverse_hessian_times_v(hvp);
  auto out = vector_grad(g, upper.params(), p, false, false);
  for (auto& t : out) t = -t;
  return out;
}

}  // namespace metaevo::mlo
