// What bench/python_bindings.py compares a Python fitness with: the same MLP fitness written in
// C++, called from Python or run by the driver with no Python in the loop.
#include "bridge.h"
#include "metaevo/core/runtime.h"
#include "metaevo/es/driver.h"

namespace metaevo::python {
namespace {

/// Mean cross-entropy of each member's MLP (layers [784, hidden, 10], ReLU; parameters in
/// nn.Sequential order) on the common batch (x, y), as minus the fitness to maximise: [P] float64.
torch::Tensor mlp_fitness(const torch::Tensor& members, const torch::Tensor& x, const torch::Tensor& y,
                          int64_t hidden) {
  const auto p = members.size(0), in = x.size(1);
  const auto parts = members.split_with_sizes({hidden * in, hidden, 10 * hidden, 10}, 1);
  const auto w1 = parts[0].view({p, hidden, in}), w2 = parts[2].view({p, 10, hidden});
  const auto &b1 = parts[1], &b2 = parts[3];
  const auto h = torch::relu(torch::baddbmm(b1.unsqueeze(1), x.expand({p, -1, -1}), w1.transpose(1, 2)));
  const auto logits = torch::baddbmm(b2.unsqueeze(1), h, w2.transpose(1, 2));
  const auto loss =
      torch::nn::functional::cross_entropy(logits.reshape({-1, 10}), y.repeat({p}),
                                           torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  return -loss.view({p, -1}).mean(1).to(torch::kFloat64);
}

/// The same problem as a C++ es::Problem: batch number g of `batches` at generation g.
class MlpProblem : public es::Problem {
 public:
  MlpProblem(torch::Tensor x0, torch::Tensor xs, torch::Tensor ys, int64_t hidden)
      : x0_(std::move(x0)), xs_(std::move(xs)), ys_(std::move(ys)), hidden_(hidden) {}
  models::Layout layout() const override { return models::Layout::flat(x0_.numel()); }
  torch::Tensor initial() const override { return x0_; }
  es::Sense sense() const override { return es::Sense::kMaximize; }
  torch::Tensor evaluate(const es::Population& pop, int64_t begin, int64_t end) override {
    const auto g = pop.generation % xs_.size(0);
    return mlp_fitness(pop.members(begin, end), xs_[g], ys_[g], hidden_);
  }

 private:
  torch::Tensor x0_, xs_, ys_;
  int64_t hidden_;
};

}  // namespace

void bind_bench(py::module_& m) {
  m.def("_bench_mlp_fitness", &mlp_fitness, py::arg("members"), py::arg("x"), py::arg("y"), py::arg("hidden"),
        py::call_guard<py::gil_scoped_release>());
  m.def(
      "_bench_optimize_native",
      [](const std::string& settings, const torch::Tensor& x0, uint64_t seed, const torch::Tensor& xs,
         const torch::Tensor& ys, int64_t hidden, int64_t generations) {
        py::gil_scoped_release release;
        configure_allocator();
        es::StrategyContext context{models::Layout::flat(x0.numel()), x0, seed, es::Sense::kMaximize};
        auto strategy = es::make_strategy(Config::parse(settings, "bench"), context);
        MlpProblem problem(x0, xs, ys, hidden);
        es::DriverOptions options;
        options.generations = generations;
        options.log_every_s = 0;
        es::Driver driver(*strategy, problem, options);
        const auto result = driver.run();
        return std::make_pair(result.state.elapsed_s, result.center);
      },
      "(seconds, center) of `generations` of the driver on the C++ MLP problem, no Python in the loop.");
}

}  // namespace metaevo::python
