#include "metaevo/run/weights.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"

namespace metaevo::run {

void save_state_dict(const std::vector<std::pair<std::string, torch::Tensor>>& tensors, const std::string& path) {
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& [name, t] : tensors) state.insert(name, t.detach().cpu().contiguous());
  const auto bytes = torch::pickle_save(state);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

void save_state_dict(const torch::nn::Module& module, const std::string& path) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& p : module.named_parameters()) tensors.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers()) tensors.emplace_back(b.key(), b.value());
  save_state_dict(tensors, path);
}

void load_state_dict(torch::nn::Module& module, const std::string& path) {
  std::string bytes;
  try {
    bytes = read_file(path);
  } catch (const std::exception& e) {
    fail("{}: cannot read the weights: {}", path, e.what());
  }
  c10::IValue value;
  try {
    value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  } catch (const std::exception&) {
    fail("{}: not a weights file (a pickled state_dict) of metaevo", path);
  }
  METAEVO_CHECK(value.isGenericDict(), "{}: not a state_dict (a pickled dictionary of tensors)", path);
  const auto state = value.toGenericDict();
  size_t matched = 0;
  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor target) {
    const auto it = state.find(name);
    METAEVO_CHECK(it != state.end() && it->value().isTensor(), "{}: no tensor '{}': the weights are of another model",
                  path, name);
    const auto source = it->value().toTensor();
    METAEVO_CHECK(source.sizes() == target.sizes(), "{}: '{}' has shape {}, the model needs {}", path, name,
                  c10::str(source.sizes()), c10::str(target.sizes()));
    target.copy_(source);
    ++matched;
  };
  for (auto& p : module.named_parameters()) copy(p.key(), p.value());
  for (auto& b : module.named_buffers()) copy(b.key(), b.value());
  METAEVO_CHECK(matched == state.size(), "{}: holds {} tensors, the model has {}: the weights are of another model",
                path, state.size(), matched);
}

}  // namespace metaevo::run
