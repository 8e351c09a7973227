#include "metaevo/munet/predict.h"

#include "metaevo/munet/tasks.h"

namespace metaevo::munet {

torch::Tensor predict(const Population& system, const std::string& task, const torch::Tensor& images) {
  const auto& paths = system.paths(task);
  METAEVO_CHECK(!paths.empty(), "no task '{}' in this system (it has: {})", task, fmt::join(system.tasks(), ", "));
  METAEVO_CHECK(images.dim() == 4 && images.size(1) == 1 && images.size(2) <= 32 && images.size(3) <= 32,
                "images must be [N, 1, h, w] with h, w <= 32, got {}", c10::str(images.sizes()));
  torch::NoGradGuard no_grad;
  return torch::softmax(
             paths.front()->forward(to_task_images(images.to(torch::kFloat32)).to(system.device()), system.vit()), 1)
      .cpu();
}

}  // namespace metaevo::munet
