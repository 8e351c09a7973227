#pragma once
// Training one child path (the reference's train_loop): SGD with the path's momentum and Nesterov
// settings and learning-rate schedule, gradients clipped to global norm 1, cross-entropy; only the
// path's trainable components receive gradients. The budget is `validations` x
// `batches_between_validations` batches; after each stretch the validation accuracy is measured
// and the best-scoring weights are kept, so the path ends with its best validation checkpoint and
// quality = that best accuracy.
#include <functional>

#include "metaevo/core/options.h"
#include "metaevo/munet/path.h"
#include "metaevo/munet/tasks.h"

namespace metaevo::munet {

struct TrainOptions {
  int64_t batch_size = 128;
  int64_t validations = 5;  // validations per child
  int64_t batches_between_validations = 100;
  int64_t validation_batches = 10;  // cap on the validation batches per measurement
  /// Ties count as improvements (mu2Net/mu3Net's `>=`): a later validation that ties the best so
  /// far replaces its checkpoint, and a child that ties its parent's score is kept. muNet and
  /// mu4Net use `>` (the default). On small validation sets ties are common, and `>=` lets a
  /// lineage keep the extra training a tying child received.
  bool accept_ties = false;
  template <class V>
  void visit(V& v) {
    v("batch_size", batch_size, "training and validation batch size");
    v("validations", validations, "validations per child (the budget is validations x batches between)");
    v("batches_between_validations", batches_between_validations, "training batches between validations");
    v("validation_batches", validation_batches, "validation batches per measurement (cap)");
    v("accept_ties", accept_ties, "a tie counts as an improvement (mu2Net's >=; default muNet's >)");
  }
  void validate() const;
};

/// Learning rate at `step` of `steps` for the path's schedule: constant (0.5 lr), cosine (linear
/// warmup from lr/100 over warmup_ratio x steps, then cosine decay), restarts (one warmup-cosine
/// cycle per validation interval).
double learning_rate(const Hparams& h, int64_t step, int64_t steps, int64_t interval);

struct TrainResult {
  double quality = 0;     // best validation accuracy
  bool improved = false;  // beat `bar` at some validation
  int64_t steps = 0;
};

/// Logits of a batch of images.
using Forward = std::function<torch::Tensor(const torch::Tensor&)>;

/// What the training loop needs of a model (a path, a multipath model): the hyperparameters of its
/// optimizer, schedule and augmentation, the tensors it trains, and its forward pass.
struct Trainee {
  const Hparams& hparams;
  Params params;
  Forward forward;
};

/// Trains `model`'s params in place on `task`. `score` maps a validation accuracy to the score; the
/// model improves iff some validation scores above `bar` (or ties it, with `accept_ties`). The
/// params end at the best-scoring validation's values. Batches and augmentation are drawn from
/// `seed`.
TrainResult train_model(const Trainee& model, const data::Splits& task, const TrainOptions& o,
                        const std::function<double(double)>& score, double bar, uint64_t seed);

/// Trains `path` in place on `task`. `score` maps the path (with its current quality) to its score;
/// `bar` is the parent's score for a parent of the same task, else -infinity.
TrainResult train_path(Path& path, const data::Splits& task, const TrainOptions& o, const VitOptions& vit,
                       const std::function<double(const Path&)>& score, double bar, uint64_t seed);

/// Accuracy of `forward` on a split, in batches of `batch_size` (at most `max_batches`, 0 = all).
double evaluate(const Forward& forward, const data::Split& split, int64_t batch_size, int64_t max_batches = 0);
/// Accuracy of the path on a split.
double evaluate(const Path& path, const data::Split& split, const VitOptions& vit, int64_t batch_size,
                int64_t max_batches = 0);

}  // namespace metaevo::munet
