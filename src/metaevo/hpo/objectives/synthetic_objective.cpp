// A closed-form learning curve: parameters x and y in [0, 1] set the level a trial's curve tends to
// and how fast it gets there. It costs nothing to evaluate, so a study over it measures the tuner
// and its store alone (bench/storage_vs_optuna.py runs the same function in Optuna). Retraining
// is free, so it keeps no checkpoint: a resumed trial recomputes its epochs from the first.
#include <cmath>

#include "metaevo/core/options.h"
#include "metaevo/hpo/objective.h"

namespace metaevo::hpo {
namespace {

struct SyntheticOptions {
  std::string type = "synthetic";
  template <class V>
  void visit(V& v) {
    v("type", type, "synthetic");
  }
  void validate() const {}
};

/// The curve: level 0.9 - (x - 0.3)^2 - 0.5 (y - 0.7)^2, approached at rate 0.05 + 0.5 y.
double synthetic_value(double x, double y, int epoch) {
  const double level = 0.9 - (x - 0.3) * (x - 0.3) - 0.5 * (y - 0.7) * (y - 0.7);
  return level * (1 - std::exp(-(0.05 + 0.5 * y) * epoch));
}

class SyntheticRun : public TrialRun {
 public:
  SyntheticRun(double x, double y) : x_(x), y_(y) {}
  int epoch() const override { return epoch_; }
  EpochMetrics recorded(int e) const override {
    const double v = synthetic_value(x_, y_, e);
    return {v, v, 0};
  }
  EpochMetrics train_epoch() override { return recorded(++epoch_); }
  void save() override {}

 private:
  double x_, y_;
  int epoch_ = 0;
};

class SyntheticObjective : public Objective {
 public:
  SearchSpace default_space() const override {
    SearchSpace space;
    space.add({"x", Param::Kind::kFloat, 0, 1, false, {}, 0.5});
    space.add({"y", Param::Kind::kFloat, 0, 1, false, {}, 0.5});
    return space;
  }
  std::unique_ptr<TrialRun> open(const Assignment& config, uint64_t, const std::string&) override {
    return std::make_unique<SyntheticRun>(config.at("x").get<double>(), config.at("y").get<double>());
  }
};

const Registrar<ObjectiveRegistry> synthetic_objective_registration(
    "synthetic",
    [](const Config& c) {
      read_options<SyntheticOptions>(c);  // refuses unknown keys
      return std::make_unique<SyntheticObjective>();
    },
    variant_doc<SyntheticOptions>("a closed-form learning curve of parameters x and y, free to evaluate (for measuring "
                                  "the tuner and its store)"));

}  // namespace
}  // namespace metaevo::hpo
