// Few-shot meta-learning (Omniglot's Vinyals splits by default, `dataset`): MAML (Finn et al. 2017) and iMAML
// (Rajeswaran et al. 2019) as one bilevel program. The upper problem "meta" holds the initial weights theta of a conv4
// with a linear head; each inner loop of the lower problem "adapt" starts from theta on a new episode and takes
// unroll_steps steps on its support set, then "meta" steps on the query loss.
//  - MAML: adapt.hypergradient = itd (differentiate through the steps; adapt starts from theta
//    itself, in the graph);
//  - iMAML: `proximal` > 0 adds proximal/2 |phi - theta|^2 to the support loss and
//    adapt.hypergradient = cg gives the implicit gradient, with memory independent of the steps;
//  - first-order variants: darts or es.
// Episode t of the training split is adapt's t-th inner loop and meta's t-th step. Not
// data-parallel: the conv4's batch norm normalises with the statistics of the whole support (query)
// set, which a share of it would change.
#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/datasets.h"
#include "metaevo/data/episodes.h"
#include "metaevo/meta/inner_loop.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/mlo/program.h"
#include "metaevo/mlo/programs/common.h"
#include "metaevo/models/zoo.h"

namespace metaevo::mlo {
namespace {

namespace F = torch::nn::functional;

struct MamlData {
  std::unique_ptr<data::EpisodeSampler> train, test;
  int64_t ways = 5;
  double proximal = 0;
  torch::Device device = torch::kCPU;
  int64_t cached_index = -1;
  data::Episode cached;
  /// Episodes are drawn on the CPU (the same ones on any device) and then moved.
  data::Episode on_device(data::Episode e) const {
    e.support = e.support.to(device);
    e.query = e.query.to(device);
    e.query_labels = e.query_labels.to(device);
    return e;
  }
  const data::Episode& train_episode(int64_t index) {
    if (index != cached_index) {
      cached = on_device(train->episode(index));
      cached_index = index;
    }
    return cached;
  }
};

torch::Tensor logits(const Params& p, const torch::Tensor& images) {
  const Params encoder(p.begin(), p.begin() + 16);
  return F::linear(meta::conv4_functional(images, encoder), p[16], p[17]);
}

/// The support loss of the adapted weights phi, with iMAML's proximal term towards theta.
torch::Tensor support_loss(const MamlData& s, const Params& phi, const Params& theta, const data::Episode& e) {
  const int64_t shots = e.support.size(0) / s.ways;
  auto loss = F::cross_entropy(logits(phi, e.support),
                               torch::arange(s.ways, phi[0].options().dtype(torch::kInt64)).repeat_interleave(shots));
  if (s.proximal > 0) {
    torch::Tensor distance = torch::zeros({}, phi[0].options());
    for (size_t i = 0; i < phi.size(); ++i) distance = distance + (phi[i] - theta[i]).pow(2).sum();
    loss = loss + 0.5 * s.proximal * distance;
  }
  return loss;
}

class Adapt : public Problem {
 public:
  Adapt(std::shared_ptr<MamlData> s, Params p, ProblemOptions o)
      : Problem("adapt", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    return support_loss(*s_, params(), peer("meta").params(), s_->train_episode(step / steps_per_loop()));
  }
  void on_inner_loop_start() override {
    const auto& theta = peer("meta").params();
    Params phi;
    // In the graph (a differentiable copy of theta) for MAML; a fresh leaf otherwise.
    for (const auto& t : theta) phi.push_back(differentiable() ? t.clone() : t.detach().clone().requires_grad_());
    set_params(phi);
  }

 private:
  std::shared_ptr<MamlData> s_;
};

class MetaInit : public Problem {
 public:
  MetaInit(std::shared_ptr<MamlData> s, Params p, ProblemOptions o)
      : Problem("meta", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    const auto& e = s_->train_episode(step);
    return F::cross_entropy(logits(peer("adapt").params(), e.query), e.query_labels);
  }

 private:
  std::shared_ptr<MamlData> s_;
};

struct MamlOptions {
  data::EpisodeOptions episodes;
  int64_t channels = 64, val_episodes = 100;
  double proximal = 0.0;
  std::string dataset = "omniglot-vinyals", data_dir, device = "cpu";
  template <class V>
  void visit(V& v) {
    episodes.visit(v);
    v("channels", channels, "filters of each conv4 block");
    v("val_episodes", val_episodes, "test-split episodes of each validation");
    v("proximal", proximal, "iMAML's proximal strength (0 = MAML)");
    v("dataset", dataset, "registered data set: episodes from its train split's classes, validation from its test's");
    v("data_dir", data_dir, "the data set's folder (empty: METAEVO_DATA_DIR or the standard place)");
    v("device", device, "cpu | cuda[:N]");
  }
  void validate() const {
    episodes.validate();
    require(channels >= 1, "channels", "must be >= 1, got {}", channels);
    require(val_episodes >= 1, "val_episodes", "must be >= 1, got {}", val_episodes);
    require(proximal >= 0, "proximal", "must be >= 0, got {}", proximal);
    data::require_dataset("dataset", dataset);
    require_device(device);
  }
};

class Maml : public Program {
 public:
  Maml(const MamlOptions& o, const Config& program, const Config& problems, uint64_t seed)
      : s_(std::make_shared<MamlData>()) {
    const auto& episodes = o.episodes;
    const auto channels = o.channels;
    val_episodes_ = o.val_episodes;
    s_->proximal = o.proximal;
    data::Splits splits;  // the train split's classes train, the test split's test
    with_context(program.origin() + ": " + program.path("dataset"),
                 [&] { splits = data::load_dataset(o.dataset, data::data_dir_for(o.dataset, o.data_dir)); });
    s_->ways = episodes.ways;
    s_->device = parse_device(o.device);
    s_->train = std::make_unique<data::EpisodeSampler>(splits.train, episodes, seed);
    s_->test = std::make_unique<data::EpisodeSampler>(splits.test, episodes, mix64(seed, 21));

    Params theta;
    for (const auto& p : models::make_conv4(1, channels, seed)->parameters()) theta.push_back(p.detach().clone());
    const int64_t features = meta::conv4_functional(torch::zeros_like(splits.train.x.narrow(0, 0, 1)), theta).size(1);
    const auto head = init_mlp({features, episodes.ways}, mix64(seed, 22));
    theta.insert(theta.end(), head.begin(), head.end());
    theta = to_device(theta, s_->device);

    ProblemOptions adapt_defaults, meta_defaults;
    adapt_defaults.unroll_steps = 5;
    adapt_defaults.optimizer = {"sgd", {{"lr", 0.4}}};
    adapt_defaults.hypergradient = {"itd"};
    meta_defaults.optimizer = {"adam", {{"lr", 1e-3}}};
    meta_defaults.gradient_accumulation = 4;  // episodes per meta-update
    adapt_ = problem_options(problems, "adapt", adapt_defaults);
    this->problems = {std::make_shared<Adapt>(s_, theta, adapt_),
                      std::make_shared<MetaInit>(s_, theta, problem_options(problems, "meta", meta_defaults))};
    dependencies.u2l = {{"meta", {"adapt"}}};
    dependencies.l2u = {{"adapt", {"meta"}}};
  }

  /// Accuracy on test-split episodes after adapting from theta as in training (no graph kept).
  nlohmann::json validate() override {
    const auto& theta = problems[1]->params();
    double correct = 0;
    for (int64_t i = 0; i < val_episodes_; ++i) {
      const auto e = s_->on_device(s_->test->episode(i));
      Optimizer optimizer(adapt_.optimizer);
      auto phi = detach_params(theta);
      for (int64_t k = 0; k < adapt_.unroll_steps; ++k)
        phi = optimizer.step(phi, vector_grad({support_loss(*s_, phi, theta, e)}, phi, {}, false, false), false);
      torch::NoGradGuard no_grad;
      correct += accuracy(logits(phi, e.query), e.query_labels);
    }
    return {{"test_acc", correct / double(val_episodes_)}, {"test_episodes", val_episodes_}};
  }

 private:
  std::shared_ptr<MamlData> s_;
  ProblemOptions adapt_;
  int64_t val_episodes_ = 100;
};

const Registrar<ProgramRegistry> maml_registration(
    "maml",
    [](const Config& program, const Config& problems, uint64_t seed) {
      return std::make_unique<Maml>(read_options<MamlOptions>(program), program, problems, seed);
    },
    variant_doc<MamlOptions>("MAML / iMAML few-shot learning of a conv4 initialisation (problems adapt, meta)"));

}  // namespace
}  // namespace metaevo::mlo
