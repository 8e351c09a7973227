#pragma once
// PNG decoding (libpng) to 8-bit grayscale, and encoding of 8-bit grayscale.
#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace metaevo::data {

/// Decodes the PNG in `data[0, size)` to a uint8 [H, W] tensor of gray levels (0 black, 255
/// white). Palette, 1/2/4/16-bit, RGB (ITU-R 709 luma weights) and alpha (composited onto white)
/// are converted. A malformed or truncated PNG is an Error naming `origin` (a file or an archive
/// entry). Omniglot's images are 1-bit, so they decode to 0 on the stroke and 255 elsewhere.
torch::Tensor decode_png_gray(const void* data, size_t size, const std::string& origin);

/// A PNG file of `height` rows laid out for (bit_depth, color_type) as libpng takes them, all of
/// `pixels.size() / height` bytes; color_type is one of libpng's PNG_COLOR_TYPE_*, and `palette`
/// holds (r, g, b) triples for PNG_COLOR_TYPE_PALETTE.
std::string encode_png(const std::vector<uint8_t>& pixels, int width, int height, int bit_depth, int color_type,
                       const std::vector<uint8_t>& palette = {});

/// The 8-bit grayscale PNG file of a uint8 [H, W] tensor.
std::string encode_png_gray(const torch::Tensor& gray);

}  // namespace metaevo::data
