#pragma once
// A problem's arithmetic (`precision: fp32 | bf16`; fp16 would need loss scaling and is refused): with bf16 its losses
// are computed under autocast, so products and convolutions run in bfloat16 and keep their activations for the backward
// pass in it, while parameters, gradients, optimizer states and every hypergradient product stay float32 (autocast
// leaves float32 leaves as they are and returns their gradients in float32). bf16 has float32's range, so it needs no
// loss scaling. The guard wraps LibTorch's autocast switches, whose API changed in 2.4.
#include <torch/torch.h>

namespace metaevo::mlo {

enum class Precision { fp32, bf16 };

/// Whether autocast is on for computations on `device` (the switch LibTorch 2.4 renamed).
bool autocast_enabled(const torch::Device& device);

/// Autocast to `precision` for computations on `device` while alive; nothing for fp32. Nests, and
/// restores the previous state.
class Autocast {
 public:
  Autocast(Precision precision, const torch::Device& device);
  ~Autocast();
  Autocast(const Autocast&) = delete;
  Autocast& operator=(const Autocast&) = delete;

 private:
  bool active_ = false, cuda_ = false, was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace metaevo::mlo
