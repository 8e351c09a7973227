#include "metaevo/routing/expert_net.h"

#include "metaevo/core/error.h"
#include "metaevo/models/init.h"
#include "metaevo/routing/gumbel.h"

namespace metaevo::routing {

ExpertNetImpl::ExpertNetImpl(int64_t inputs, int64_t hidden, int64_t experts, int64_t width, int64_t classes,
                             uint64_t seed) {
  METAEVO_CHECK(inputs >= 1 && hidden >= 0 && experts >= 1 && width >= 1 && classes >= 1,
                "ExpertNet: inputs {}, experts {}, width {}, classes {} must be >= 1 and hidden {} >= 0", inputs,
                experts, width, classes, hidden);
  for (int64_t l = 0; l <= hidden; ++l) {
    const auto in = l == 0 ? inputs : width;
    const auto out = l == hidden ? classes : width;
    auto& layer = experts_.emplace_back();
    for (int64_t e = 0; e < experts; ++e)
      layer.push_back(register_module(fmt::format("layer{}_expert{}", l, e), torch::nn::Linear(in, out)));
    if (experts > 1) routers_.push_back(register_module(fmt::format("router{}", l), torch::nn::Linear(in, experts)));
  }
  models::init_parameters(*this, seed);
}

torch::Tensor ExpertNetImpl::forward(const torch::Tensor& x, const Routing& routing) {
  auto h = x.flatten(1);
  if (routing.taken) routing.taken->clear();
  if (routing.logits) routing.logits->clear();
  for (size_t l = 0; l < experts_.size(); ++l) {
    auto& layer = experts_[l];
    torch::Tensor choice, gate;
    if (routing.forced) {
      choice = routing.forced->at(l);
    } else if (routers_.empty()) {
      choice = torch::zeros({h.size(0)}, torch::TensorOptions(torch::kInt64).device(h.device()));
    } else {
      // On the input detached: routing losses train the routers, never the experts beneath.
      const auto logits = routers_[l](h.detach());
      if (routing.logits) routing.logits->push_back(logits);
      if (routing.noise) {
        const auto z = logits + gumbel_noise({h.size(0), experts()}, *routing.noise).to(h.device());
        choice = z.argmax(1);
        const auto p = torch::softmax(z / routing.temperature, 1).gather(1, choice.unsqueeze(1));
        gate = (p - p.detach()) + 1;  // exactly 1 in value: p - p first
      } else {
        choice = logits.argmax(1);
      }
    }
    const bool output = l + 1 == experts_.size();
    auto out = torch::zeros({h.size(0), layer.front()->options.out_features()}, h.options());
    for (size_t e = 0; e < layer.size(); ++e) {
      const auto rows = choice.eq(int64_t(e)).nonzero().squeeze(1);
      if (rows.numel() == 0) continue;  // not called: no gradient reaches this expert
      const auto y = layer[e](h.index_select(0, rows));
      out = out.index_copy(0, rows, output ? y : torch::relu(y));
    }
    h = gate.defined() ? out * gate : out;
    if (routing.taken) routing.taken->push_back(choice);
  }
  return h;
}

std::vector<torch::Tensor> ExpertNetImpl::expert_parameters(int64_t layer, int64_t expert) const {
  return experts_.at(size_t(layer)).at(size_t(expert))->parameters();
}

std::vector<torch::Tensor> ExpertNetImpl::router_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& r : routers_)
    for (const auto& p : r->parameters()) out.push_back(p);
  return out;
}

std::vector<torch::Tensor> ExpertNetImpl::weights() const {
  std::vector<torch::Tensor> out;
  for (const auto& layer : experts_)
    for (const auto& e : layer)
      for (const auto& p : e->parameters()) out.push_back(p);
  return out;
}

int64_t ExpertNetImpl::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace metaevo::routing
