// ES on a LibTorch module of your own: OpenAI-ES trains a small MLP on a 2-D XOR task without
// gradients. PopulationForward runs the whole population's forward pass as batched tensor work
// (never building a member's weights), so the fitness of 64 networks costs a few matrix products.
// Exits 1 unless the trained network classifies 90% of held-out points.
#include <metaevo/metaevo.h>

#include <iostream>

namespace es = metaevo::es;
namespace models = metaevo::models;

/// Points in [-1, 1]^2, labelled 1 where x0 * x1 > 0.
std::pair<torch::Tensor, torch::Tensor> xor_points(int64_t n) {
  auto x = torch::rand({n, 2}) * 2 - 1;
  return {x, (x.select(1, 0) * x.select(1, 1) > 0).to(torch::kLong)};
}

class XorFit : public es::Problem {
 public:
  explicit XorFit(torch::nn::Sequential net) : net_(std::move(net)) { std::tie(x_, y_) = xor_points(512); }
  models::Layout layout() const override { return models::parameter_layout(*net_); }
  torch::Tensor initial() const override { return models::flatten_parameters(*net_); }
  es::Sense sense() const override { return es::Sense::kMaximize; }
  /// Minus the cross-entropy of each member on the training points.
  torch::Tensor evaluate(const es::Population& pop, int64_t begin, int64_t end) override {
    const auto logits = es::PopulationForward(net_, pop, x_)(begin, end);  // [n, points, 2]
    const auto labels = y_.view({1, -1, 1}).expand({end - begin, -1, 1});
    return torch::log_softmax(logits, 2).gather(2, labels).squeeze(2).mean(1).to(torch::kFloat64);
  }

 private:
  torch::nn::Sequential net_;
  torch::Tensor x_, y_;
};

int main() {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Linear(2, 32), torch::nn::Tanh(), torch::nn::Linear(32, 2));
  XorFit problem(net);
  es::StrategyContext context{problem.layout(), problem.initial(), /*seed=*/3, problem.sense()};
  auto strategy = es::make_strategy(
      metaevo::Config::parse("{name: openai_es, population: 64, sigma: 0.1, optimizer: {name: adam, lr: 0.05}}",
                             "es_module"),
      context);
  es::DriverOptions options;
  options.generations = 300;
  options.log_every_s = 0;
  es::Driver driver(*strategy, problem, options);
  const auto result = driver.run();

  models::load_flat_parameters(*net, result.center);
  const auto [x, y] = xor_points(2000);
  torch::NoGradGuard no_grad;
  const double accuracy = (net->forward(x).argmax(1) == y).to(torch::kFloat64).mean().item<double>();
  std::cout << result.state.generation << " generations: held-out accuracy " << accuracy << "\n";
  return accuracy >= 0.9 ? 0 : 1;
}
