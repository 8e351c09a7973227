#pragma once
// A module's parameters as one flat vector, in `parameters()` order — the search space of ES.
#include <torch/torch.h>

#include "metaevo/models/layout.h"

namespace metaevo::models {

/// One segment per parameter tensor, named as in named_parameters().
Layout parameter_layout(const torch::nn::Module& module);
torch::Tensor flatten_parameters(const torch::nn::Module& module);
/// Copies `flat` ([dim]) into the module's parameters; a length mismatch is an Error.
void load_flat_parameters(torch::nn::Module& module, const torch::Tensor& flat);
/// A copy of `module` (same device) holding `flat` as its parameters.
std::shared_ptr<torch::nn::Module> with_flat_parameters(const torch::nn::Module& module, const torch::Tensor& flat);
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace metaevo::models
