#pragma once
// Inference with a grown system: one task's retained path on images.
#include <torch/torch.h>

#include <string>

#include "metaevo/munet/population.h"

namespace metaevo::munet {

/// Class probabilities [N, classes] of `images` ([N, 1, h, w] in [0, 1], h, w <= 32, bright
/// strokes on a dark background as in the task's data) by the retained path of `task`; an Error
/// naming the task when the system has none.
torch::Tensor predict(const Population& system, const std::string& task, const torch::Tensor& images);

}  // namespace metaevo::munet
