#include "metaevo/mlo/hypergradient.h"

#include "metaevo/core/error.h"

namespace metaevo::mlo {

Params vector_grad(const std::vector<torch::Tensor>& outputs, const Params& inputs, const Params& grad_outputs,
                   bool create_graph, bool retain_graph) {
  // Outputs with no history (a gradient that is constant in the parameters) contribute nothing.
  std::vector<torch::Tensor> live, live_grads;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].requires_grad()) {
      live.push_back(outputs[i]);
      if (!grad_outputs.empty()) live_grads.push_back(grad_outputs[i]);
    }
  std::vector<torch::Tensor> wanted, grads(inputs.size());
  std::vector<size_t> where;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].requires_grad()) {
      wanted.push_back(inputs[i]);
      where.push_back(i);
    }
  if (!live.empty() && !wanted.empty()) {
    const auto found = torch::autograd::grad(live, wanted, live_grads, retain_graph || create_graph, create_graph,
                                             /*allow_unused=*/true);
    for (size_t j = 0; j < found.size(); ++j) grads[where[j]] = found[j];
  }
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined()) grads[i] = torch::zeros_like(inputs[i]);
  return grads;
}

torch::Tensor dot(const Params& a, const Params& b) {
  METAEVO_CHECK(a.size() == b.size(), "dot: {} vs {} tensors", a.size(), b.size());
  torch::Tensor sum;
  for (size_t i = 0; i < a.size(); ++i) {
    auto term = (a[i] * b[i]).sum();
    sum = sum.defined() ? sum + term : term;
  }
  return sum.defined() ? sum : torch::zeros({});
}

}  // namespace metaevo::mlo
