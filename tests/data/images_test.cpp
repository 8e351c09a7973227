// Users' image folders: PNGs of any size, class folders, polarity, and the folder data set.
#include "metaevo/data/images.h"

#include <gtest/gtest.h>

#include "../support/errors.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/data/datasets.h"
#include "metaevo/data/png.h"
#include "test_files.h"

namespace metaevo::data {
namespace {

/// A `side` x `side` PNG, white with a black square whose corner is at `at` (light background),
/// or the reverse with `dark`.
void write_square(const std::string& path, int64_t side, int64_t at, bool dark = false) {
  auto gray = torch::full({side, side}, dark ? 0 : 255, torch::kUInt8);
  gray.slice(0, at, at + side / 3).slice(1, at, at + side / 3).fill_(dark ? 255 : 0);
  test::write_file(path, {});  // creates the folder
  write_file_atomic(path, encode_png_gray(gray));
}

using testing::error_of;

TEST(DataImages, PngRoundTripAndAreaResize) {
  const test::TempDir dir;
  auto gray = torch::arange(56 * 56, torch::kInt64).remainder(256).to(torch::kUInt8).view({56, 56});
  const auto png = encode_png_gray(gray);
  EXPECT_TRUE(torch::equal(decode_png_gray(png.data(), png.size(), "x.png"), gray));
  write_file_atomic(dir.file("big.png"), png);
  const auto image = read_png_image(dir.file("big.png"));
  ASSERT_EQ(image.sizes(), torch::IntArrayRef({1, kImageSide, kImageSide}));
  // 56 -> 28 is exactly 2 x 2 means.
  const auto expected = gray.to(torch::kFloat32).div(255).view({28, 2, 28, 2}).mean({1, 3});
  EXPECT_TRUE(torch::allclose(image[0], expected, 1e-6, 1e-6));
}

TEST(DataImages, LightBackgroundFromBorders) {
  auto dark = torch::zeros({3, 1, 10, 10});
  dark.slice(2, 2, 8).slice(3, 2, 8).fill_(1);  // bright ink well inside the border
  EXPECT_FALSE(light_background(dark));
  EXPECT_TRUE(light_background(1 - dark));
}

TEST(DataImages, ClassFoldersSortedWithLabels) {
  const test::TempDir dir;
  write_square(dir.file("b/2.png"), 90, 10);
  write_square(dir.file("b/1.png"), 28, 3);
  write_square(dir.file("a/x.png"), 40, 0);
  test::write_file(dir.file("a/.hidden"), {1, 2, 3});
  const auto f = read_class_folders(dir.path().string());
  EXPECT_EQ(f.classes, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(f.files.size(), 3u);
  EXPECT_EQ(f.files[1], dir.file("b/1.png"));
  EXPECT_TRUE(torch::equal(f.labels, torch::tensor({0, 1, 1}, torch::kInt64)));
  EXPECT_EQ(f.images.sizes(), torch::IntArrayRef({3, 1, kImageSide, kImageSide}));
}

TEST(DataImages, BadFoldersNameTheFolderOrFile) {
  const test::TempDir dir;
  write_square(dir.file("ok/1.png"), 28, 0);
  std::filesystem::create_directories(dir.path() / "empty");
  EXPECT_NE(error_of([&] { read_class_folders(dir.path().string()); }).find(dir.file("empty") + ": the class folder"),
            std::string::npos);
  std::filesystem::remove(dir.path() / "empty");
  test::write_file(dir.file("ok/2.png"), {'n', 'o', 't'});
  EXPECT_NE(error_of([&] { read_class_folders(dir.path().string()); }).find(dir.file("ok/2.png") + ": not a PNG"),
            std::string::npos);
  std::filesystem::remove(dir.path() / "ok" / "2.png");
  test::write_file(dir.file("ok/notes.txt"), {'h', 'i'});
  EXPECT_NE(error_of([&] { read_class_folders(dir.path().string()); }).find(dir.file("ok/notes.txt")),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_class_folders(dir.file("ok/none")); }).find("no such folder"), std::string::npos);
  EXPECT_NE(error_of([&] { read_class_folders(dir.file("ok")); }).find("no class sub-folders"), std::string::npos);
}

TEST(DataImages, FolderDataSetSplitByImagesOrByClasses) {
  const test::TempDir dir;
  // Flat: 2 classes of 10 images -> 7 train, 1 validation, 2 test each.
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 10; ++i) write_square(dir.file(fmt::format("flat/c{}/{:02d}.png", c, i)), 30, c * 15);
  const auto flat = load_dataset("folder:" + dir.file("flat"), {});
  EXPECT_EQ(flat.classes, 2);
  EXPECT_EQ(flat.class_names, (std::vector<std::string>{"c0", "c1"}));
  EXPECT_EQ(flat.train.size(), 14);
  EXPECT_EQ(flat.valid.size(), 2);
  EXPECT_EQ(flat.test.size(), 4);
  // Light backgrounds are inverted to bright strokes on black, like the bundled sets.
  EXPECT_FALSE(light_background(flat.train.x));
  // By classes: train/, val/ and test/ hold different classes, named with their split.
  for (const char* split : {"train", "val", "test"})
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < 3; ++i) write_square(dir.file(fmt::format("split/{}/k{}/{}.png", split, c, i)), 30, 5, true);
  const auto split = load_dataset("folder:" + dir.file("split"), {});
  EXPECT_EQ(split.classes, 6);
  EXPECT_EQ(split.class_names[2], "val/k0");
  EXPECT_TRUE(torch::equal(std::get<0>(torch::_unique(split.test.y)), torch::tensor({4, 5}, torch::kInt64)));
  EXPECT_FALSE(light_background(split.test.x)) << "already dark: not inverted";
  std::filesystem::remove_all(dir.path() / "split" / "val");
  EXPECT_NE(error_of([&] { load_dataset("folder:" + dir.file("split"), {}); }).find("val/ is missing"),
            std::string::npos);
  EXPECT_NE(error_of([&] { check_dataset_name("folder:" + dir.file("nowhere")); }).find("no such folder"),
            std::string::npos);
}

}  // namespace
}  // namespace metaevo::data
