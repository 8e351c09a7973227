#include "metaevo/data/png.h"

#include <png.h>

#include <cstdio>
#include <cstring>

#include "metaevo/core/error.h"

namespace metaevo::data {
namespace {

// libpng reports errors by longjmp. Only the functions below run between setjmp and longjmp, and
// they hold nothing with a destructor, so no C++ object is ever skipped over; the caller turns the
// saved message into an exception once libpng is out of the way.
struct Reader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const png_byte* data = nullptr;
  size_t size = 0, pos = 0;
  char message[200] = "unknown libpng error";
};

void on_error(png_structp png, png_const_charp message) {
  auto* r = static_cast<Reader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings (e.g. an sRGB profile libpng dislikes) do not change the pixels.
void on_warning(png_structp, png_const_charp) {}

void read_bytes(png_structp png, png_bytep out, png_size_t n) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (n > r->size - r->pos) png_error(png, "truncated PNG data");
  std::memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

// Sets up transforms so that every row comes out as 8-bit (gray, alpha) pairs.
bool read_header(Reader& r, png_uint_32& width, png_uint_32& height) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_set_read_fn(r.png, &r, read_bytes);
  png_read_info(r.png, r.info);
  const int color = png_get_color_type(r.png, r.info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(r.png, r.info) < 8) png_set_expand_gray_1_2_4_to_8(r.png);
  if (png_get_valid(r.png, r.info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r.png);
  png_set_strip_16(r.png);
  if (color & PNG_COLOR_MASK_COLOR) png_set_rgb_to_gray_fixed(r.png, 1, -1, -1);
  png_set_add_alpha(r.png, 0xff, PNG_FILLER_AFTER);
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  if (png_get_rowbytes(r.png, r.info) != 2 * png_get_image_width(r.png, r.info))
    png_error(r.png, "unexpected row layout after conversion to gray + alpha");
  width = png_get_image_width(r.png, r.info);
  height = png_get_image_height(r.png, r.info);
  return true;
}

bool read_rows(Reader& r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  png_read_end(r.png, nullptr);
  return true;
}

struct Writer {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string out;
  char message[200] = "unknown libpng error";
};

void on_write_error(png_structp png, png_const_charp message) {
  auto* w = static_cast<Writer*>(png_get_error_ptr(png));
  std::snprintf(w->message, sizeof w->message, "%s", message);
  png_longjmp(png, 1);
}

void write_bytes(png_structp png, png_bytep data, png_size_t n) {
  static_cast<Writer*>(png_get_io_ptr(png))->out.append(reinterpret_cast<const char*>(data), n);
}

void flush_bytes(png_structp) {}

bool write_image(Writer& w, png_uint_32 width, png_uint_32 height, int bit_depth, int color_type,
                 const std::vector<png_color>& palette, png_bytepp rows) {
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_set_write_fn(w.png, &w, write_bytes, flush_bytes);
  png_set_IHDR(w.png, w.info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(w.png, w.info, palette.data(), int(palette.size()));
  png_write_info(w.png, w.info);
  png_write_image(w.png, rows);
  png_write_end(w.png, nullptr);
  return true;
}

}  // namespace

std::string encode_png(const std::vector<uint8_t>& pixels, int width, int height, int bit_depth, int color_type,
                       const std::vector<uint8_t>& palette) {
  METAEVO_CHECK(width > 0 && height > 0 && !pixels.empty() && pixels.size() % size_t(height) == 0,
                "encode_png: {} bytes are not {} rows of a {}-pixel-wide image", pixels.size(), height, width);
  std::vector<png_color> colors;
  for (size_t i = 0; i + 2 < palette.size(); i += 3) colors.push_back({palette[i], palette[i + 1], palette[i + 2]});
  Writer w;
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_write_error, on_warning);
  if (w.png) w.info = png_create_info_struct(w.png);
  struct Destroy {
    Writer& w;
    ~Destroy() { png_destroy_write_struct(&w.png, w.info ? &w.info : nullptr); }
  } destroy{w};
  if (!w.info) fail("out of memory creating the PNG writer");
  const size_t row_bytes = pixels.size() / size_t(height);
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = const_cast<png_bytep>(pixels.data()) + y * row_bytes;
  if (!write_image(w, png_uint_32(width), png_uint_32(height), bit_depth, color_type, colors, rows.data()))
    fail("writing a PNG: {}", w.message);
  return std::move(w.out);
}

std::string encode_png_gray(const torch::Tensor& gray) {
  METAEVO_CHECK(gray.dim() == 2 && gray.scalar_type() == torch::kUInt8 && gray.numel() > 0,
                "encode_png_gray: expected a uint8 [H, W] image, got {} {}", c10::toString(gray.scalar_type()),
                c10::str(gray.sizes()));
  const auto pixels = gray.cpu().contiguous();
  const auto* p = pixels.data_ptr<uint8_t>();
  return encode_png({p, p + pixels.numel()}, int(pixels.size(1)), int(pixels.size(0)), 8, PNG_COLOR_TYPE_GRAY);
}

torch::Tensor decode_png_gray(const void* data, size_t size, const std::string& origin) {
  Reader r;
  r.data = static_cast<const png_byte*>(data);
  r.size = size;
  if (size < 8 || png_sig_cmp(r.data, 0, 8) != 0) fail("{}: not a PNG file (bad signature)", origin);
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
  if (r.png) r.info = png_create_info_struct(r.png);
  struct Destroy {
    Reader& r;
    ~Destroy() { png_destroy_read_struct(&r.png, r.info ? &r.info : nullptr, nullptr); }
  } destroy{r};
  if (!r.info) fail("{}: out of memory creating the PNG reader", origin);

  png_uint_32 width = 0, height = 0;
  if (!read_header(r, width, height)) fail("{}: bad PNG: {}", origin, r.message);
  auto gray_alpha = torch::empty({int64_t(height), int64_t(width), 2}, torch::kUInt8);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = gray_alpha.data_ptr<uint8_t>() + 2 * size_t(width) * y;
  if (!read_rows(r, rows.data())) fail("{}: bad PNG: {}", origin, r.message);

  // Composite onto white: a transparent background must not read as ink.
  const uint8_t* in = gray_alpha.data_ptr<uint8_t>();
  auto out = torch::empty({int64_t(height), int64_t(width)}, torch::kUInt8);
  uint8_t* o = out.data_ptr<uint8_t>();
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    const int g = in[2 * i], a = in[2 * i + 1];
    o[i] = uint8_t((g * a + 255 * (255 - a) + 127) / 255);
  }
  return out;
}

}  // namespace metaevo::data
