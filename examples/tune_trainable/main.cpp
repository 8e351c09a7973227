// A tuning study over a trainable of your own: PASHA picks the learning rate and momentum of SGD
// on a linear regression. Your Objective opens a run per configuration; the run trains one epoch
// at a time and checkpoints, so a paused trial continues where it stopped. Run the program twice
// at once on the same folder and the two processes share the study. Exits 1 unless the best
// trial's validation error is below 0.05.
//   tune_trainable [OUTPUT_FOLDER]
#include <metaevo/metaevo.h>

#include <filesystem>
#include <iostream>

namespace hpo = metaevo::hpo;

struct Regression {
  torch::Tensor x_train, y_train, x_valid, y_valid;
};

Regression make_data() {
  torch::manual_seed(0);
  const auto w = torch::randn({20});
  auto sample = [&](int64_t n) {
    auto x = torch::randn({n, 20});
    return std::make_pair(x, x.matmul(w) + 0.1 * torch::randn({n}));
  };
  Regression d;
  std::tie(d.x_train, d.y_train) = sample(200);
  std::tie(d.x_valid, d.y_valid) = sample(200);
  return d;
}

class SgdRun : public hpo::TrialRun {
 public:
  SgdRun(const Regression& data, double lr, double momentum, std::string checkpoint)
      : d_(data), lr_(lr), momentum_(momentum), checkpoint_(std::move(checkpoint)) {
    if (!std::filesystem::exists(checkpoint_)) return;
    torch::serialize::InputArchive archive;
    archive.load_from(checkpoint_);
    archive.read("w", w_);
    archive.read("velocity", velocity_);
    archive.read("values", values_);
  }
  int epoch() const override { return int(values_.size(0)); }
  hpo::EpochMetrics recorded(int e) const override { return {values_[e - 1].item<double>()}; }
  hpo::EpochMetrics train_epoch() override {
    for (int step = 0; step < 10; ++step) {  // an epoch: 10 full-batch steps
      const auto grad = 2 * d_.x_train.t().matmul(d_.x_train.matmul(w_) - d_.y_train) / d_.x_train.size(0);
      velocity_ = momentum_ * velocity_ + grad;
      w_ = w_ - lr_ * velocity_;
    }
    auto error = (d_.x_valid.matmul(w_) - d_.y_valid).pow(2).mean();
    if (!std::isfinite(error.item<double>())) error = torch::full({}, 1e9);  // diverged: the worst value
    values_ = torch::cat({values_, error.reshape({1})});
    return {error.item<double>()};
  }
  void save() override {
    torch::serialize::OutputArchive archive;
    archive.write("w", w_);
    archive.write("velocity", velocity_);
    archive.write("values", values_);
    std::filesystem::create_directories(std::filesystem::path(checkpoint_).parent_path());
    archive.save_to(checkpoint_ + ".tmp");
    std::filesystem::rename(checkpoint_ + ".tmp", checkpoint_);  // atomic: old or new after a kill
  }

 private:
  const Regression& d_;
  double lr_, momentum_;
  std::string checkpoint_;
  torch::Tensor w_ = torch::zeros({20}), velocity_ = torch::zeros({20}), values_ = torch::zeros({0});
};

class SgdObjective : public hpo::Objective {
 public:
  hpo::SearchSpace default_space() const override { return {}; }  // the config names the space
  bool maximize() const override { return false; }                // validation error: lower is better
  std::unique_ptr<hpo::TrialRun> open(const hpo::Assignment& config, uint64_t, const std::string& checkpoint) override {
    return std::make_unique<SgdRun>(data_, config.at("lr").get<double>(), config.at("momentum").get<double>(),
                                    checkpoint);
  }

 private:
  Regression data_ = make_data();
};

int main(int argc, char** argv) {
  const std::string output = argc > 1 ? argv[1] : "runs/example-tune";
  const auto config = metaevo::Config::parse(R"(
seed: 1
scheduler: {name: pasha, r_min: 1, eta: 3, max_t: 27}
tuner: {max_trials: 24}
space:
  lr: {type: float, low: 0.0001, high: 1.0, log: true, default: 0.01}
  momentum: {type: float, low: 0.0, high: 0.95, default: 0.5}
)",
                                             "tune_trainable");
  const auto outcome = hpo::run_study(
      config, [] { return std::make_unique<SgdObjective>(); }, output + "/study.db", output);
  const auto& best = outcome.standings.trials.at(size_t(outcome.best));
  std::cout << outcome.standings.rows.size() << " trials, " << outcome.standings.epochs << " epochs; best trial "
            << outcome.best << " " << best.summary.config.dump() << ": validation error " << best.values.back() << "\n";
  return best.values.back() < 0.05 ? 0 : 1;
}
