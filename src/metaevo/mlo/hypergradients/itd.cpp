// Iterative differentiation (MAML-style, reverse mode through the unroll): the lower problem's
// steps stay in the graph, so (dw_T/dlambda)^T v is one backward pass. Exact for the unrolled
// dynamics; memory grows with the unroll length.
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/problem.h"

namespace metaevo::mlo {
namespace {

class Itd : public Hypergradient {
 public:
  Params vjp(Problem& lower, Problem& upper, const Params& v, const EdgeContext&) override {
    // Data-parallel, the unroll's steps hold sums over processes whose backward sums again
    // (data_parallel.h): v, the same on every process, enters as each one's 1/N term of it.
    const int shares = lower.parallel().shares();
    if (shares == 1) return vector_grad(lower.params(), upper.params(), v);
    Params term;
    for (const auto& t : v) term.push_back(t / double(shares));
    return lower.parallel().all_reduce(vector_grad(lower.params(), upper.params(), term));
  }
  bool needs_graph() const override { return true; }
};

const Registrar<HypergradientRegistry> itd_registration(
    "itd",
    [](const Choice& c) {
      read_choice<NoOptions>(c);
      return std::make_unique<Itd>();
    },
    variant_doc<NoOptions>("reverse mode through the unrolled steps (they stay in the graph)"));

}  // namespace
}  // namespace metaevo::mlo
