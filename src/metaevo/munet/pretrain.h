#pragma once
// Pretraining the root (the reference starts from a ViT pretrained on ImageNet-21k): every root
// component, with a head for the source task, is trained on a source task by the child trainer
// with the default hyperparameters, then locked again. The source head is dropped: a task never
// inherits another task's head.
#include "metaevo/core/options.h"
#include "metaevo/munet/population.h"
#include "metaevo/munet/trainer.h"

namespace metaevo::munet {

struct PretrainOptions {
  std::string from;          // system database whose root to start from ("" = none)
  std::string task;          // source task; "" = keep the random root
  int64_t validations = 10;  // the budget is validations x batches between
  int64_t batches_between_validations = 200;
  double learning_rate = 0.01;  // peak of the default warmup-cosine schedule
  template <class V>
  void visit(V& v) {
    v("from", from, "start from the root of this system database (e.g. one pretrained before)");
    v("task", task, "source task to pretrain the root on ('' = random root)");
    v("validations", validations, "validations during pretraining");
    v("batches_between_validations", batches_between_validations, "training batches between validations");
    v("learning_rate", learning_rate, "peak learning rate (warmup-cosine, momentum 0.9)");
  }
  void validate() const;
};

struct PretrainResult {
  double validation_accuracy = 0, test_accuracy = 0;
  int64_t steps = 0;
};

/// Makes a copy of `source`'s root (its tensors, locked to the root again) the root of `population`,
/// which must have the same ViT shape and no tasks yet; the root's hyperparameters stay `population`'s.
void adopt_root(Population& population, const Population& source, const std::string& origin);

/// Trains the root of `population` on `source` (batch size and validation cap from `train`).
PretrainResult pretrain_root(Population& population, const data::Splits& source, const PretrainOptions& o,
                             const TrainOptions& train, uint64_t seed);

}  // namespace metaevo::munet
