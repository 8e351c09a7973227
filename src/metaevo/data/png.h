#pragma once
// PNG decoding (libpng) to 8-bit grayscale.
#include <torch/torch.h>

#include <cstddef>
#include <string>

namespace metaevo::data {

/// Decodes the PNG in `data[0, size)` to a uint8 [H, W] tensor of gray levels (0 black, 255
/// white). Palette, 1/2/4/16-bit, RGB (ITU-R 709 luma weights) and alpha (composited onto white)
/// are converted. A malformed or truncated PNG is an Error naming `origin` (a file or an archive
/// entry). Omniglot's images are 1-bit, so they decode to 0 on the stroke and 255 elsewhere.
torch::Tensor decode_png_gray(const void* data, size_t size, const std::string& origin);

}  // namespace metaevo::data
