#pragma once
// Final weights a PyTorch user can load: the module's parameters and buffers under their
// named_parameters() / named_buffers() names ("1.weight", "3.running_mean"), written in PyTorch's
// own pickle format. In Python, `torch.load(path)` gives a state_dict that the equivalent torch.nn
// module takes with load_state_dict (README: "Using the weights in PyTorch").
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace metaevo::run {

void save_state_dict(const torch::nn::Module& module, const std::string& path);
/// The same for tensors named by their owner (a model that is not a torch::nn::Module).
void save_state_dict(const std::vector<std::pair<std::string, torch::Tensor>>& tensors, const std::string& path);

/// Loads a file written by save_state_dict into `module`, whose parameters and buffers must match
/// it name for name and shape for shape; anything else is an Error naming the file.
void load_state_dict(torch::nn::Module& module, const std::string& path);

}  // namespace metaevo::run
