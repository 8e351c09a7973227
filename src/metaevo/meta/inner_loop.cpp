#include "metaevo/meta/inner_loop.h"

#include <map>
#include <mutex>

#include "metaevo/core/philox.h"
#include "metaevo/es/gradient_estimate.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/models/functional.h"
#include "metaevo/models/zoo.h"

namespace metaevo::meta {

namespace F = torch::nn::functional;

torch::Tensor conv4_functional(const torch::Tensor& x, const Params& p) {
  METAEVO_CHECK(p.size() == 16 && p[0].dim() == 4, "conv4_functional: expected conv4's 16 parameter tensors, got {}",
                p.size());
  // Only the layers are read, not their values: one network per shape serves every call.
  static std::mutex mutex;
  static std::map<std::pair<int64_t, int64_t>, torch::nn::Sequential> layers;
  const std::pair<int64_t, int64_t> shape{p[0].size(1), p[0].size(0)};
  torch::nn::Sequential net;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    auto it = layers.find(shape);
    if (it == layers.end()) it = layers.emplace(shape, models::make_conv4(shape.first, shape.second, 0)).first;
    net = it->second;
  }
  return models::functional_forward(net, x, p);
}

namespace {

/// Prototypical loss of `images` (class-major, `per_class` each) classified by the prototypes of
/// `support` images; both embedded by the encoder with parameters p.
torch::Tensor proto_loss(const Params& p, const torch::Tensor& support, const torch::Tensor& images,
                         const torch::Tensor& labels, int64_t ways) {
  auto protos = prototypes(conv4_functional(support, p), ways);
  auto logits = proto_logits(conv4_functional(images, p), protos);
  return F::cross_entropy(logits, labels);
}

}  // namespace

torch::Tensor inner_loop_loss(const Params& theta, const data::Episode& e, int64_t ways, const InnerLoopOptions& o,
                              bool differentiable) {
  const int64_t shots = e.support.size(0) / ways;
  const auto support_labels = torch::arange(ways).repeat_interleave(shots);
  Params fast = theta;
  for (int64_t k = 0; k < o.steps; ++k) {
    if (!differentiable)
      for (auto& w : fast) w = w.detach().requires_grad_(true);
    auto loss = proto_loss(fast, e.support, e.support, support_labels, ways);
    auto grads =
        torch::autograd::grad({loss}, fast, {}, /*retain_graph=*/differentiable, /*create_graph=*/differentiable);
    for (size_t i = 0; i < fast.size(); ++i) fast[i] = fast[i] - o.alpha * grads[i];
  }
  if (!differentiable) {
    torch::NoGradGuard no_grad;
    return proto_loss(fast, e.support, e.query, e.query_labels, ways);
  }
  return proto_loss(fast, e.support, e.query, e.query_labels, ways);
}

Params meta_gradient_autodiff(const Params& theta, const data::Episode& e, int64_t ways, const InnerLoopOptions& o) {
  Params leaves;
  for (const auto& w : theta) leaves.push_back(w.detach().requires_grad_(true));
  auto loss = inner_loop_loss(leaves, e, ways, o, /*differentiable=*/true);
  return torch::autograd::grad({loss}, leaves);
}

Params meta_gradient_es(const Params& theta, const data::Episode& e, int64_t ways, const InnerLoopOptions& o,
                        int64_t pairs, double sigma, uint64_t seed) {
  return es::estimate_gradient(
      theta, [&](const Params& point) { return inner_loop_loss(point, e, ways, o, false).item<double>(); }, mix64(seed),
      0, {pairs, sigma, "raw"});
}

}  // namespace metaevo::meta
