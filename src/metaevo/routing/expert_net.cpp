#include "metaevo/routing/expert_net.h"

#include "metaevo/core/error.h"
#include "metaevo/models/init.h"
#include "metaevo/routing/gumbel.h"

namespace metaevo::routing {

ExpertNetImpl::ExpertNetImpl(int64_t inputs, int64_t layers, int64_t experts, int64_t width, int64_t classes,
                             uint64_t seed)
    : width_(width) {
  METAEVO_CHECK(inputs >= 1 && layers >= 1 && experts >= 1 && width >= 1 && classes >= 1,
                "ExpertNet: inputs {}, layers {}, experts {}, width {}, classes {} must all be >= 1", inputs, layers,
                experts, width, classes);
  for (int64_t l = 0; l < layers; ++l) {
    const auto in = l == 0 ? inputs : width;
    auto& layer = experts_.emplace_back();
    for (int64_t e = 0; e < experts; ++e)
      layer.push_back(register_module(fmt::format("layer{}_expert{}", l, e), torch::nn::Linear(in, width)));
    if (experts > 1) routers_.push_back(register_module(fmt::format("router{}", l), torch::nn::Linear(in, experts)));
  }
  head_ = register_module("head", torch::nn::Linear(width, classes));
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
      const auto logits = routers_[l](h);
      if (routing.logits) routing.logits->push_back(logits);
      if (routing.noise) {
        const auto z = logits + gumbel_noise({h.size(0), experts()}, *routing.noise).to(h.device());
        choice = z.argmax(1);
        const auto p = torch::softmax(z / routing.temperature, 1).gather(1, choice.unsqueeze(1));
        gate = 1 + p - p.detach();
      } else {
        choice = logits.argmax(1);
      }
    }
    auto out = torch::zeros({h.size(0), width_}, h.options());
    for (size_t e = 0; e < layer.size(); ++e) {
      const auto rows = choice.eq(int64_t(e)).nonzero().squeeze(1);
      if (rows.numel() == 0) continue;  // not called: no gradient reaches this expert
      out = out.index_copy(0, rows, torch::relu(layer[e](h.index_select(0, rows))));
    }
    h = gate.defined() ? out * gate : out;
    if (routing.taken) routing.taken->push_back(choice);
  }
  return head_(h);
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
  std::vector<torch::Tensor> out = head_->parameters();
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
