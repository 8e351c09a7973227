#pragma once
// Two stored muNet systems side by side: each task's first path's tensors, for tests that compare
// the systems two runs grew (thread counts, devices).
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "metaevo/munet/system_store.h"

namespace metaevo::testing {

/// Calls `compare(a, b, what)` for every tensor of every task's first path in the system stored
/// at `a_db` and its namesake at `b_db`; returns how many pairs it compared.
inline int64_t compare_system_tensors(
    const std::string& a_db, const std::string& b_db,
    const std::function<void(const torch::Tensor&, const torch::Tensor&, const std::string&)>& compare) {
  std::vector<munet::TaskIteration> history;
  const auto a = munet::load_system(a_db, history);
  const auto b = munet::load_system(b_db, history);
  int64_t compared = 0;
  for (const auto& task : a.tasks())
    for (const auto& [name, component] : a.paths(task).at(0)->components) {
      const auto& other = b.paths(task).at(0)->components.at(name);
      for (size_t i = 0; i < component->tensors().size(); ++i, ++compared)
        compare(component->tensors()[i], other->tensors()[i], task + " " + name);
    }
  return compared;
}

}  // namespace metaevo::testing
