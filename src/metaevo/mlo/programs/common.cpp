#include "metaevo/mlo/programs/common.h"

#include "metaevo/core/philox.h"
#include "metaevo/core/random_stream.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/dataset.h"
#include "metaevo/models/init.h"

namespace metaevo::mlo {

torch::Device program_device(const Config& program) {
  try {
    return parse_device(program.get<std::string>("device", "cpu"));
  } catch (const Error& e) {
    fail("{}: {}: {}", program.origin(), program.path("device"), e.what());
  }
}

Params to_device(const Params& params, torch::Device device) {
  Params out;
  for (const auto& p : params) out.push_back(p.to(device));
  return out;
}

Params init_mlp(const std::vector<int64_t>& sizes, uint64_t seed) {
  torch::nn::Sequential net;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) net->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
  models::init_parameters(*net, seed);
  Params params;
  for (const auto& p : net->parameters()) params.push_back(p.detach().clone());
  return params;
}

torch::Tensor mlp_forward(const torch::Tensor& x, const Params& params) {
  auto h = x;
  for (size_t i = 0; i < params.size(); i += 2) {
    h = torch::nn::functional::linear(h, params[i], params[i + 1]);
    if (i + 2 < params.size()) h = torch::relu(h);
  }
  return h;
}

double accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).to(torch::kFloat64).mean().item<double>();
}

namespace {

ClassificationData synthetic(const Config& program, uint64_t seed) {
  const auto d = program.get<int64_t>("features", 100);
  const auto c = program.get<int64_t>("classes", 2);
  const auto informative = program.get<int64_t>("informative", 10);
  const auto label_noise = program.get<double>("teacher_noise", 1.0);
  METAEVO_CHECK(d >= 1 && c >= 2 && informative >= 1 && informative <= d,
                "{}: {}: need features >= informative >= 1 and classes >= 2", program.origin(),
                program.path("features"));
  const std::array<int64_t, 3> sizes{program.get<int64_t>("train_size", 100), program.get<int64_t>("valid_size", 100),
                                     program.get<int64_t>("test_size", 2000)};
  for (auto n : sizes)
    METAEVO_CHECK(n >= 1, "{}: {}: split sizes must be >= 1", program.origin(), program.path("train_size"));
  // A teacher that uses only the first `informative` features: the rest are noise that per-feature
  // weight decay should learn to suppress.
  auto teacher = philox_normal({seed, 1, 0, 0}, c * d).view({c, d});
  teacher.narrow(1, informative, d - informative).zero_();
  ClassificationData out;
  out.classes = c;
  Split* splits[] = {&out.train, &out.valid, &out.test};
  for (uint32_t s = 0; s < 3; ++s) {
    const auto x = philox_normal({seed, 2, s, 0}, sizes[s] * d).view({sizes[s], d});
    const auto noise = philox_normal({seed, 3, s, 0}, sizes[s] * c).view({sizes[s], c});
    *splits[s] = {x, (x.matmul(teacher.t()) / std::sqrt(double(informative)) + label_noise * noise).argmax(1)};
  }
  return out;
}

ClassificationData images(const Config& program, const std::string& name, uint64_t seed) {
  const auto all = data::load_mnist_like(data::resolve_data_dir(name, program.get<std::string>("data_dir", "")), name);
  const auto n_train = program.get<int64_t>("train_size", 50000);
  const auto n_valid = program.get<int64_t>("valid_size", 10000);
  const int64_t n = all.train.images.size(0);
  METAEVO_CHECK(n_train >= 1 && n_valid >= 1 && n_train + n_valid <= n,
                "{}: {}: train_size + valid_size must be in [2, {}]", program.origin(), program.path("train_size"), n);
  RandomStream stream(seed, 4);
  const auto order = torch::tensor(permutation(n, stream), torch::kInt64);
  auto flat = [](const data::Dataset& d) { return Split{d.images.flatten(1), d.labels}; };
  const Split train = flat(all.train);
  return {train.rows(order.narrow(0, 0, n_train)), train.rows(order.narrow(0, n_train, n_valid)), flat(all.test),
          all.train.num_classes};
}

}  // namespace

ClassificationData load_classification(const Config& program, uint64_t seed) {
  const auto name = program.get<std::string>("dataset", "synthetic");
  if (name == "synthetic") return synthetic(program, seed);
  if (name == "fashion-mnist" || name == "mnist") return images(program, name, seed);
  fail("{}: {}: unknown '{}' (synthetic, fashion-mnist, mnist)", program.origin(), program.path("dataset"), name);
}

}  // namespace metaevo::mlo
