#pragma once
// Training a transformer that grows on a schedule (`metaevo grow`): the model trains by minibatch,
// and at the schedule's steps it is expanded by function-preserving expansions (expansions.h),
// optimizer moments included, then keeps training. The step's batch is a pure function of (seed,
// step) and the free entries of every expansion come from (seed, schedule point), so a resumed run
// rebuilds exactly what an uninterrupted one computes.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/core/options.h"
#include "metaevo/data/batches.h"
#include "metaevo/data/splits.h"
#include "metaevo/models/optimizer.h"
#include "metaevo/models/transformer.h"

namespace metaevo::munet {

/// The data set a growth run trains on (the data registry's names) and its split sizes.
struct GrowDataOptions {
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  int64_t train_size = 0;
  int64_t valid_size = -1;
  template <class V>
  void visit(V& v) {
    v("dataset", dataset, "a registered image data set (e.g. fashion-mnist, mnist)");
    v("data_dir", data_dir, "its folder (default: its standard place)");
    v("train_size", train_size, "training examples (0 = all but the validation ones)");
    v("valid_size", valid_size, "validation examples held out of the training pool (-1 = the data set's default)");
  }
  void validate() const;
  data::Splits load() const;
};

struct GrowOptions {
  int64_t steps = 2000;
  int64_t batch_size = 128;
  int64_t eval_every = 100;  // steps between validations (and checkpoints)
  Choice optimizer{"adam", {{"lr", 0.001}}};
  bool test_curve = false;
  double flops = 0;  // a training-FLOPs budget: > 0 ends training once it is spent
  template <class V>
  void visit(V& v) {
    v("steps", steps, "training steps in all (at most, with a FLOPs budget)");
    v("flops", flops, "training FLOPs budget (3x forward per example); 0 = train for `steps`");
    v("batch_size", batch_size, "examples per step");
    v("eval_every", eval_every, "steps between validations and checkpoints");
    v("optimizer", optimizer, "sgd | adam, with its settings (see mlo's problems)");
    v("test_curve", test_curve, "also record test accuracy at every validation (for comparing curves)");
  }
  void validate() const;
};

/// The sizes the model takes at one step, applied before that step trains, in the order mlp_dim,
/// heads, value_dim, key_dim, hidden, layers.
struct GrowthPoint {
  int64_t at = 0;
  std::vector<std::pair<std::string, int64_t>> sizes;
};

/// A `schedule` list: [{at: STEP, <size>: VALUE, ...}, ...] with steps increasing within
/// (0, steps) and sizes among the six. An Error names the entry.
std::vector<GrowthPoint> read_schedule(const Config& config, const std::string& key, int64_t steps);

/// Plans the whole schedule on a model of `model`'s sizes: a size that is not an expansion is an
/// Error naming its step, before any data is read or any step trained.
void check_schedule(const models::TransformerOptions& model, const std::vector<GrowthPoint>& schedule);

class GrowthTrainer {
 public:
  /// `splits` hold images [N, C, S, S] (the model's kind must be vit) with labels.
  GrowthTrainer(const models::TransformerOptions& model, GrowOptions options, std::vector<GrowthPoint> schedule,
                data::Splits splits, uint64_t seed);
  /// One step: the expansions due now, then one optimizer step on batch `step()`. Returns the loss.
  double train_step();
  /// {"loss", "accuracy"} over split "train", "valid" or "test", in batches.
  nlohmann::json evaluate(const std::string& split) const;
  int64_t step() const { return step_; }
  bool done() const { return step_ >= o_.steps || (o_.flops > 0 && flops_ >= o_.flops); }
  /// Training FLOPs so far: 3x the forward FLOPs of every training example (forward + backward).
  double train_flops() const { return flops_; }
  const models::Transformer& model() const { return model_; }
  /// What was applied at each schedule point passed so far.
  const nlohmann::json& growth_log() const { return growth_log_; }

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  void grow(const GrowthPoint& point, size_t index);
  models::Params flat(const models::TransformerTensors& t) const;
  void unflat(const models::Params& p, models::TransformerTensors& t) const;

  GrowOptions o_;
  std::vector<GrowthPoint> schedule_;
  data::Splits splits_;
  uint64_t seed_;
  models::Transformer model_;
  models::Optimizer optimizer_;
  data::Batches batches_;
  int64_t step_ = 0;
  double flops_ = 0;
  nlohmann::json growth_log_ = nlohmann::json::array();
};

}  // namespace metaevo::munet
