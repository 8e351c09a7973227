#pragma once
// Reading the weights.pt files the CLI writes (PyTorch's pickle format, as torch.load reads it).
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "metaevo/core/atomic_file.h"

namespace metaevo::testing {

/// name -> tensor of a state_dict file written by run::save_state_dict.
inline std::map<std::string, torch::Tensor> load_state_dict(const std::string& path) {
  const auto bytes = read_file(path);
  const auto value = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  std::map<std::string, torch::Tensor> out;
  for (const auto& entry : value.toGenericDict()) out[entry.key().toStringRef()] = entry.value().toTensor();
  return out;
}

/// The same names with bitwise equal tensors.
inline bool equal_state_dicts(const std::string& a, const std::string& b) {
  const auto x = load_state_dict(a), y = load_state_dict(b);
  if (x.size() != y.size() || x.empty()) return false;
  for (const auto& [name, t] : x)
    if (!y.count(name) || !torch::equal(t, y.at(name))) return false;
  return true;
}

}  // namespace metaevo::testing
