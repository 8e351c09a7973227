// `program.type: gumbel_matrix` (Maziarz et al., "Flexible Multi-task Networks by Learning
// Parameter Allocation"): every routed layer holds a tasks x components matrix of two-way logits
// (connected or not), initialised to log[p, 1-p]. Each task update samples its row by the
// straight-through Gumbel-softmax at temperature max(t_min, t0 / sqrt(update + 1)) and trains the
// weights (Adam, lr) and the logits (a second Adam, router_lr) together; evaluation connects
// greedily. `allocation` picks the baselines at the same budget: full_sharing (every task uses
// every component, task heads) and no_sharing (one network per task, with as many parameters in
// all as the shared one: see separate_filters).
#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/options.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/random_stream.h"
#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/data/batches.h"
#include "metaevo/routing/gumbel.h"
#include "metaevo/routing/program.h"
#include "metaevo/routing/routed_net.h"

namespace metaevo::routing {
namespace {

struct GumbelMatrixOptions {
  std::string allocation = "learned";
  int64_t batch_size = 16;
  double lr = 1e-4;
  double router_lr = 2e-3;
  double l2 = 3e-4;
  double probs_init = 0.97;
  double temperature_init = 50;
  double temperature_min = 0.5;
  double budget = 1.0;
  double budget_penalty = 0;
  int64_t separate_filters = 0;
  std::string device = "cpu";
  template <class V>
  void visit(V& v) {
    v("allocation", allocation, "learned (Gumbel-Matrix) | full_sharing | no_sharing");
    v("batch_size", batch_size, "examples per task update");
    v("lr", lr, "Adam learning rate of the weights");
    v("router_lr", router_lr, "Adam learning rate of the allocation logits");
    v("l2", l2, "L2 penalty (sum of squares / 2) on every weight but biases and logits");
    v("probs_init", probs_init, "initial connection probability, within (0, 1)");
    v("temperature_init", temperature_init, "t0 of the temperature max(t_min, t0 / sqrt(update + 1))");
    v("temperature_min", temperature_min, "t_min, > 0");
    v("budget", budget, "fraction of the components a task may expect to use before the penalty");
    v("budget_penalty", budget_penalty, "weight of the penalty on a task's expected fraction over budget (0 = off)");
    v("separate_filters", separate_filters,
      "no_sharing: filters of each task's network (0 = the fewest, in multiples of net.groups, whose "
      "networks hold at least the shared network's parameters)");
    v("device", device, "cpu | cuda[:N]");
  }
  void validate() const {
    require(allocation == "learned" || allocation == "full_sharing" || allocation == "no_sharing", "allocation",
            "must be learned, full_sharing or no_sharing, got '{}'", allocation);
    require(batch_size >= 1, "batch_size", "must be >= 1, got {}", batch_size);
    require(lr > 0, "lr", "must be > 0, got {}", lr);
    require(router_lr > 0, "router_lr", "must be > 0, got {}", router_lr);
    require(l2 >= 0, "l2", "must be >= 0, got {}", l2);
    require(probs_init > 0 && probs_init < 1, "probs_init", "must be within (0, 1), got {}", probs_init);
    require(temperature_init > 0, "temperature_init", "must be > 0, got {}", temperature_init);
    require(temperature_min > 0, "temperature_min", "must be > 0, got {}", temperature_min);
    require(budget > 0 && budget <= 1, "budget", "must be within (0, 1], got {}", budget);
    require(budget_penalty >= 0, "budget_penalty", "must be >= 0, got {}", budget_penalty);
    require(separate_filters >= 0, "separate_filters", "must be >= 0 (0 = matched), got {}", separate_filters);
    require_device(device);
  }
};

constexpr int64_t kEvalBatch = 256;

class GumbelMatrix : public Program {
 public:
  GumbelMatrix(const Config& program, uint64_t seed)
      : o_(read_options<GumbelMatrixOptions>(program)),
        net_(read_options<RoutedNetOptions>(program.section("net"))),
        where_(program.origin() + ": " + program.path("separate_filters")),
        seed_(seed),
        device_(parse_device(o_.device)) {}

  void build(const std::vector<data::Splits>& tasks) override {
    METAEVO_CHECK(!tasks.empty() && nets_.empty(), "gumbel_matrix: build once, over at least one task");
    const auto& x = tasks.front().train.x;
    for (const auto& t : tasks) {
      METAEVO_CHECK(t.train.x.dim() == 4 && t.train.x.sizes().slice(1) == x.sizes().slice(1),
                    "{} has examples {}, {} has {}: routed tasks take images of one shape", t.name,
                    c10::str(t.train.x.sizes().slice(1)), tasks.front().name, c10::str(x.sizes().slice(1)));
      tasks_.push_back(t.to(device_));
      batches_.emplace_back(t.train.size(), o_.batch_size,
                            mix64(mix64(seed_, hash64("route/batches")), uint64_t(batches_.size())));
      classes_.push_back(t.classes);
    }
    const int64_t channels = x.size(1), side = x.size(2);
    const auto net_seed = mix64(seed_, hash64("route/init"));
    if (separate()) {
      auto per_task = net_;
      per_task.filters = o_.separate_filters ? o_.separate_filters : matched_filters(channels, side);
      with_context(where_, [&] { per_task.validate(); });
      for (size_t t = 0; t < tasks_.size(); ++t)
        nets_.push_back(RoutedNet(per_task, channels, side, std::vector<int64_t>{classes_[t]}, mix64(net_seed, t)));
    } else {
      nets_.push_back(RoutedNet(net_, channels, side, classes_, net_seed));
    }
    for (auto& net : nets_) {
      net->to(device_);
      for (const auto& p : net->parameters()) weights_.push_back(p);
    }
    model_opt_ = std::make_unique<torch::optim::Adam>(weights_, torch::optim::AdamOptions(o_.lr));
    if (learned()) {
      const auto init =
          torch::tensor({std::log(o_.probs_init), std::log(1 - o_.probs_init)}, torch::kFloat32).to(device_);
      for (int64_t l = 0; l < net_.layers; ++l)
        logits_.push_back(
            init.repeat({int64_t(tasks_.size()), int64_t(net_.components.size()), 1}).set_requires_grad(true));
      router_opt_ = std::make_unique<torch::optim::Adam>(logits_, torch::optim::AdamOptions(o_.router_lr));
    }
  }

  double train_step() override {
    RandomStream order(mix64(seed_, hash64("route/order")), uint32_t(step_), uint32_t(uint64_t(step_) >> 32));
    double loss = 0;
    for (const auto t : permutation(int64_t(tasks_.size()), order)) loss += update(t);
    ++step_;
    return loss / double(tasks_.size());
  }

  int64_t step() const override { return step_; }

  std::vector<double> evaluate(const std::string& split) override {
    METAEVO_CHECK(split == "valid" || split == "test", "gumbel_matrix: no split '{}' (valid, test)", split);
    torch::NoGradGuard no_grad;
    std::vector<double> out;
    for (size_t t = 0; t < tasks_.size(); ++t) {
      const auto& s = split == "test" ? tasks_[t].test : tasks_[t].valid;
      const auto allocation = connections(int64_t(t), nullptr);
      out.push_back(accuracy(
          s, [&](const torch::Tensor& x) { return net(t)->forward(x, allocation, head(t)); }, kEvalBatch));
    }
    return out;
  }

  nlohmann::json state() const override {
    nlohmann::json out = nlohmann::json::object();
    if (learned()) {
      out["temperature"] = temperature(o_.temperature_init, o_.temperature_min, update_);
      double on = 0, all = 0;
      for (const auto& l : logits_) on += greedy(l).sum().item<double>(), all += double(l.size(0) * l.size(1));
      out["connected"] = on / all;  // the fraction of (task, component) pairs evaluation connects
    }
    return out;
  }

  nlohmann::json allocation() const override {
    if (!learned()) return nullptr;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : logits_) {
      const auto p = torch::softmax(l.detach(), -1).select(-1, 0).to(torch::kCPU).contiguous();
      nlohmann::json layer = nlohmann::json::array();
      for (int64_t t = 0; t < p.size(0); ++t) {
        const auto row = p[t];
        layer.push_back(std::vector<float>(row.data_ptr<float>(), row.data_ptr<float>() + row.numel()));
      }
      out.push_back(layer);
    }
    return {{"components", net_.components}, {"layers", out}, {"measure", "P(connected)"}};
  }

  int64_t parameter_count() const override {
    int64_t n = 0;
    for (const auto& net : nets_) n += net->parameter_count();
    return n;
  }

  void save(torch::serialize::OutputArchive& archive) const override {
    write_scalar(archive, "step", double(step_));
    write_scalar(archive, "updates", double(update_));
    for (size_t i = 0; i < nets_.size(); ++i) {
      torch::serialize::OutputArchive net;
      nets_[i]->save(net);
      archive.write(fmt::format("net{}", i), net);
    }
    torch::serialize::OutputArchive model_opt;
    model_opt_->save(model_opt);
    archive.write("model_optimizer", model_opt);
    if (!learned()) return;
    for (size_t l = 0; l < logits_.size(); ++l) archive.write(fmt::format("logits{}", l), logits_[l].detach());
    torch::serialize::OutputArchive router_opt;
    router_opt_->save(router_opt);
    archive.write("router_optimizer", router_opt);
  }

  void load(torch::serialize::InputArchive& archive) override {
    step_ = int64_t(read_scalar(archive, "step"));
    update_ = int64_t(read_scalar(archive, "updates"));
    for (size_t i = 0; i < nets_.size(); ++i) {
      torch::serialize::InputArchive net;
      archive.read(fmt::format("net{}", i), net);
      nets_[i]->load(net);
    }
    torch::serialize::InputArchive model_opt;
    archive.read("model_optimizer", model_opt);
    model_opt_->load(model_opt);
    if (!learned()) return;
    for (size_t l = 0; l < logits_.size(); ++l) {
      // In place: the router's optimizer holds these tensors.
      torch::NoGradGuard no_grad;
      auto value = logits_[l].detach();
      read_tensor(archive, fmt::format("logits{}", l), value);
      logits_[l].copy_(value);
    }
    torch::serialize::InputArchive router_opt;
    archive.read("router_optimizer", router_opt);
    router_opt_->load(router_opt);
  }

 private:
  bool learned() const { return o_.allocation == "learned"; }
  bool separate() const { return o_.allocation == "no_sharing"; }
  RoutedNet& net(size_t task) { return nets_[separate() ? task : 0]; }
  int64_t head(size_t task) const { return separate() ? 0 : int64_t(task); }

  /// Task `task`'s weights per routed layer: straight-through samples drawing on `noise` in
  /// training, the greedy choice without; all ones for a fixed allocation.
  std::vector<torch::Tensor> connections(int64_t task, const at::Generator* noise) const {
    std::vector<torch::Tensor> out;
    const auto components = int64_t(net_.components.size());
    for (int64_t l = 0; l < net_.layers; ++l) {
      if (!learned()) {
        out.push_back(torch::ones({components}, torch::TensorOptions(device_)));
      } else if (!noise) {
        out.push_back(greedy(logits_[size_t(l)][task]));
      } else {
        const auto tau = temperature(o_.temperature_init, o_.temperature_min, update_);
        out.push_back(
            straight_through(logits_[size_t(l)][task], gumbel_noise({components, 2}, *noise).to(device_), tau));
      }
    }
    return out;
  }

  /// One optimizer step on a batch of `task`; returns its cross-entropy.
  double update(int64_t task) {
    const auto t = size_t(task);
    // Noise, then dropout, from one stream per update: a resumed run redraws both.
    auto generator = torch_generator(mix64(mix64(seed_, hash64("route/noise")), uint64_t(update_)));
    const auto allocation = connections(task, &generator);
    const auto batch = tasks_[t].train.rows(batches_[t].indices(step_).to(device_));
    const auto cross_entropy =
        torch::nn::functional::cross_entropy(net(t)->forward(batch.x, allocation, head(t), &generator), batch.y);
    auto loss = cross_entropy;
    if (o_.l2 > 0) {
      torch::Tensor squares;
      for (const auto& w : net(t)->weights()) squares = squares.defined() ? squares + w.pow(2).sum() : w.pow(2).sum();
      loss = loss + o_.l2 / 2 * squares;
    }
    if (learned() && o_.budget_penalty > 0) {
      // The expected fraction of all routed components the task connects, over budget.
      torch::Tensor expected;
      for (const auto& l : logits_) {
        const auto p = torch::softmax(l[task], -1).select(-1, 0).sum();
        expected = expected.defined() ? expected + p : p;
      }
      const auto fraction = expected / double(net_.layers * int64_t(net_.components.size()));
      loss = loss + o_.budget_penalty * torch::relu(fraction - o_.budget);
    }
    clear_grads(weights_);
    if (learned()) clear_grads(logits_);
    loss.backward();
    model_opt_->step();
    if (learned()) router_opt_->step();
    ++update_;
    return cross_entropy.item<double>();
  }

  /// The fewest filters (a multiple of net.groups) whose per-task networks hold, in all, at least
  /// as many parameters as the shared network: no_sharing then has no fewer parameters than the
  /// methods it is compared with.
  int64_t matched_filters(int64_t channels, int64_t side) const {
    const int64_t shared = RoutedNet(net_, channels, side, classes_, 0)->parameter_count();
    for (int64_t filters = net_.groups;; filters += net_.groups) {
      auto per_task = net_;
      per_task.filters = filters;
      int64_t total = 0;
      for (const auto c : classes_)
        total += RoutedNet(per_task, channels, side, std::vector<int64_t>{c}, 0)->parameter_count();
      if (total >= shared) return filters;
    }
  }

  GumbelMatrixOptions o_;
  RoutedNetOptions net_;
  std::string where_;  // the separate_filters key, for its error
  uint64_t seed_;
  torch::Device device_;
  std::vector<data::Splits> tasks_;
  std::vector<data::Batches> batches_;
  std::vector<int64_t> classes_;
  std::vector<RoutedNet> nets_;
  std::vector<torch::Tensor> weights_;  // every network's parameters
  std::vector<torch::Tensor> logits_;   // per routed layer, [tasks, components, 2]
  std::unique_ptr<torch::optim::Adam> model_opt_, router_opt_;
  int64_t step_ = 0, update_ = 0;
};

const Registrar<ProgramRegistry> gumbel_matrix_registration(
    "gumbel_matrix", [](const Config& program, uint64_t seed) { return std::make_unique<GumbelMatrix>(program, seed); },
    variant_doc<GumbelMatrixOptions>(
        "Gumbel-Matrix routing (Maziarz et al. 2019) and its full- and no-sharing baselines; `net` holds the "
        "routed network's settings"));

}  // namespace
}  // namespace metaevo::routing
