#pragma once
// The tasks a multitask system learns are registered data sets (data/datasets.h), by name:
// "mnist", "fashion-mnist", "mnist-rot:<degrees>", "mnist-perm:<seed>", "omniglot:<Alphabet>",
// "omniglot-set:background|evaluation", or any other registration. Each data set's default
// validation split holds out (the last 5,000 training images of an IDX set, 15% of each Omniglot
// character's drawers); images are padded to 32 x 32 and scaled to [-1, 1] for the ViT.
#include <torch/torch.h>

#include <string>

#include "metaevo/data/datasets.h"

namespace metaevo::munet {

/// Task `name` as the ViT sees it; an Error naming it if unknown or its data is absent.
data::Splits load_task(const std::string& name, const data::DataDirs& dirs);

/// [N, 1, h, w] in [0, 1], h, w <= 32 -> [N, 1, 32, 32] in [-1, 1].
torch::Tensor to_task_images(const torch::Tensor& images);

}  // namespace metaevo::munet
