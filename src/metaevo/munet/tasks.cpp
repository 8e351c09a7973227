#include "metaevo/munet/tasks.h"

#include "metaevo/core/error.h"

namespace metaevo::munet {

torch::Tensor to_task_images(const torch::Tensor& images) {
  METAEVO_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(2) <= 32 && images.size(3) <= 32,
                "the ViT takes one-channel images of at most 32 x 32, got [{}]", fmt::join(images.sizes(), ", "));
  const int64_t pad_w = 32 - images.size(3), pad_h = 32 - images.size(2);
  return torch::constant_pad_nd(images, {pad_w / 2, pad_w - pad_w / 2, pad_h / 2, pad_h - pad_h / 2}, 0.0) * 2 - 1;
}

data::Splits load_task(const std::string& name, const data::DataDirs& dirs) {
  const auto task = data::load_dataset(name, dirs);
  data::Splits out;
  with_context("task '" + name + "'", [&] { out = task.map(to_task_images); });
  return out;
}

}  // namespace metaevo::munet
