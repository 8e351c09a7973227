#pragma once
// The fixed-capacity network of a routing network (Collier et al., "Routing Networks with
// Co-training for Continual Learning"): `hidden` layers of `experts` experts each (an expert is
// Linear + ReLU of `width` units), then an output layer of `experts` linear experts (the class
// logits); every input goes through exactly one expert per layer, chosen by that layer's router
// (a linear map of the layer's input, detached, to one logit per expert). The output layer is routed too,
// so a task whose inputs keep to their own experts shares no weight with the others. Only the
// chosen expert computes on an input, so an expert nobody is routed to receives no gradient. One
// expert per layer and no router is the dense network the baselines use.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace metaevo::routing {

/// Per layer (the output layer last), the expert each input took (int64 [N]).
using Route = std::vector<torch::Tensor>;

/// How the routers choose in one forward pass.
struct Routing {
  /// Training: the choice is argmax(logits + Gumbel noise from here); the chosen expert's output is
  /// scaled by the straight-through gate (p - stop_gradient(p)) + 1, p its probability under
  /// softmax((logits + noise) / temperature), so the router learns from the expert it picked.
  /// Null: the greedy argmax(logits), gate 1 (evaluation).
  at::Generator* noise = nullptr;
  double temperature = 1;
  /// When set, these experts instead of the routers' (gate 1, no router gradient).
  const Route* forced = nullptr;
  /// When set, receives the experts taken.
  Route* taken = nullptr;
  /// When set, receives every layer's router logits [N, experts], before noise (none when forced).
  std::vector<torch::Tensor>* logits = nullptr;
};

class ExpertNetImpl : public torch::nn::Module {
 public:
  /// Inputs of `inputs` features (images are flattened); `experts` 1 builds no routers.
  ExpertNetImpl(int64_t inputs, int64_t hidden, int64_t experts, int64_t width, int64_t classes, uint64_t seed);
  /// Logits [N, classes] of x [N, ...].
  torch::Tensor forward(const torch::Tensor& x, const Routing& routing = {});
  /// Routed layers: the hidden ones and the output layer.
  int64_t layers() const { return int64_t(experts_.size()); }
  int64_t experts() const { return int64_t(experts_.front().size()); }
  /// The parameters of expert `expert` of layer `layer`.
  std::vector<torch::Tensor> expert_parameters(int64_t layer, int64_t expert) const;
  /// The routers' parameters (none with one expert), then the experts'.
  std::vector<torch::Tensor> router_parameters() const;
  std::vector<torch::Tensor> weights() const;
  /// Every parameter (experts and routers).
  int64_t parameter_count() const;

 private:
  std::vector<std::vector<torch::nn::Linear>> experts_;  // [layer][expert]
  std::vector<torch::nn::Linear> routers_;               // per layer; none with one expert
  torch::nn::Linear head_{nullptr};
  int64_t width_;
};
TORCH_MODULE(ExpertNet);

}  // namespace metaevo::routing
