#pragma once
// Pieces the example programs share: functional MLPs (parameters as a plain list, so problems can
// swap them) and the classification data they train on.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/core/config.h"
#include "metaevo/data/splits.h"
#include "metaevo/mlo/data_parallel.h"
#include "metaevo/mlo/optimizer.h"

namespace metaevo::mlo {

Params to_device(const Params& params, torch::Device device);

/// Weights and biases of an MLP with layer sizes `sizes` (torch.nn.Linear's initialisation), on
/// the CPU: the same numbers whatever the device.
Params init_mlp(const std::vector<int64_t>& sizes, uint64_t seed);
/// ReLU between layers, none after the last.
torch::Tensor mlp_forward(const torch::Tensor& x, const Params& params);

/// A program's classification data (keys of its `program` block): `dataset: synthetic`, a sparse
/// linear teacher over Gaussian features, or a registered data set, flattened and cut by the one
/// rule: `valid_size` examples from the end of its training pool validate, the first `train_size`
/// of the others train (0: all of them). The synthetic keys apply to synthetic data only.
struct ClassificationDataOptions {
  std::string dataset = "synthetic";
  std::string data_dir;
  int64_t train_size = 100, valid_size = 100, test_size = 2000;
  int64_t features = 100, classes = 2, informative = 10;
  double teacher_noise = 1.0;
  template <class V>
  void visit(V& v) {
    v("dataset", dataset, "synthetic | a registered data set (fashion-mnist, mnist, ...)");
    v("data_dir", data_dir, "the data set's folder (empty: METAEVO_DATA_DIR or the standard place)");
    v("train_size", train_size, "training examples (a data set: the first of its pool not held out; 0 = all)");
    v("valid_size", valid_size, "validation examples (a data set: held out from the end of its pool)");
    v("test_size", test_size, "synthetic: test examples (a data set tests on its test split)");
    v("features", features, "synthetic: features");
    v("classes", classes, "synthetic: classes");
    v("informative", informative, "synthetic: the features the teacher uses");
    v("teacher_noise", teacher_noise, "synthetic: scale of the Gaussian noise on the teacher's logits");
  }
  void validate() const;
};

/// The data `o` names; `origin` ("file: program.dataset") prefixes errors from reading it.
data::Splits load_classification(const ClassificationDataOptions& o, uint64_t seed, const std::string& origin);

/// This process's term (data_parallel.h) of the mean cross-entropy of the MLP `mlp` over the
/// global batch `indices` of `split`: the losses of its share over the batch size.
torch::Tensor cross_entropy_term(const Params& mlp, const data::Split& split, const torch::Tensor& indices,
                                 const DataParallel& parallel);

/// Accuracy of logits against labels.
double accuracy(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace metaevo::mlo
