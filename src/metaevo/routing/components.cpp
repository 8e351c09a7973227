// The seven component types of the Omniglot model of Gumbel-Matrix routing (Maziarz et al.): two
// stacked convolutions (3x3, 5x5, 7x7, or 1x7 then 7x1), each followed by GroupNorm and ReLU; 3x3
// max and average pooling; and identity. At a downsampling layer the first convolution, the
// pooling and the identity (every other pixel) take stride 2, with 'same' padding, so all seven
// give the same output size.
#include <torch/torch.h>

#include "metaevo/routing/component.h"

namespace metaevo::routing {
namespace {

namespace F = torch::nn::functional;

class ConvPair : public Component {
 public:
  // (height, width) of the first and second kernels.
  ConvPair(const ComponentShape& shape, std::array<int64_t, 2> first, std::array<int64_t, 2> second) {
    auto conv = [&](std::array<int64_t, 2> k, int64_t stride) {
      // No bias: the GroupNorm after it would cancel one.
      return torch::nn::Conv2d(torch::nn::Conv2dOptions(shape.filters, shape.filters, {k[0], k[1]})
                                   .stride(stride)
                                   .padding({k[0] / 2, k[1] / 2})
                                   .bias(false));
    };
    conv1_ = register_module("conv1", conv(first, shape.stride));
    norm1_ = register_module("norm1", torch::nn::GroupNorm(shape.groups, shape.filters));
    conv2_ = register_module("conv2", conv(second, 1));
    norm2_ = register_module("norm2", torch::nn::GroupNorm(shape.groups, shape.filters));
  }
  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::relu(norm2_(conv2_(torch::relu(norm1_(conv1_(x))))));
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::GroupNorm norm1_{nullptr}, norm2_{nullptr};
};

class Pool : public Component {
 public:
  Pool(const ComponentShape& shape, bool max) : stride_(shape.stride), max_(max) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    if (max_) return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(stride_).padding(1));
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(stride_).padding(1).count_include_pad(false));
  }

 private:
  int64_t stride_;
  bool max_;
};

class Identity : public Component {
 public:
  explicit Identity(const ComponentShape& shape) : stride_(shape.stride) {}
  torch::Tensor forward(const torch::Tensor& x) override {
    if (stride_ == 1) return x;
    using torch::indexing::Slice;
    return x.index(
        {Slice(), Slice(), Slice(0, torch::indexing::None, stride_), Slice(0, torch::indexing::None, stride_)});
  }

 private:
  int64_t stride_;
};

template <int64_t H1, int64_t W1, int64_t H2, int64_t W2>
std::unique_ptr<Component> conv_pair(const ComponentShape& shape) {
  return std::make_unique<ConvPair>(shape, std::array<int64_t, 2>{H1, W1}, std::array<int64_t, 2>{H2, W2});
}

const Registrar<ComponentRegistry> conv3_registration("conv3x3", conv_pair<3, 3, 3, 3>,
                                                      {"two 3x3 convolutions, GroupNorm and ReLU after each", {}});
const Registrar<ComponentRegistry> conv5_registration("conv5x5", conv_pair<5, 5, 5, 5>,
                                                      {"two 5x5 convolutions, GroupNorm and ReLU after each", {}});
const Registrar<ComponentRegistry> conv7_registration("conv7x7", conv_pair<7, 7, 7, 7>,
                                                      {"two 7x7 convolutions, GroupNorm and ReLU after each", {}});
const Registrar<ComponentRegistry> conv17_registration("conv1x7", conv_pair<1, 7, 7, 1>,
                                                       {"a 1x7 then a 7x1 convolution, GroupNorm and ReLU after each",
                                                        {}});
const Registrar<ComponentRegistry> max_registration(
    "maxpool3x3", [](const ComponentShape& s) { return std::make_unique<Pool>(s, true); }, {"3x3 max pooling", {}});
const Registrar<ComponentRegistry> avg_registration("avgpool3x3",
                                                    [](const ComponentShape& s) {
                                                      return std::make_unique<Pool>(s, false);
                                                    },
                                                    {"3x3 average pooling (padding not counted)", {}});
const Registrar<ComponentRegistry> identity_registration("identity",
                                                         [](const ComponentShape& s) {
                                                           return std::make_unique<Identity>(s);
                                                         },
                                                         {"the input (every other pixel at stride 2)", {}});

}  // namespace
}  // namespace metaevo::routing
