#include "metaevo/es/problems/classification.h"

#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/es/chunks.h"
#include "metaevo/es/population_forward.h"
#include "metaevo/models/parameters.h"

namespace metaevo::es {

void ClassificationOptions::validate() const {
  data::require_dataset("dataset", dataset);
  require(batch >= 1, "batch", "must be >= 1, got {}", batch);
  require(eval_chunk >= 1, "eval_chunk", "must be >= 1, got {}", eval_chunk);
  require(fitness == "loss" || fitness == "accuracy", "fitness", "must be loss or accuracy, got '{}'", fitness);
}

ClassificationProblem::ClassificationProblem(const ClassificationOptions& o, const models::ModelOptions& model,
                                             uint64_t seed)
    : ClassificationProblem(o, model, seed,
                            // The whole training pool trains: ES reports on the test split only.
                            data::load_dataset(o.dataset, data::data_dir_for(o.dataset, o.data_dir), {0, 0})) {}

ClassificationProblem::ClassificationProblem(const ClassificationOptions& o, const models::ModelOptions& model,
                                             uint64_t seed, data::Splits data)
    : o_(o),
      seed_(seed),
      data_(std::move(data)),
      batches_(data_.train.size(), o.batch, mix64(seed, 0xBA7C4)),
      device_(parse_device(o.device)) {
  o_.validate();
  const auto shape = data_.train.x.sizes().slice(1).vec();
  model_ = models::make_classifier(model, shape, data_.classes, seed);
  layout_ = models::parameter_layout(*model_);
  initial_ = models::flatten_parameters(*model_);
  macs_ = forward_macs(model_, shape);
  model_->to(device_);
  data_.train = data_.train.to(device_);
}

torch::Tensor ClassificationProblem::batch_indices(int64_t generation) const { return batches_.indices(generation); }

torch::Tensor ClassificationProblem::evaluate(const Population& pop, int64_t begin, int64_t end) {
  auto idx = batch_indices(pop.generation).to(device_);
  const auto batch = data_.train.rows(idx);
  const auto& x = batch.x;
  const auto& y = batch.y;
  const PopulationForward forward(model_, pop, x);
  return evaluate_in_chunks(begin, end, o_.eval_chunk, device_.is_cpu(), [&](int64_t c0, int64_t c1) {
    auto logits = forward(c0, c1);  // [n, B, classes]
    if (o_.fitness == "loss") {
      auto logp = torch::log_softmax(logits, -1);
      return -logp.gather(2, y.view({1, -1, 1}).expand({logits.size(0), -1, 1})).squeeze(2).mean(1);
    }
    return logits.argmax(-1).eq(y.unsqueeze(0)).to(torch::kFloat32).mean(1);
  });
}

std::shared_ptr<torch::nn::Module> ClassificationProblem::model(const torch::Tensor& x) const {
  return models::with_flat_parameters(*model_, x);
}

nlohmann::json ClassificationProblem::report(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  models::load_flat_parameters(*model_, x.to(torch::kFloat32).to(device_));
  const auto& test = data_.test;
  int64_t correct = 0;
  double loss = 0;
  for (int64_t i = 0; i < test.size(); i += 1000) {
    const int64_t n = std::min<int64_t>(1000, test.size() - i);
    auto logits = model_->forward(test.x.narrow(0, i, n).to(device_));
    auto labels = test.y.narrow(0, i, n).to(device_);
    loss += torch::nn::functional::cross_entropy(
                logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                .item<double>();
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
  }
  const double n = double(test.size());
  return {{"test_acc", double(correct) / n}, {"test_loss", loss / n}};
}

}  // namespace metaevo::es
