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

#include "metaevo/data/png.h"

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

// Encodes rows already laid out for (bit_depth, color_type) with the library's encoder.
inline std::vector<uint8_t> encode_png(const std::vector<uint8_t>& pixels, int width, int height, int bit_depth,
                                       int color_type, const std::vector<png_color>& palette = {}) {
  std::vector<uint8_t> rgb;
  for (const auto& c : palette) rgb.insert(rgb.end(), {c.red, c.green, c.blue});
  const auto png = data::encode_png(pixels, width, height, bit_depth, color_type, rgb);
  return {png.begin(), png.end()};
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
