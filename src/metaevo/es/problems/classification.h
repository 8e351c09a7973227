#pragma once
// Supervised classification as an ES problem: every member of a generation is scored on the same
// minibatch (common random numbers, EvoTorch's `common_minibatch`), drawn from a counter-based
// stream keyed by (seed, generation), so any process and any resumed run draws the same batch.
#include <torch/torch.h>

#include "metaevo/core/options.h"
#include "metaevo/data/batches.h"
#include "metaevo/data/datasets.h"
#include "metaevo/es/problem.h"
#include "metaevo/models/zoo.h"

namespace metaevo::es {

struct ClassificationOptions {
  std::string dataset = "fashion-mnist";  // a registered data set
  std::string data_dir;                   // empty: resolve_data_dir's search order
  int64_t batch = 256;                    // examples per generation, shared by all members
  int64_t eval_chunk = 16;                // members per batched forward (aligned to absolute indices)
  std::string fitness = "loss";           // loss (minimised) | accuracy (maximised)
  std::string device = "cpu";             // cpu | cuda | cuda:N
  template <class V>
  void visit(V& v) {
    v("dataset", dataset, "registered data set (fashion-mnist, mnist, mnist-rot:90, omniglot:Greek, ...)");
    v("data_dir", data_dir, "the data set's folder (default: METAEVO_DATA_DIR or the standard places)");
    v("batch", batch, "minibatch size shared by every member of a generation");
    v("eval_chunk", eval_chunk, "members evaluated per batched forward");
    v("fitness", fitness, "loss (cross-entropy, minimised) | accuracy (maximised)");
    v("device", device, "cpu | cuda | cuda:N");
  }
  void validate() const;
};

class ClassificationProblem : public Problem {
 public:
  ClassificationProblem(const ClassificationOptions& options, const models::ModelOptions& model, uint64_t seed);
  ClassificationProblem(const ClassificationOptions& options, const models::ModelOptions& model, uint64_t seed,
                        data::Splits data);

  Layout layout() const override { return layout_; }
  torch::Tensor initial() const override { return initial_; }
  Sense sense() const override { return o_.fitness == "loss" ? Sense::kMinimize : Sense::kMaximize; }
  torch::Tensor evaluate(const Population& pop, int64_t begin, int64_t end) override;
  /// Test-set accuracy and loss of a parameter vector.
  nlohmann::json report(const torch::Tensor& x) override;
  std::shared_ptr<torch::nn::Module> model(const torch::Tensor& x) const override;
  double flops_per_eval() const override { return 2.0 * macs_ * double(o_.batch); }
  int64_t eval_chunk() const override { return o_.eval_chunk; }

  int64_t parameter_count() const { return layout_.dim(); }
  /// Examples of generation g's minibatch (indices into the training set).
  torch::Tensor batch_indices(int64_t generation) const;

 private:
  ClassificationOptions o_;
  uint64_t seed_;
  data::Splits data_;
  data::Batches batches_;
  torch::nn::Sequential model_;
  Layout layout_;
  torch::Tensor initial_;
  torch::Device device_;
  double macs_;
};

}  // namespace metaevo::es
