// Per-parameter weight-decay tuning of a (multinomial) logistic regression (Betty's
// logistic_regression_hpo, after hypertorch): the lower problem "model" fits W, b on the training
// split with penalty 1/2 sum exp(lambda) * W^2 / n, one lambda per weight; the upper problem
// "decay" moves lambda to lower the validation loss.
//
// `weight_decay_3level` adds a third level against overfitting the validation split with 7,850
// hyperparameters: "decay" also pays 1/2 exp(mu) mean((lambda - lambda_0)^2) on the first half of
// the validation split, and the top problem "prior" tunes mu on the second half. Its gradient runs
// the path prior -> model -> decay -> prior: the model's best response to lambda, then decay's best
// response to mu.
#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/batches.h"
#include "metaevo/mlo/program.h"
#include "metaevo/mlo/programs/common.h"

namespace metaevo::mlo {
namespace {

struct WeightDecayData {
  data::Splits data;
  data::Split valid_a, valid_b;  // the validation split, or its two halves with three levels
  data::Batches train, valid_a_batches, valid_b_batches;
  double lambda0 = 0;
  bool three_levels = false;
};

class Model : public Problem {
 public:
  Model(std::shared_ptr<WeightDecayData> s, Params p, ProblemOptions o)
      : Problem("model", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    const auto& lambda = peer("decay").params()[0];
    const auto& w = params()[0];
    return cross_entropy_term(params(), s_->data.train, s_->train.indices(step), parallel()) +
           parallel().once(0.5 * (lambda.exp() * w * w).sum() / double(s_->data.train.size()));
  }
  int64_t batch_size() const override { return s_->train.size(); }

 private:
  std::shared_ptr<WeightDecayData> s_;
};

class Decay : public Problem {
 public:
  Decay(std::shared_ptr<WeightDecayData> s, Params p, ProblemOptions o)
      : Problem("decay", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    auto loss = cross_entropy_term(peer("model").params(), s_->valid_a, s_->valid_a_batches.indices(step), parallel());
    if (!s_->three_levels) return loss;
    const auto& lambda = params()[0];
    return loss +
           parallel().once(0.5 * peer("prior").params()[0].exp().squeeze() * (lambda - s_->lambda0).pow(2).mean());
  }
  int64_t batch_size() const override { return s_->valid_a_batches.size(); }

 private:
  std::shared_ptr<WeightDecayData> s_;
};

class Prior : public Problem {
 public:
  Prior(std::shared_ptr<WeightDecayData> s, Params p, ProblemOptions o)
      : Problem("prior", std::move(p), std::move(o)), s_(std::move(s)) {}
  torch::Tensor training_step(int64_t step) override {
    return cross_entropy_term(peer("model").params(), s_->valid_b, s_->valid_b_batches.indices(step), parallel());
  }
  int64_t batch_size() const override { return s_->valid_b_batches.size(); }

 private:
  std::shared_ptr<WeightDecayData> s_;
};

struct WeightDecayOptions {
  ClassificationDataOptions data;
  int64_t batch_size = 0;
  double init_decay = 1e-2;
  std::string device = "cpu";
  template <class V>
  void visit(V& v) {
    data.visit(v);
    v("batch_size", batch_size, "minibatch of every problem (0 = the whole split)");
    v("init_decay", init_decay, "initial weight decay of every weight");
    v("device", device, "cpu | cuda[:N]");
  }
  void validate() const {
    data.validate();
    require(batch_size >= 0, "batch_size", "must be >= 0 (0 = full batch), got {}", batch_size);
    require(init_decay > 0, "init_decay", "must be > 0, got {}", init_decay);
    require_device(device);
  }
};

/// weight_decay_3level: the prior's initial strength too.
struct ThreeLevelOptions : WeightDecayOptions {
  double init_prior = 1.0;
  template <class V>
  void visit(V& v) {
    WeightDecayOptions::visit(v);
    v("init_prior", init_prior, "initial strength exp(mu) of the prior on the decays");
  }
  void validate() const {
    WeightDecayOptions::validate();
    require(init_prior > 0, "init_prior", "must be > 0, got {}", init_prior);
    require(data.valid_size >= 2, "valid_size", "three levels split it in two: must be >= 2, got {}", data.valid_size);
  }
};

class WeightDecay : public Program {
 public:
  /// `init_prior` > 0: three levels.
  WeightDecay(const WeightDecayOptions& o, double init_prior, const Config& program, const Config& problems,
              uint64_t seed) {
    const bool three_levels = init_prior > 0;
    const auto device = parse_device(o.device);
    auto data = load_classification(o.data, seed, program.origin() + ": " + program.path("dataset")).to(device);
    const auto n_train = data.train.size(), n_valid = data.valid.size();
    data::Split valid_a = data.valid, valid_b = data.valid;
    if (three_levels) {
      valid_a = data.valid.rows(torch::arange(n_valid / 2));
      valid_b = data.valid.rows(torch::arange(n_valid / 2, n_valid));
    }
    s_ = std::make_shared<WeightDecayData>(WeightDecayData{std::move(data), valid_a, valid_b,
                                                           data::Batches(n_train, o.batch_size, mix64(seed, 1)),
                                                           data::Batches(valid_a.size(), o.batch_size, mix64(seed, 2)),
                                                           data::Batches(valid_b.size(), o.batch_size, mix64(seed, 3)),
                                                           std::log(o.init_decay * double(n_train)), three_levels});
    const int64_t d = s_->data.train.x.size(1), c = s_->data.classes;
    ProblemOptions model_defaults, decay_defaults;
    model_defaults.unroll_steps = 100;
    model_defaults.optimizer = {"sgd", {{"lr", 0.1}}};
    model_defaults.hypergradient = {"cg", {{"iterations", 3}}};
    decay_defaults.optimizer = {"adam", {{"lr", 0.03}}};
    if (three_levels) decay_defaults.unroll_steps = 5;
    auto model = std::make_shared<Model>(s_, to_device(init_mlp({d, c}, seed), device),
                                         problem_options(problems, "model", model_defaults));
    // Weight decay lives on a log scale: the search is over orders of magnitude.
    auto decay = std::make_shared<Decay>(s_, Params{torch::full({c, d}, s_->lambda0, device)},
                                         problem_options(problems, "decay", decay_defaults));
    this->problems = {model, decay};
    dependencies.u2l = {{"decay", {"model"}}};
    dependencies.l2u = {{"model", {"decay"}}};
    if (!three_levels) return;
    ProblemOptions prior_defaults;
    prior_defaults.optimizer = {"adam", {{"lr", 0.05}}};
    this->problems.push_back(std::make_shared<Prior>(s_, Params{torch::full({1}, std::log(init_prior), device)},
                                                     problem_options(problems, "prior", prior_defaults)));
    dependencies.u2l["prior"] = {"model"};
    dependencies.l2u["decay"] = {"prior"};
  }

  nlohmann::json validate() override {
    torch::NoGradGuard no_grad;
    const auto& params = problems[0]->params();
    auto loss_acc = [&](const data::Split& s) {
      const auto logits = mlp_forward(s.x, params);
      return std::make_pair(torch::nn::functional::cross_entropy(logits, s.y).item<double>(), accuracy(logits, s.y));
    };
    const auto [train_loss, train_acc] = loss_acc(s_->data.train);
    const auto [valid_loss, valid_acc] = loss_acc(s_->data.valid);
    const auto [test_loss, test_acc] = loss_acc(s_->data.test);
    const auto decay = problems[1]->params()[0].exp() / double(s_->data.train.size());
    nlohmann::json out = {{"train_loss", train_loss},
                          {"valid_loss", valid_loss},
                          {"valid_acc", valid_acc},
                          {"test_loss", test_loss},
                          {"test_acc", test_acc},
                          {"train_acc", train_acc},
                          {"decay_median", decay.median().item<double>()}};
    if (s_->three_levels) out["prior_mu"] = problems[2]->params()[0].item<double>();
    return out;
  }

 private:
  std::shared_ptr<WeightDecayData> s_;
};

const Registrar<ProgramRegistry> weight_decay_registration(
    "weight_decay",
    [](const Config& program, const Config& problems, uint64_t seed) {
      return std::make_unique<WeightDecay>(read_options<WeightDecayOptions>(program), 0.0, program, problems, seed);
    },
    variant_doc<WeightDecayOptions>("per-weight decay of a logistic regression tuned on the validation split "
                                    "(problems model, decay; Betty's logistic-regression HPO)"));
const Registrar<ProgramRegistry> weight_decay_3level_registration(
    "weight_decay_3level",
    [](const Config& program, const Config& problems, uint64_t seed) {
      const auto o = read_options<ThreeLevelOptions>(program);
      return std::make_unique<WeightDecay>(o, o.init_prior, program, problems, seed);
    },
    variant_doc<ThreeLevelOptions>("weight_decay with a prior on the decays tuned on half the validation split "
                                   "(problems model, decay, prior)"));

}  // namespace
}  // namespace metaevo::mlo
