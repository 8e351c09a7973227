// Data reweighting (Meta-Weight-Net, Shu et al. 2019; Betty's learning_to_reweight) against label
// noise: a fraction `noise` of the training labels is replaced by a different class drawn
// uniformly (symmetric noise); `meta_size` training images keep their clean labels and are held
// out as the meta set. The lower problem "classifier" (an MLP) minimises sum(v_i l_i) / sum(v_i),
// v_i = v(l_i), over noisy batches, where the upper problem "reweight" (a 1-hidden-layer MLP with a sigmoid output)
// maps each sample's loss to its weight, and learns from the classifier's loss on clean meta
// batches. With `reweight: false` the program is plain training on the noisy labels (the
// baseline): the same classifier, data and steps, every weight 1.
#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/batches.h"
#include "metaevo/mlo/program.h"
#include "metaevo/mlo/programs/common.h"

namespace metaevo::mlo {
namespace {

struct ReweightingData {
  data::Splits data;
  torch::Tensor clean_labels;  // of the training split, before noise
  data::Batches train, meta;
  bool reweight = true;
};

torch::Tensor sample_weights(const Params& net, const torch::Tensor& losses) {
  return torch::sigmoid(mlp_forward(losses.unsqueeze(1), net)).squeeze(1);
}

class Classifier : public Problem {
 public:
  Classifier(std::shared_ptr<ReweightingData> s, Params p, ProblemOptions o)
      : Problem("classifier", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    const auto indices = s_->train.indices(step);
    const auto batch = s_->data.train.rows(parallel().share(indices));
    const auto losses =
        torch::nn::functional::cross_entropy(mlp_forward(batch.x, params()), batch.y,
                                             torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    if (!s_->reweight) return parallel().mean(losses, indices.size(0));
    // The weight net sees the loss as a number, not as a function of the classifier. Weights are
    // normalised over the (global) batch, as in MW-Net's code: otherwise raising every weight acts
    // as a larger step size, which the meta loss rewards early on whatever the labels.
    const auto w = sample_weights(peer("reweight").params(), losses.detach());
    return (w * losses).sum() / parallel().sum(w.sum());
  }
  int64_t batch_size() const override { return s_->train.size(); }

 private:
  std::shared_ptr<ReweightingData> s_;
};

class Reweight : public Problem {
 public:
  Reweight(std::shared_ptr<ReweightingData> s, Params p, ProblemOptions o)
      : Problem("reweight", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    return cross_entropy_term(peer("classifier").params(), s_->data.valid, s_->meta.indices(step), parallel());
  }
  int64_t batch_size() const override { return s_->meta.size(); }

 private:
  std::shared_ptr<ReweightingData> s_;
};

struct DataReweightingOptions {
  ClassificationDataOptions data;
  double noise = 0.4;
  int64_t hidden = 256, hidden_layers = 1, weight_hidden = 100, batch_size = 100, meta_batch_size = 100;
  bool reweight = true;
  std::string device = "cpu";
  template <class V>
  void visit(V& v) {
    data.visit(v);
    v("noise", noise, "fraction of training labels flipped to another class");
    v("hidden", hidden, "hidden width of the classifier");
    v("hidden_layers", hidden_layers, "hidden layers of the classifier");
    v("weight_hidden", weight_hidden, "hidden width of the weighting network");
    v("batch_size", batch_size, "classifier minibatch");
    v("meta_batch_size", meta_batch_size, "minibatch of the clean meta set");
    v("reweight", reweight, "false: the classifier alone on the noisy labels (the baseline)");
    v("device", device, "cpu | cuda[:N]");
  }
  void validate() const {
    data.validate();
    require(noise >= 0 && noise < 1, "noise", "must be in [0, 1), got {}", noise);
    require(hidden >= 1 && weight_hidden >= 1, "hidden", "layer sizes must be >= 1, got {} and {}", hidden,
            weight_hidden);
    require(hidden_layers >= 1, "hidden_layers", "must be >= 1, got {}", hidden_layers);
    require(batch_size >= 1 && meta_batch_size >= 1, "batch_size", "batch sizes must be >= 1, got {} and {}",
            batch_size, meta_batch_size);
    require_device(device);
  }
};

class DataReweighting : public Program {
 public:
  DataReweighting(const DataReweightingOptions& o, const Config& program, const Config& problems, uint64_t seed) {
    // The meta set is the validation split of load_classification, kept clean.
    auto data = load_classification(o.data, seed, program.origin() + ": " + program.path("dataset"));
    auto clean = data.train.y.clone();
    const int64_t n = data.train.size(), c = data.classes;
    const auto flip = philox_uniform({seed, 5, 0, 0}, n).lt(o.noise);
    const auto other = (philox_uniform({seed, 5, 1, 0}, n) * double(c - 1)).to(torch::kInt64).clamp_max(c - 2);
    // A different class, uniformly: skip over the true one.
    const auto wrong = other + other.ge(clean).to(torch::kInt64);
    data.train.y = torch::where(flip, wrong, clean);
    const auto device = parse_device(o.device);
    data = data.to(device);
    clean = clean.to(device);
    const int64_t n_meta = data.valid.size(), d = data.train.x.size(1);
    s_ = std::make_shared<ReweightingData>(
        ReweightingData{std::move(data), clean, data::Batches(n, o.batch_size, mix64(seed, 11)),
                        data::Batches(n_meta, o.meta_batch_size, mix64(seed, 12)), o.reweight});

    ProblemOptions classifier_defaults, reweight_defaults;
    classifier_defaults.optimizer = {"sgd", {{"lr", 0.1}, {"momentum", 0.9}, {"weight_decay", 5e-4}}};
    reweight_defaults.optimizer = {"adam", {{"lr", 1e-3}}};
    std::vector<int64_t> sizes{d};
    sizes.insert(sizes.end(), size_t(o.hidden_layers), o.hidden);
    sizes.push_back(c);
    auto classifier = std::make_shared<Classifier>(s_, to_device(init_mlp(sizes, seed), device),
                                                   problem_options(problems, "classifier", classifier_defaults));
    // Read either way, so one config serves the reweighted run and its baseline.
    const auto reweight_options = problem_options(problems, "reweight", reweight_defaults);
    this->problems = {classifier};
    if (!o.reweight) return;
    this->problems.push_back(std::make_shared<Reweight>(
        s_, to_device(init_mlp({1, o.weight_hidden, 1}, mix64(seed, 13)), device), reweight_options));
    dependencies.u2l = {{"reweight", {"classifier"}}};
    dependencies.l2u = {{"classifier", {"reweight"}}};
  }

  nlohmann::json validate() override {
    torch::NoGradGuard no_grad;
    const auto& params = problems[0]->params();
    const auto& test = s_->data.test;
    nlohmann::json out = {{"test_acc", accuracy(mlp_forward(test.x, params), test.y)},
                          {"meta_acc", accuracy(mlp_forward(s_->data.valid.x, params), s_->data.valid.y)}};
    // How the classifier fits the training set's clean and flipped labels (memorising the
    // flipped ones is what hurts), and, with reweighting, the weights each group gets.
    const int64_t n = std::min<int64_t>(10000, s_->data.train.size());
    const auto x = s_->data.train.x.narrow(0, 0, n);
    const auto noisy = s_->data.train.y.narrow(0, 0, n), clean = s_->clean_labels.narrow(0, 0, n);
    const auto logits = mlp_forward(x, params);
    const auto flipped = noisy.ne(clean);
    const auto fits_noisy = logits.argmax(1).eq(noisy).to(torch::kFloat64);
    out["flipped_fraction"] = flipped.to(torch::kFloat64).mean().item<double>();
    out["fit_clean"] = fits_noisy.index({~flipped}).mean().item<double>();
    if (flipped.any().item<bool>()) out["fit_flipped"] = fits_noisy.index({flipped}).mean().item<double>();
    if (s_->reweight) {
      const auto losses = torch::nn::functional::cross_entropy(
          logits, noisy, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
      const auto w = sample_weights(problems[1]->params(), losses);
      out["weight_clean"] = w.index({~flipped}).mean().item<double>();
      if (flipped.any().item<bool>()) out["weight_flipped"] = w.index({flipped}).mean().item<double>();
    }
    return out;
  }

 private:
  std::shared_ptr<ReweightingData> s_;
};

const Registrar<ProgramRegistry> data_reweighting_registration(
    "data_reweighting",
    [](const Config& program, const Config& problems, uint64_t seed) {
      return std::make_unique<DataReweighting>(read_options<DataReweightingOptions>(program), program, problems, seed);
    },
    variant_doc<DataReweightingOptions>("a classifier on noisy labels whose per-example loss weights a network "
                                        "learns from a clean meta set (problems classifier, reweight)"));

}  // namespace
}  // namespace metaevo::mlo
