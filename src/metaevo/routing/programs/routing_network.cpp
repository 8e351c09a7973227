// `program.type: routing_network` (Collier, Kokiopoulou, Gesmundo, Berent, "Routing Networks with
// Co-training for Continual Learning"). Only the paper's abstract is known to us, so the mechanism
// is our design, written down here and in the README before any result was recorded:
// - The network (routing/expert_net.h): per input, one expert per layer (the output layer
//   included), chosen by the layer's router; the straight-through Gumbel estimator (hard argmax of logits + Gumbel
//   noise forward, the chosen expert's softmax probability's gradient backward) trains the routers with the weights,
//   each with its own Adam. The output layer's experts map to the tasks' shared labels: the task is not an input, the
//   routers have to tell the tasks apart from the images.
// - Continual: the tasks arrive one after another; after each, `replay_per_task` of its training
//   examples (a seeded draw) join the episodic buffer, and every later step trains on a batch of the
//   current task plus `replay_batch` examples drawn uniformly from the buffer. A replayed input
//   keeps its route (`keep_routes`): the routes evaluation gave it as its task ended are stored
//   with it and taught to the routers (cross-entropy on their logits), since the routers are
//   shared and would otherwise drift to send old tasks' inputs to the newer tasks' experts.
//   Replayed inputs train only the experts the current task trains in the step
//   (`replay_trains: shared`, see rehearse_only; added after the first recorded comparison).
// - Co-training: when a task arrives, the experts no earlier task claimed (took at least `claim` of
//   that task's training inputs at their layer) are poorly initialised for it, and a router that
//   has settled on trained experts never tries them: every task then lands on the same experts and
//   overwrites what the earlier ones learned there. For the task's first `cotrain_steps` steps,
//   each of its inputs goes down a second path through every layer's candidate, the layer's first
//   unclaimed expert (its routed choice where all are claimed), and that path's cross-entropy
//   replaces the routed path's in the loss: the new task trains the candidates, not the claimed
//   experts the routers happen to pick (replayed inputs still train along their routes). Each
//   router is taught (cross-entropy on its logits) to pick, input by input, the expert of
//   whichever path had the lower loss: the routers compare trained experts, and claimed experts
//   are left to their tasks. On the first task every expert is unclaimed. A candidate starts as a
//   copy of the expert the routers send most of the new task's inputs to (`candidate_init`, see
//   start_candidates; added after the first recorded comparison). The configs co-train
//   for the whole task (`cotrain_steps` = the task's steps), so that, while unclaimed experts
//   remain, a new task never trains a claimed one. `cotrain: false` is the ablation.
// `architecture` picks the baselines at the same steps, batches and replay: dense_parameters (one
// expert per layer, as wide as it takes to hold at least the routed network's parameters) and
// dense_compute (one expert per layer of the experts' width: the routed network's compute per
// input, but for its small routers).
#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/options.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/random_stream.h"
#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/data/batches.h"
#include "metaevo/routing/expert_net.h"
#include "metaevo/routing/program.h"

namespace metaevo::routing {
namespace {

struct RoutingNetworkOptions {
  std::string architecture = "routed";
  int64_t layers = 2;
  int64_t experts = 4;
  int64_t width = 64;
  int64_t batch_size = 32;
  int64_t replay_per_task = 100;
  int64_t replay_batch = 32;
  double lr = 1e-3;
  double router_lr = 1e-3;
  double temperature = 1;
  bool keep_routes = true;
  std::string replay_trains = "shared";
  bool cotrain = true;
  int64_t cotrain_steps = 100;
  std::string candidate_init = "routed";
  double claim = 0.1;
  std::string device = "cpu";
  template <class V>
  void visit(V& v) {
    v("architecture", architecture, "routed | dense_parameters | dense_compute (the baselines)");
    v("layers", layers, "hidden layers (the output layer is routed too)");
    v("experts", experts, "experts per layer (routed)");
    v("width", width, "units of an expert; dense_compute's layer width");
    v("batch_size", batch_size, "examples of the current task per step");
    v("replay_per_task", replay_per_task, "examples each finished task leaves in the episodic buffer");
    v("replay_batch", replay_batch, "buffer examples added to every step once the buffer holds any");
    v("lr", lr, "Adam learning rate of the experts and the head");
    v("router_lr", router_lr, "Adam learning rate of the routers");
    v("temperature", temperature, "of the soft sample behind the straight-through gradient, > 0");
    v("keep_routes", keep_routes, "teach the routers the routes replayed inputs took when their task ended");
    v("replay_trains", replay_trains,
      "shared: replayed inputs train only the experts the current task trains in that step; all: every expert "
      "they pass");
    v("cotrain", cotrain, "co-train the unclaimed experts on a new task's first steps");
    v("cotrain_steps", cotrain_steps, "steps of each task that co-train");
    v("candidate_init", candidate_init,
      "routed: a new task's candidate starts as a copy of the expert the routers send most of its inputs to; "
      "random: as initialised");
    v("claim", claim, "share of a task's inputs at which an expert belongs to it, within (0, 1]");
    v("device", device, "cpu | cuda[:N]");
  }
  void validate() const {
    require(architecture == "routed" || architecture == "dense_parameters" || architecture == "dense_compute",
            "architecture", "must be routed, dense_parameters or dense_compute, got '{}'", architecture);
    require(layers >= 0, "layers", "must be >= 0, got {}", layers);
    require(experts >= 2, "experts", "must be >= 2 (one expert is the dense network), got {}", experts);
    require(width >= 1, "width", "must be >= 1, got {}", width);
    require(batch_size >= 1, "batch_size", "must be >= 1, got {}", batch_size);
    require(replay_per_task >= 0, "replay_per_task", "must be >= 0, got {}", replay_per_task);
    require(replay_batch >= 0, "replay_batch", "must be >= 0, got {}", replay_batch);
    require((replay_per_task == 0) == (replay_batch == 0), "replay_batch",
            "must be 0 exactly when replay_per_task is (got {} and {})", replay_batch, replay_per_task);
    require(replay_trains == "shared" || replay_trains == "all", "replay_trains", "must be shared or all, got '{}'",
            replay_trains);
    require(candidate_init == "routed" || candidate_init == "random", "candidate_init",
            "must be routed or random, got '{}'", candidate_init);
    require(lr > 0, "lr", "must be > 0, got {}", lr);
    require(router_lr > 0, "router_lr", "must be > 0, got {}", router_lr);
    require(temperature > 0, "temperature", "must be > 0, got {}", temperature);
    require(cotrain_steps >= 0, "cotrain_steps", "must be >= 0, got {}", cotrain_steps);
    require(claim > 0 && claim <= 1, "claim", "must be within (0, 1], got {}", claim);
    require_device(device);
  }
};

constexpr int64_t kEvalRows = 1000;
constexpr int64_t kUsageExamples = 1000;  // inputs per task behind allocation() and start_candidates()

class RoutingNetwork : public Program {
 public:
  RoutingNetwork(const Config& program, uint64_t seed)
      : o_(read_options<RoutingNetworkOptions>(program)), seed_(seed), device_(parse_device(o_.device)) {}

  bool continual() const override { return true; }

  void build(const std::vector<data::Splits>& tasks) override {
    METAEVO_CHECK(!tasks.empty() && tasks_.empty(), "routing_network: build once, over at least one task");
    const auto& first = tasks.front();
    for (const auto& t : tasks) {
      METAEVO_CHECK(t.train.x.sizes().slice(1) == first.train.x.sizes().slice(1), "{} has examples {}, {} has {}",
                    t.name, c10::str(t.train.x.sizes().slice(1)), first.name, c10::str(first.train.x.sizes().slice(1)));
      METAEVO_CHECK(t.classes == first.classes,
                    "routing_network: the tasks must share their labels, but {} has {} classes and {} has {}", t.name,
                    t.classes, first.name, first.classes);
      METAEVO_CHECK(t.train.size() >= o_.replay_per_task,
                    "routing_network: replay_per_task {} exceeds {}'s {} training examples", o_.replay_per_task, t.name,
                    t.train.size());
      tasks_.push_back(t.to(device_));
      batches_.emplace_back(t.train.size(), o_.batch_size,
                            mix64(mix64(seed_, hash64("route/batches")), uint64_t(batches_.size())));
    }
    const auto inputs = first.train.x[0].numel();
    const auto net_seed = mix64(seed_, hash64("route/init"));
    const auto routed = [&] { return ExpertNet(inputs, o_.layers, o_.experts, o_.width, first.classes, net_seed); };
    if (o_.architecture == "routed") {
      net_ = routed();
    } else {
      int64_t width = o_.width;
      if (o_.architecture == "dense_parameters") {
        const auto target = routed()->parameter_count();
        while (ExpertNet(inputs, o_.layers, 1, width, first.classes, 0)->parameter_count() < target) ++width;
      }
      net_ = ExpertNet(inputs, o_.layers, 1, width, first.classes, net_seed);
    }
    net_->to(device_);
    weights_ = net_->weights();
    routers_ = net_->router_parameters();
    weight_opt_ = std::make_unique<torch::optim::Adam>(weights_, torch::optim::AdamOptions(o_.lr));
    if (!routers_.empty())
      router_opt_ = std::make_unique<torch::optim::Adam>(routers_, torch::optim::AdamOptions(o_.router_lr));
    usage_ = torch::zeros({net_->layers(), net_->experts()}, torch::kInt64);
    claimed_ = torch::zeros({net_->layers(), net_->experts()}, torch::kBool);
    replay_routes_ = torch::zeros({0, net_->layers()}, torch::kInt64);
  }

  void begin_task(int64_t task) override {
    METAEVO_CHECK(task == task_ + 1 && task < int64_t(tasks_.size()), "routing_network: task {} after task {} of {}",
                  task, task_, tasks_.size());
    if (task > 0) {
      // The finished task claims the experts that took at least `claim` of its inputs.
      const auto share = usage_.to(torch::kFloat64) / usage_.sum(1, true).clamp_min(1).to(torch::kFloat64);
      claimed_ = claimed_.logical_or(share.ge(o_.claim));
      usage_.zero_();
    }
    task_ = task;
    began_ = step_;
    if (task > 0 && routed() && o_.cotrain && o_.candidate_init == "routed") start_candidates();
    rebuild_replay();
    if (task > 0 && o_.replay_per_task > 0) {
      // The finished task's replayed inputs keep the routes evaluation gives them now.
      torch::NoGradGuard no_grad;
      Route taken;
      net_->forward(replay_.x.slice(0, replay_.size() - o_.replay_per_task), {nullptr, 1, nullptr, &taken});
      replay_routes_ = torch::cat({replay_routes_, torch::stack(taken, 1).cpu()});
    }
  }

  double train_step() override {
    METAEVO_CHECK(task_ >= 0, "routing_network: begin_task before training");
    // All of a step's randomness from one stream of (seed, step): a resumed run redraws it.
    auto generator = torch_generator(mix64(mix64(seed_, hash64("route/noise")), uint64_t(step_)));
    const auto& task = tasks_[size_t(task_)];
    const auto batch = task.train.rows(batches_[size_t(task_)].indices(step_ - began_).to(device_));
    auto x = batch.x, y = batch.y;
    torch::Tensor replayed_routes;  // [replay_batch, layers]
    if (replay_.size() > 0) {
      const auto rows = torch::randint(replay_.size(), {o_.replay_batch}, generator, torch::kInt64);
      x = torch::cat({x, replay_.x.index_select(0, rows.to(device_))});
      y = torch::cat({y, replay_.y.index_select(0, rows.to(device_))});
      replayed_routes = replay_routes_.index_select(0, rows).to(device_);
    }
    Route taken;
    std::vector<torch::Tensor> router_logits;
    const auto losses = torch::nn::functional::cross_entropy(
        net_->forward(x, {&generator, o_.temperature, nullptr, &taken, &router_logits}), y,
        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    const auto cross_entropy = losses.mean();
    const auto fresh = batch.size();
    // The experts the current task's inputs train in this step: the candidates while co-training
    // (the new task's inputs train them, not whatever the routers picked), else the routed ones.
    Route trained;
    for (const auto& t : taken) trained.push_back(t.slice(0, 0, fresh));
    auto loss = cotraining() ? (losses.slice(0, fresh).sum() +
                                cotrain_loss(batch, losses.slice(0, 0, fresh), taken, router_logits, trained)) /
                                   double(losses.size(0))
                             : cross_entropy;
    if (routed() && o_.keep_routes && replayed_routes.defined())
      for (int64_t l = 0; l < net_->layers(); ++l)
        loss = loss + torch::nn::functional::cross_entropy(router_logits[size_t(l)].slice(0, fresh),
                                                           replayed_routes.select(1, l));
    for (int64_t l = 0; l < net_->layers(); ++l)
      usage_[l] += torch::bincount(taken[size_t(l)].slice(0, 0, fresh).cpu(), {}, net_->experts());
    clear_grads(weights_);
    clear_grads(routers_);
    loss.backward();
    if (routed() && o_.replay_trains == "shared") rehearse_only(trained);
    weight_opt_->step();
    if (router_opt_) router_opt_->step();
    ++step_;
    return cross_entropy.item<double>();
  }

  int64_t step() const override { return step_; }

  std::vector<double> evaluate(const std::string& split) override {
    METAEVO_CHECK(split == "valid" || split == "test", "routing_network: no split '{}' (valid, test)", split);
    std::vector<double> out;
    for (const auto& t : tasks_) {
      const auto& s = split == "test" ? t.test : t.valid;
      out.push_back(accuracy(
          s, [&](const torch::Tensor& x) { return net_->forward(x); }, kEvalRows));
    }
    return out;
  }

  nlohmann::json state() const override {
    nlohmann::json out = nlohmann::json::object();
    // The fraction of (layer, expert) pairs some finished task claims: how much capacity is left.
    if (routed()) out["claimed"] = claimed_.sum().item<double>() / double(claimed_.numel());
    return out;
  }

  /// Per layer, the share of each task's first validation inputs that evaluation sends to each
  /// expert.
  nlohmann::json allocation() const override {
    if (!routed()) return nullptr;
    torch::NoGradGuard no_grad;
    std::vector<std::vector<torch::Tensor>> shares(size_t(net_->layers()));
    for (const auto& t : tasks_) {
      Route taken;
      net_.ptr()->forward(t.valid.x.slice(0, 0, kUsageExamples), {nullptr, 1, nullptr, &taken});
      for (size_t l = 0; l < taken.size(); ++l) {
        const auto counts = torch::bincount(taken[l].cpu(), {}, net_->experts()).to(torch::kFloat64);
        shares[l].push_back(counts / std::max<double>(1, double(taken[l].numel())));
      }
    }
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : shares) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& s : layer)
        rows.push_back(std::vector<double>(s.data_ptr<double>(), s.data_ptr<double>() + s.numel()));
      layers.push_back(rows);
    }
    std::vector<std::string> names;
    for (int64_t e = 0; e < net_->experts(); ++e) names.push_back(fmt::format("expert {}", e));
    return {{"components", names}, {"layers", layers}, {"measure", "share of inputs"}};
  }

  int64_t parameter_count() const override { return net_->parameter_count(); }

  void save(torch::serialize::OutputArchive& archive) const override {
    write_scalar(archive, "step", double(step_));
    write_scalar(archive, "task", double(task_));
    write_scalar(archive, "began", double(began_));
    archive.write("usage", usage_);
    archive.write("claimed", claimed_);
    archive.write("replay_routes", replay_routes_);
    torch::serialize::OutputArchive net, weight_opt;
    net_->save(net);
    archive.write("net", net);
    weight_opt_->save(weight_opt);
    archive.write("weight_optimizer", weight_opt);
    if (!router_opt_) return;
    torch::serialize::OutputArchive router_opt;
    router_opt_->save(router_opt);
    archive.write("router_optimizer", router_opt);
  }

  void load(torch::serialize::InputArchive& archive) override {
    step_ = int64_t(read_scalar(archive, "step"));
    task_ = int64_t(read_scalar(archive, "task"));
    began_ = int64_t(read_scalar(archive, "began"));
    read_tensor(archive, "usage", usage_);
    read_tensor(archive, "claimed", claimed_);
    torch::Tensor routes;  // one row per replayed example: its size follows the task
    read_tensor(archive, "replay_routes", routes);
    METAEVO_CHECK(routes.dim() == 2 && routes.size(1) == net_->layers() && routes.scalar_type() == torch::kInt64,
                  "checkpoint: entry 'replay_routes' has shape {}, not [examples, {}]", c10::str(routes.sizes()),
                  net_->layers());
    replay_routes_ = routes;
    torch::serialize::InputArchive net, weight_opt;
    archive.read("net", net);
    net_->load(net);
    archive.read("weight_optimizer", weight_opt);
    weight_opt_->load(weight_opt);
    if (router_opt_) {
      torch::serialize::InputArchive router_opt;
      archive.read("router_optimizer", router_opt);
      router_opt_->load(router_opt);
    }
    rebuild_replay();
  }

 private:
  bool routed() const { return o_.architecture == "routed"; }
  bool cotraining() const { return routed() && o_.cotrain && step_ - began_ < o_.cotrain_steps; }

  /// Co-training's candidates start from what the network already does for the new task: each
  /// layer's candidate becomes a copy of the expert the routers (greedy) send most of the task's
  /// first training inputs to, instead of a random expert the task would learn from scratch. With
  /// tasks that are alike (neighbouring rotations), the candidate then also keeps some of the
  /// skill of the expert it came from, so an input the routers send to the wrong one of the two
  /// still meets an expert that has seen its kind. Deterministic: it reruns alike after a resume.
  void start_candidates() {
    torch::NoGradGuard no_grad;
    Route taken;
    net_->forward(tasks_[size_t(task_)].train.x.slice(0, 0, kUsageExamples), {nullptr, 1, nullptr, &taken});
    for (int64_t l = 0; l < net_->layers(); ++l) {
      const auto free = claimed_[l].logical_not().nonzero();
      if (free.numel() == 0) continue;
      const auto candidate = free[0][0].item<int64_t>();
      const auto source = torch::bincount(taken[size_t(l)].cpu(), {}, net_->experts()).argmax().item<int64_t>();
      if (source == candidate) continue;
      const auto from = net_->expert_parameters(l, source);
      auto to = net_->expert_parameters(l, candidate);
      for (size_t i = 0; i < to.size(); ++i) to[i].copy_(from[i]);
    }
  }

  /// Replay rehearses the experts the current task trains, against its interference there; an
  /// expert it leaves alone has nothing to defend, and replaying the few buffered examples of its
  /// tasks into it would only fit it to them (seed 0 of MNIST-Permutations, 2,000 steps per task,
  /// 10 experts: every task on experts of its own, yet task 0 fell from 95.3% to 82.1%). Drops the
  /// gradients of every expert no input of the current task went through (`trained`).
  void rehearse_only(const Route& trained) {
    for (int64_t l = 0; l < net_->layers(); ++l) {
      const auto used = torch::bincount(trained[size_t(l)].cpu(), {}, net_->experts()).contiguous();
      const auto* count = used.data_ptr<int64_t>();
      for (int64_t e = 0; e < net_->experts(); ++e)
        if (count[e] == 0)
          for (auto& p : net_->expert_parameters(l, e)) p.mutable_grad().reset();
    }
  }

  /// Co-training: the new task's inputs down a second path through each layer's candidate (its
  /// first unclaimed expert; the routed choice where every expert is claimed), which becomes
  /// `trained`. Returns the sum of that path's cross-entropies plus, per layer and input, the
  /// cross-entropy that teaches the router whichever path served the input better.
  torch::Tensor cotrain_loss(const data::Split& batch, const torch::Tensor& routed_losses, const Route& taken,
                             const std::vector<torch::Tensor>& router_logits, Route& trained) {
    const auto fresh = batch.size();
    Route forced;
    for (int64_t l = 0; l < net_->layers(); ++l) {
      const auto free = claimed_[l].logical_not().nonzero();
      const auto mine = taken[size_t(l)].slice(0, 0, fresh);
      forced.push_back(free.numel() == 0 ? mine : torch::full_like(mine, free[0][0].item<int64_t>()));
    }
    const auto losses =
        torch::nn::functional::cross_entropy(net_->forward(batch.x, {nullptr, 1, &forced}), batch.y,
                                             torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    trained = forced;
    const auto better = losses.detach().lt(routed_losses.detach());
    auto loss = losses.sum();
    for (int64_t l = 0; l < net_->layers(); ++l) {
      const auto target = torch::where(better, forced[size_t(l)], taken[size_t(l)].slice(0, 0, fresh));
      loss = loss + torch::nn::functional::cross_entropy(
                        router_logits[size_t(l)].slice(0, 0, fresh), target,
                        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    }
    return loss;
  }

  /// The buffer's examples, of the tasks before the current one: a pure function of (seed, task),
  /// so a checkpoint holds only their routes.
  void rebuild_replay() {
    std::vector<torch::Tensor> xs, ys;
    for (int64_t t = 0; t < task_ && o_.replay_per_task > 0; ++t) {
      const auto& train = tasks_[size_t(t)].train;
      auto generator = torch_generator(mix64(mix64(seed_, hash64("route/replay")), uint64_t(t)));
      const auto rows =
          torch::randperm(train.size(), generator, torch::kInt64).slice(0, 0, o_.replay_per_task).to(device_);
      xs.push_back(train.x.index_select(0, rows));
      ys.push_back(train.y.index_select(0, rows));
    }
    replay_ = xs.empty() ? data::Split{} : data::Split{torch::cat(xs), torch::cat(ys)};
  }

  RoutingNetworkOptions o_;
  uint64_t seed_;
  torch::Device device_;
  std::vector<data::Splits> tasks_;
  std::vector<data::Batches> batches_;
  ExpertNet net_{nullptr};
  std::vector<torch::Tensor> weights_, routers_;
  std::unique_ptr<torch::optim::Adam> weight_opt_, router_opt_;
  torch::Tensor usage_;    // [layers, experts] inputs of the current task each expert took
  torch::Tensor claimed_;  // [layers, experts] taken by an earlier task
  data::Split replay_;
  torch::Tensor replay_routes_;  // [replay examples, layers] the experts each took as its task ended
  int64_t step_ = 0, task_ = -1, began_ = 0;
};

const Registrar<ProgramRegistry> routing_network_registration(
    "routing_network",
    [](const Config& program, uint64_t seed) { return std::make_unique<RoutingNetwork>(program, seed); },
    variant_doc<RoutingNetworkOptions>(
        "a routing network with co-training and replay for continual learning (Collier et al. 2020) and its dense "
        "baselines"));

}  // namespace
}  // namespace metaevo::routing
