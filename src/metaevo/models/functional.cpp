#include "metaevo/models/functional.h"

#include <torch/version.h>

#include "metaevo/core/error.h"

namespace metaevo::models {

std::vector<int64_t> conv_padding(const torch::nn::detail::ConvNdOptions<2>& o) {
  auto explicit_padding = [](const auto& p) -> std::vector<int64_t> {
    using P = std::decay_t<decltype(p)>;
    if constexpr (std::is_same_v<P, torch::ExpandingArray<2>>)
      return {(*p)[0], (*p)[1]};
    else if constexpr (std::is_same_v<P, torch::enumtype::kValid>)
      return {0, 0};
    else
      fail("Conv2d with padding 'same' is not supported here");
  };
#if TORCH_VERSION_MAJOR >= 2
  return std::visit(explicit_padding, o.padding());
#else
  return c10::visit(explicit_padding, o.padding());
#endif
}

torch::Tensor functional_forward(torch::nn::Sequential net, const torch::Tensor& x,
                                 const std::vector<torch::Tensor>& params) {
  namespace F = torch::nn::functional;
  size_t next = 0;
  auto take = [&](bool present) {
    if (!present) return torch::Tensor();
    METAEVO_CHECK(next < params.size(), "functional forward: the network has more than {} parameter tensors",
                  params.size());
    return params[next++];
  };
  auto h = x;
  for (auto& layer : *net) {
    const auto module = layer.ptr();
    if (auto lin = std::dynamic_pointer_cast<torch::nn::LinearImpl>(module)) {
      const auto w = take(true);
      h = F::linear(h, w, take(lin->options.bias()));
    } else if (auto conv = std::dynamic_pointer_cast<torch::nn::Conv2dImpl>(module)) {
      const auto& o = conv->options;
      const auto w = take(true);
      h = torch::conv2d(h, w, take(o.bias()), o.stride(), conv_padding(o), o.dilation(), o.groups());
    } else if (auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(module)) {
      const auto w = take(bn->options.affine()), b = take(bn->options.affine());
      h = F::batch_norm(h, torch::Tensor(), torch::Tensor(),
                        F::BatchNormFuncOptions().weight(w).bias(b).training(true).eps(bn->options.eps()));
    } else {
      METAEVO_CHECK(module->parameters().empty(), "functional forward: unsupported layer '{}'", module->name());
      h = layer.forward(h);
    }
  }
  METAEVO_CHECK(next == params.size(), "functional forward: the network has {} parameter tensors, got {}", next,
                params.size());
  return h;
}

}  // namespace metaevo::models
