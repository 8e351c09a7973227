#include "metaevo/data/png.h"

#include <gtest/gtest.h>

#include "metaevo/core/error.h"
#include "test_files.h"

namespace metaevo::data {
namespace {

using test::encode_png;
using test::encode_png_1bit;

std::vector<uint8_t> pixels(const torch::Tensor& t) {
  return {t.data_ptr<uint8_t>(), t.data_ptr<uint8_t>() + t.numel()};
}

TEST(DataPng, OneBitGrayIsBlackInkOnWhite) {
  // 10 wide: the second byte of each row is partly padding.
  std::vector<uint8_t> gray(10 * 3, 255);
  gray[0] = gray[9] = gray[14] = gray[29] = 0;
  const auto png = encode_png_1bit(gray, 10, 3);
  const auto t = decode_png_gray(png.data(), png.size(), "one.png");
  ASSERT_EQ(t.sizes(), torch::IntArrayRef({3, 10}));
  EXPECT_EQ(pixels(t), gray);
}

TEST(DataPng, EightAndSixteenBitGray) {
  const std::vector<uint8_t> gray = {0, 17, 128, 255, 3, 99};
  const auto png8 = encode_png(gray, 3, 2, 8, PNG_COLOR_TYPE_GRAY);
  EXPECT_EQ(pixels(decode_png_gray(png8.data(), png8.size(), "eight.png")), gray);
  // 16-bit samples are big-endian; stripping keeps the high byte.
  const std::vector<uint8_t> wide = {0xff, 0xff, 0x80, 0x10, 0x00, 0xff};
  const auto png16 = encode_png(wide, 3, 1, 16, PNG_COLOR_TYPE_GRAY);
  EXPECT_EQ(pixels(decode_png_gray(png16.data(), png16.size(), "sixteen.png")), (std::vector<uint8_t>{255, 128, 0}));
}

TEST(DataPng, RgbPaletteAndAlpha) {
  const std::vector<uint8_t> rgb = {0, 0, 0, 255, 255, 255, 90, 90, 90};
  const auto png_rgb = encode_png(rgb, 3, 1, 8, PNG_COLOR_TYPE_RGB);
  EXPECT_EQ(pixels(decode_png_gray(png_rgb.data(), png_rgb.size(), "rgb.png")), (std::vector<uint8_t>{0, 255, 90}));

  const std::vector<png_color> palette = {{255, 255, 255}, {0, 0, 0}};
  const auto png_palette = encode_png({1, 0, 1}, 3, 1, 8, PNG_COLOR_TYPE_PALETTE, palette);
  EXPECT_EQ(pixels(decode_png_gray(png_palette.data(), png_palette.size(), "palette.png")),
            (std::vector<uint8_t>{0, 255, 0}));

  // Transparent pixels read as white background whatever their color; half-transparent ones blend.
  const std::vector<uint8_t> gray_alpha = {0, 255, 0, 0, 0, 128, 40, 255};
  const auto png_alpha = encode_png(gray_alpha, 4, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA);
  EXPECT_EQ(pixels(decode_png_gray(png_alpha.data(), png_alpha.size(), "alpha.png")),
            (std::vector<uint8_t>{0, 255, 127, 40}));
}

TEST(DataPng, CorruptDataNamesOrigin) {
  const std::vector<uint8_t> garbage = {'n', 'o', 't', ' ', 'a', ' ', 'p', 'n', 'g', '!'};
  try {
    decode_png_gray(garbage.data(), garbage.size(), "archive.zip: a/b.png");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("archive.zip: a/b.png"), std::string::npos) << e.what();
  }
  std::vector<uint8_t> gray(20 * 20);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = uint8_t(i * 7);
  const auto png = encode_png(gray, 20, 20, 8, PNG_COLOR_TYPE_GRAY);
  for (const size_t keep : {size_t(8), size_t(30), png.size() / 2, png.size() - 13}) {
    try {
      decode_png_gray(png.data(), keep, "cut.png");
      ADD_FAILURE() << "no error for a PNG cut to " << keep << " bytes";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.png"), std::string::npos) << e.what();
    }
  }
  auto flipped = png;
  flipped[45] ^= 0xff;  // inside the IDAT chunk: its CRC no longer matches
  EXPECT_THROW(decode_png_gray(flipped.data(), flipped.size(), "flipped.png"), Error);
}

}  // namespace
}  // namespace metaevo::data
