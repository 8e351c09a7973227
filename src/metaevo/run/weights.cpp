#include "metaevo/run/weights.h"

#include <torch/csrc/jit/serialization/pickle.h>

#include "metaevo/core/atomic_file.h"

namespace metaevo::run {

void save_state_dict(const torch::nn::Module& module, const std::string& path) {
  c10::Dict<std::string, at::Tensor> state;
  for (const auto& p : module.named_parameters()) state.insert(p.key(), p.value().detach().cpu().contiguous());
  for (const auto& b : module.named_buffers()) state.insert(b.key(), b.value().detach().cpu().contiguous());
  const auto bytes = torch::pickle_save(state);
  write_file_atomic(path, std::string(bytes.begin(), bytes.end()));
}

}  // namespace metaevo::run
