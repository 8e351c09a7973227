#include "metaevo/meta/protonet.h"

#include "metaevo/core/error.h"
#include "metaevo/models/init.h"

namespace metaevo::meta {

torch::nn::Sequential make_conv4(int64_t in_channels, int64_t channels, uint64_t seed) {
  torch::nn::Sequential net;
  for (int64_t block = 0; block < 4; ++block) {
    net->push_back(
        torch::nn::Conv2d(torch::nn::Conv2dOptions(block == 0 ? in_channels : channels, channels, 3).padding(1)));
    net->push_back(torch::nn::BatchNorm2d(channels));
    net->push_back(torch::nn::ReLU());
    net->push_back(torch::nn::MaxPool2d(2));
  }
  net->push_back(torch::nn::Flatten());
  models::init_parameters(*net, seed);
  return net;
}

torch::Tensor prototypes(const torch::Tensor& support, int64_t ways) {
  const int64_t rows = support.size(-2), dim = support.size(-1);
  METAEVO_CHECK(ways >= 1 && rows % ways == 0, "prototypes: {} support rows do not split into {} classes", rows, ways);
  auto shape = support.sizes().vec();
  shape.back() = dim;
  shape[shape.size() - 2] = rows / ways;
  shape.insert(shape.end() - 2, ways);
  return support.reshape(shape).mean(-2);
}

torch::Tensor proto_logits(const torch::Tensor& query, const torch::Tensor& prototypes) {
  return -(query.unsqueeze(-2) - prototypes.unsqueeze(-3)).pow(2).sum(-1);
}

}  // namespace metaevo::meta
