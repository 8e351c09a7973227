#pragma once
// The shared half of the implicit-function methods (Neumann, CG): with L the lower loss at its
// current weights w and g = dL/dw kept in the graph, a solver approximates p ~ H^-1 v from
// Hessian-vector products, and the result is -(d^2 L / dlambda dw)^T p = -d<g, p>/dlambda.
#include <functional>

#include "metaevo/mlo/hypergradient.h"

namespace metaevo::mlo {

using Hvp = std::function<Params(const Params&)>;

Params implicit_vjp(Problem& lower, Problem& upper, const std::function<Params(const Hvp&)>& inverse_hessian_times_v);

}  // namespace metaevo::mlo
