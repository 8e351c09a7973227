#pragma once
// A problem's arithmetic (`precision: fp32 | bf16 | fp16`): with bf16 or fp16 its losses are computed under autocast,
// so products and convolutions run in the half type and keep their activations for the backward pass in it, while
// parameters, gradients, optimizer states and every hypergradient product stay float32 (autocast leaves float32 leaves
// as they are and returns their gradients in float32). bf16 has float32's range and needs no loss scaling; fp16 does
// (loss_scaler.h) and runs on CUDA only (LibTorch 1.13's CPU autocast knows only bfloat16). The guard wraps LibTorch's
// autocast switches, whose API changed in 2.4.
#include <torch/torch.h>

#include "metaevo/core/options.h"

namespace metaevo::mlo {

enum class Precision { fp32, bf16, fp16 };

/// The precision a `precision` choice names; an unknown name, or settings for another precision
/// than fp16 (whose settings are its loss scaling's), is an OptionError on "precision".
Precision precision_of(const Choice& choice);

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
