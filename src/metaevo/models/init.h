#pragma once
// Initial weights from the run seed alone: LibTorch's default initialisation of linear and
// convolution layers (weights and biases uniform in +-1/sqrt(fan_in), what kaiming_uniform with
// a = sqrt(5) gives), drawn from Philox streams keyed by (seed, parameter name) instead of the
// global generator. Building a model then changes no other draw, and the weights are the same on
// every device and thread count.
#include <torch/torch.h>

#include <cstdint>

namespace metaevo::models {

/// Re-initialises every parameter of `module` with 2+ dimensions (and the bias beside it) as above;
/// normalisation layers keep their ones and zeros.
void init_parameters(torch::nn::Module& module, uint64_t seed);

/// Dropout whose masks come from an explicit generator (core/random_stream.h torch_generator),
/// which its owner reseeds from the run's streams; identical to torch::nn::Dropout otherwise.
class DropoutImpl : public torch::nn::Module {
 public:
  DropoutImpl(double p, at::Generator generator) : p_(p), generator_(std::move(generator)) {}
  torch::Tensor forward(const torch::Tensor& x);

 private:
  double p_;
  at::Generator generator_;
};
TORCH_MODULE(Dropout);

}  // namespace metaevo::models
