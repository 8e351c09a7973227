#include "metaevo/mlo/programs/common.h"

#include "metaevo/core/philox.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/datasets.h"
#include "metaevo/models/init.h"
#include "metaevo/models/zoo.h"

namespace metaevo::mlo {

Params to_device(const Params& params, torch::Device device) {
  Params out;
  for (const auto& p : params) out.push_back(p.to(device));
  return out;
}

Params init_mlp(const std::vector<int64_t>& sizes, uint64_t seed) {
  torch::nn::Sequential net;
  models::append_mlp(net, sizes);
  models::init_parameters(*net, seed);
  Params params;
  for (const auto& p : net->parameters()) params.push_back(p.detach().clone());
  return params;
}

torch::Tensor mlp_forward(const torch::Tensor& x, const Params& params) {
  auto h = x;
  for (size_t i = 0; i < params.size(); i += 2) {
    h = torch::nn::functional::linear(h, params[i], params[i + 1]);
    // In place: linear's backward does not keep its output, so this saves a layer's activations
    // at the peak of every forward pass without breaking the graph.
    if (i + 2 < params.size()) h.relu_();
  }
  return h;
}

torch::Tensor cross_entropy_term(const Params& mlp, const data::Split& split, const torch::Tensor& indices,
                                 const DataParallel& parallel) {
  const auto batch = split.rows(parallel.share(indices));
  return parallel.mean(
      torch::nn::functional::cross_entropy(mlp_forward(batch.x, mlp), batch.y,
                                           torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone)),
      indices.size(0));
}

double accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

namespace {

data::Splits synthetic(const ClassificationDataOptions& o, uint64_t seed) {
  const int64_t d = o.features, c = o.classes, informative = o.informative;
  const std::array<int64_t, 3> sizes{o.train_size, o.valid_size, o.test_size};
  // A teacher that uses only the first `informative` features: the rest are noise that per-feature
  // weight decay should learn to suppress.
  auto teacher = philox_normal({seed, 1, 0, 0}, c * d).view({c, d});
  teacher.narrow(1, informative, d - informative).zero_();
  data::Splits out;
  out.name = "synthetic";
  out.classes = c;
  data::Split* splits[] = {&out.train, &out.valid, &out.test};
  for (uint32_t s = 0; s < 3; ++s) {
    const auto x = philox_normal({seed, 2, s, 0}, sizes[s] * d).view({sizes[s], d});
    const auto noise = philox_normal({seed, 3, s, 0}, sizes[s] * c).view({sizes[s], c});
    *splits[s] = {x, (x.matmul(teacher.t()) / std::sqrt(double(informative)) + o.teacher_noise * noise).argmax(1)};
  }
  return out;
}

}  // namespace

void ClassificationDataOptions::validate() const {
  if (dataset == "synthetic") {
    require(features >= 1 && informative >= 1 && informative <= features, "informative",
            "must be in [1, features = {}], got {}", features, informative);
    require(classes >= 2, "classes", "must be >= 2, got {}", classes);
    require(train_size >= 1 && valid_size >= 1 && test_size >= 1, "train_size",
            "synthetic split sizes must be >= 1, got {}, {}, {}", train_size, valid_size, test_size);
    return;
  }
  data::require_dataset("dataset", dataset);
  const ClassificationDataOptions defaults;
  const std::pair<const char*, bool> synthetic_only[] = {{"features", features == defaults.features},
                                                         {"classes", classes == defaults.classes},
                                                         {"informative", informative == defaults.informative},
                                                         {"teacher_noise", teacher_noise == defaults.teacher_noise},
                                                         {"test_size", test_size == defaults.test_size}};
  for (const auto& [key, same] : synthetic_only)
    require(same, key, "applies only to dataset: synthetic (the data set is '{}')", dataset);
  require(train_size >= 0 && valid_size >= 0, "train_size", "must be >= 0, got {} and {}", train_size, valid_size);
}

data::Splits load_classification(const ClassificationDataOptions& o, uint64_t seed, const std::string& origin) {
  if (o.dataset == "synthetic") return synthetic(o, seed);
  data::Splits out;
  with_context(origin, [&] {
    out = data::load_dataset(o.dataset, data::data_dir_for(o.dataset, o.data_dir), {o.valid_size, o.train_size});
  });
  return out.map([](const torch::Tensor& x) { return x.flatten(1); });
}

}  // namespace metaevo::mlo
