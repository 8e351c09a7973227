#include "metaevo/models/zoo.h"

#include "metaevo/models/init.h"

namespace metaevo::models {

void ModelOptions::validate() const {
  require(type == "mlp" || type == "cnn", "type", "must be mlp or cnn, got '{}'", type);
  require(activation == "relu" || activation == "tanh", "activation", "must be relu or tanh, got '{}'", activation);
  for (auto h : hidden) require(h > 0, "hidden", "widths must be > 0, got {}", h);
  for (auto c : channels) require(c > 0, "channels", "must be > 0, got {}", c);
  require(input_pool >= 1, "input_pool", "must be >= 1, got {}", input_pool);
  require(type != "cnn" || !channels.empty(), "channels", "a cnn needs at least one conv block");
}

void append_mlp(torch::nn::Sequential& net, const std::vector<int64_t>& sizes, const std::string& activation,
                double dropout, const at::Generator& generator) {
  METAEVO_CHECK(sizes.size() >= 2, "an MLP needs an input and an output width, got {} widths", sizes.size());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
    if (i + 2 == sizes.size()) break;
    if (activation == "tanh")
      net->push_back(torch::nn::Tanh());
    else
      net->push_back(torch::nn::ReLU());
    if (dropout > 0) net->push_back(Dropout(dropout, generator));
  }
}

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
  init_parameters(*net, seed);
  return net;
}

torch::nn::Sequential make_classifier(const ModelOptions& o, std::vector<int64_t> input, int64_t classes,
                                      uint64_t seed) {
  o.validate();
  torch::nn::Sequential net;
  auto activation = [&] {
    if (o.activation == "tanh")
      net->push_back(torch::nn::Tanh());
    else
      net->push_back(torch::nn::ReLU());
  };
  int64_t c = input.at(0), h = input.at(1), w = input.at(2);
  if (o.input_pool > 1) {
    METAEVO_CHECK(h >= o.input_pool && w >= o.input_pool, "model: input_pool {} is larger than the {}x{} input",
                  o.input_pool, h, w);
    net->push_back(torch::nn::AvgPool2d(o.input_pool));
    h /= o.input_pool;
    w /= o.input_pool;
  }
  if (o.type == "cnn") {
    for (auto out : o.channels) {
      net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(c, out, 5).padding(2)));
      activation();
      net->push_back(torch::nn::MaxPool2d(2));
      c = out;
      h /= 2;
      w /= 2;
    }
    net->push_back(torch::nn::Flatten());
    net->push_back(torch::nn::Linear(c * h * w, classes));
    init_parameters(*net, seed);
    return net;
  }
  net->push_back(torch::nn::Flatten());
  std::vector<int64_t> sizes{c * h * w};
  sizes.insert(sizes.end(), o.hidden.begin(), o.hidden.end());
  sizes.push_back(classes);
  append_mlp(net, sizes, o.activation);
  init_parameters(*net, seed);
  return net;
}

}  // namespace metaevo::models
