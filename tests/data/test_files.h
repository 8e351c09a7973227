#pragma once
// Helpers shared by the data tests: a private temporary folder, IDX and gzip writers, a PNG encoder.
#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace metaevo::data::test {

namespace fs = std::filesystem;

// A fresh folder per test and process (ctest runs tests as parallel processes), removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("metaevo_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string file(const std::string& relative) const { return (path_ / relative).string(); }

 private:
  fs::path path_;
};

inline void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

// An IDX file's bytes: magic (0, 0, type, rank), the dimensions big-endian, then `data`.
inline std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& shape, const std::vector<uint8_t>& data,
                                      uint8_t type = 0x08) {
  std::vector<uint8_t> out = {0, 0, type, uint8_t(shape.size())};
  for (uint32_t d : shape)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(uint8_t(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(gzwrite(f, bytes.data(), unsigned(bytes.size())), int(bytes.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

// Encodes rows already laid out for (bit_depth, color_type), `row_bytes` bytes each. libpng's
// longjmp lands in this function, past which only trivially destructible locals are created.
inline std::vector<uint8_t> encode_png(const std::vector<uint8_t>& pixels, int width, int height, int bit_depth,
                                       int color_type, const std::vector<png_color>& palette = {}) {
  std::vector<uint8_t> out;
  std::vector<png_bytep> rows(size_t(height), nullptr);
  const size_t row_bytes = pixels.size() / size_t(height);
  for (int y = 0; y < height; ++y) rows[size_t(y)] = const_cast<png_bytep>(pixels.data()) + row_bytes * size_t(y);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng could not encode the test image";
    return {};
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        auto* o = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(p));
        o->insert(o->end(), data, data + n);
      },
      nullptr);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), bit_depth, color_type, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), int(palette.size()));
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A 1-bit grayscale PNG as in the Omniglot release: `gray` holds 0 (ink) or 255 per pixel.
inline std::vector<uint8_t> encode_png_1bit(const std::vector<uint8_t>& gray, int width, int height) {
  const int row_bytes = (width + 7) / 8;
  std::vector<uint8_t> packed(size_t(row_bytes * height), 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      if (gray[size_t(y * width + x)] >= 128) packed[size_t(y * row_bytes + x / 8)] |= uint8_t(0x80 >> (x % 8));
  return encode_png(packed, width, height, 1, PNG_COLOR_TYPE_GRAY);
}

}  // namespace metaevo::data::test
