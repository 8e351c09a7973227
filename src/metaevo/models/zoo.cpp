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
  int64_t width = c * h * w;
  for (auto out : o.hidden) {
    net->push_back(torch::nn::Linear(width, out));
    activation();
    width = out;
  }
  net->push_back(torch::nn::Linear(width, classes));
  init_parameters(*net, seed);
  return net;
}

}  // namespace metaevo::models
