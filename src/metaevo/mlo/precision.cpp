#include "metaevo/mlo/precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include "metaevo/core/error.h"

// LibTorch 2.4 replaced the per-device switches (set_cpu_enabled, set_autocast_gpu_dtype, ...)
// by ones taking the device type.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define METAEVO_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace metaevo::mlo {
namespace {

at::ScalarType autocast_dtype(bool cuda) {
#ifdef METAEVO_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(bool cuda, bool enabled, at::ScalarType dtype) {
#ifdef METAEVO_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, enabled);
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
#else
  if (cuda) {
    at::autocast::set_enabled(enabled);
    at::autocast::set_autocast_gpu_dtype(dtype);
  } else {
    at::autocast::set_cpu_enabled(enabled);
    at::autocast::set_autocast_cpu_dtype(dtype);
  }
#endif
}

}  // namespace

Precision precision_of(const Choice& choice) {
  const auto& name = choice.name;
  require(name == "fp32" || name == "bf16" || name == "fp16", "precision",
          "unknown '{}' (choose one of: fp32, bf16, fp16)", name);
  require(name == "fp16" || choice.settings.empty(), "precision",
          "{} takes no settings (fp16 takes its loss scaling's)", name);
  return name == "fp16" ? Precision::fp16 : name == "bf16" ? Precision::bf16 : Precision::fp32;
}

bool autocast_enabled(const torch::Device& device) {
#ifdef METAEVO_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(device.type());
#else
  return device.is_cuda() ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

Autocast::Autocast(Precision precision, const torch::Device& device) {
  if (precision == Precision::fp32) return;
  active_ = true;
  cuda_ = device.is_cuda();
  was_enabled_ = autocast_enabled(device);
  previous_dtype_ = autocast_dtype(cuda_);
  METAEVO_CHECK(cuda_ || precision == Precision::bf16, "precision: fp16 needs a CUDA device (this problem is on {})",
                device.str());
  set_autocast(cuda_, true, precision == Precision::fp16 ? at::kHalf : at::kBFloat16);
  at::autocast::increment_nesting();
}

Autocast::~Autocast() {
  if (!active_) return;
  // Float32 weights cast for the region are cached until its outermost level ends.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast(cuda_, was_enabled_, previous_dtype_);
}

}  // namespace metaevo::mlo
