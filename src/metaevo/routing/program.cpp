#include "metaevo/routing/program.h"

#include <algorithm>

#include "metaevo/core/error.h"
#include "metaevo/core/options.h"
#include "metaevo/data/datasets.h"

namespace metaevo::routing {

void RouteDataOptions::validate() const {
  require(!tasks.empty(), "tasks", "must list at least one data set");
  for (size_t i = 0; i < tasks.size(); ++i) {
    try {
      data::check_dataset_name(tasks[i]);
    } catch (const Error& e) {
      throw OptionError("tasks", fmt::format("[{}]: {}", i, e.what()));
    }
    for (size_t j = 0; j < i; ++j) require(tasks[j] != tasks[i], "tasks", "lists '{}' twice", tasks[i]);
  }
}

std::vector<data::Splits> RouteDataOptions::load() const {
  for (const auto& t : tasks) data::check_dataset_data(t, data::data_dir_for(t, data_dir));
  std::vector<data::Splits> out;
  for (const auto& t : tasks) out.push_back(data::load_dataset(t, data::data_dir_for(t, data_dir)));
  return out;
}

void RouteTrainOptions::validate() const {
  require(steps >= 1, "steps", "must be >= 1, got {}", steps);
  require(eval_every >= 1, "eval_every", "must be >= 1, got {}", eval_every);
}

double accuracy(const data::Split& split, const std::function<torch::Tensor(const torch::Tensor&)>& logits_of,
                int64_t batch) {
  torch::NoGradGuard no_grad;
  double correct = 0;
  for (int64_t begin = 0; begin < split.size(); begin += batch) {
    const auto part = split.slice(begin, std::min(split.size(), begin + batch));
    correct += logits_of(part.x).argmax(1).eq(part.y).sum().item<double>();
  }
  return correct / std::max<double>(1, double(split.size()));
}

void clear_grads(const std::vector<torch::Tensor>& params) {
  for (const auto& p : params) p.mutable_grad() = torch::Tensor();
}

std::unique_ptr<Program> make_program(const Config& program, uint64_t seed) {
  const auto type = program.get<std::string>("type", "gumbel_matrix");
  return ProgramRegistry::instance().create(type, program.origin() + ": " + program.path("type"), program, seed);
}

}  // namespace metaevo::routing
