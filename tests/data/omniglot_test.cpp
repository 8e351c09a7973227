#include "metaevo/data/omniglot.h"

#include <gtest/gtest.h>
#include <zip.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <set>

#include "../support/errors.h"
#include "../support/omniglot.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "test_files.h"

namespace metaevo::data {
namespace {

namespace fs = std::filesystem;
using test::encode_png_1bit;
using test::TempDir;
using test::write_file;

// ---- the real release (skipped when absent) ----

using metaevo::testing::omniglot_dir;
const Omniglot& real_omniglot() { return metaevo::testing::omniglot(); }

TEST(OmniglotReal, AlphabetsCharactersAndImages) {
  SKIP_WITHOUT_OMNIGLOT();
  const auto& o = real_omniglot();
  EXPECT_EQ(o.alphabets().size(), 50u);
  ASSERT_EQ(o.characters().size(), 1623u);
  int64_t background = 0;
  std::set<std::string> background_alphabets;
  for (const auto& c : o.characters()) {
    if (c.background) {
      ++background;
      background_alphabets.insert(c.alphabet);
    }
    ASSERT_EQ(c.images.sizes(), torch::IntArrayRef({20, 1, 28, 28})) << c.key();
    ASSERT_EQ(c.drawers.size(), 20u) << c.key();
    for (int d = 0; d < 20; ++d) ASSERT_EQ(c.drawers[size_t(d)], d + 1) << c.key();
  }
  EXPECT_EQ(background, 964);
  EXPECT_EQ(background_alphabets.size(), 30u);

  const auto& magi = o.at("Alphabet_of_the_Magi/character01");
  EXPECT_EQ(magi.images.scalar_type(), torch::kFloat32);
  EXPECT_TRUE(magi.background);
  EXPECT_EQ(o.characters_of("Alphabet_of_the_Magi").size(), 20u);
  EXPECT_THROW(o.at("Alphabet_of_the_Magi/character99"), Error);

  // Inverted: the stroke is 1 and covers a minority of each image, the background is 0.
  const auto all =
      torch::cat({o.characters().front().images, o.at("Tengwar/character01").images, o.characters().back().images});
  EXPECT_GE(all.min().item<float>(), 0.0f);
  EXPECT_LE(all.max().item<float>(), 1.0f);
  const auto ink = all.mean({1, 2, 3});
  EXPECT_TRUE(ink.lt(0.5).all().item<bool>()) << ink;
  EXPECT_TRUE(ink.gt(0.01).all().item<bool>()) << ink;
  EXPECT_EQ(all.select(2, 0).select(2, 0).max().item<float>(), 0.0f) << "corners should be background";
}

TEST(OmniglotReal, VinyalsSplits) {
  SKIP_WITHOUT_OMNIGLOT();
  std::map<std::string, std::vector<OmniglotClass>> splits;
  for (const std::string name : {"train", "val", "test", "trainval"})
    splits[name] = read_vinyals_split(vinyals_split_path(omniglot_dir(), name));
  EXPECT_EQ(splits["train"].size(), 4112u);
  EXPECT_EQ(splits["val"].size(), 688u);
  EXPECT_EQ(splits["test"].size(), 1692u);
  EXPECT_EQ(splits["trainval"].size(), 4800u);

  // Disjoint by character (so also by class), every character in exactly one of train/val/test.
  const auto& o = real_omniglot();
  std::map<std::string, std::string> split_of;
  std::map<std::string, std::set<int>> rotations;
  for (const std::string name : {"train", "val", "test"})
    for (const auto& c : splits[name]) {
      const auto [it, fresh] = split_of.emplace(c.character, name);
      EXPECT_TRUE(fresh || it->second == name) << c.character << " in " << it->second << " and " << name;
      EXPECT_TRUE(rotations[c.character].insert(c.rotation_degrees).second) << "duplicate class " << c.character;
      EXPECT_NO_THROW(o.index_of(c.character));
    }
  EXPECT_EQ(split_of.size(), o.characters().size());
  for (const auto& [character, degrees] : rotations) EXPECT_EQ(degrees, (std::set<int>{0, 90, 180, 270})) << character;
  for (const auto& c : splits["trainval"]) EXPECT_NE(split_of[c.character], "test") << c.character;

  const auto turned = class_images(o, splits["train"][1]);
  EXPECT_EQ(turned.sizes(), torch::IntArrayRef({20, 1, 28, 28}));
}

// ---- synthetic releases ----

// 6x6 1-bit images: ink (0) at the given (row, col) pixels, white elsewhere.
std::vector<uint8_t> glyph(std::initializer_list<std::pair<int, int>> ink) {
  std::vector<uint8_t> gray(36, 255);
  for (const auto& [r, c] : ink) gray[size_t(r * 6 + c)] = 0;
  return encode_png_1bit(gray, 6, 6);
}

using testing::error_of;

TEST(OmniglotRelease, ExtractedFolders) {
  TempDir dir;
  write_file(dir.file("images_background/Beta/character01/0002_02.png"), glyph({{0, 0}, {0, 1}, {1, 0}, {1, 1}}));
  write_file(dir.file("images_background/Beta/character01/0002_01.png"), glyph({{0, 5}}));
  write_file(dir.file("images_evaluation/Alpha/character07/0100_05.png"), glyph({}));
  write_file(dir.file("images_evaluation/Alpha/character07/.0100_06.png"), {1, 2, 3});  // hidden: ignored
  write_file(dir.file("images_evaluation/notes.txt"), {'h', 'i'});

  const auto full = Omniglot::load(dir.path().string(), 6);
  ASSERT_EQ(full.characters().size(), 2u);
  EXPECT_EQ(full.alphabets(), (std::vector<std::string>{"Alpha", "Beta"}));
  EXPECT_EQ(full.characters_of("Beta"), (std::vector<int64_t>{1}));
  const auto& beta = full.at("Beta/character01");
  EXPECT_TRUE(beta.background);
  EXPECT_FALSE(full.at("Alpha/character07").background);
  EXPECT_EQ(beta.drawers, (std::vector<int>{1, 2}));
  EXPECT_EQ(full.at("Alpha/character07").drawers, (std::vector<int>{5}));
  ASSERT_EQ(beta.images.sizes(), torch::IntArrayRef({2, 1, 6, 6}));
  auto expected = torch::zeros({2, 1, 6, 6});
  expected[0][0][0][5] = 1;
  expected[1][0].slice(0, 0, 2).slice(1, 0, 2) = 1;
  EXPECT_TRUE(torch::equal(beta.images, expected)) << beta.images;
  EXPECT_EQ(full.at("Alpha/character07").images.sum().item<float>(), 0.0f);

  // Area resizing averages blocks: 2x2 blocks at size 3.
  const auto small = Omniglot::load(dir.path().string(), 3);
  const auto s = small.at("Beta/character01").images;
  ASSERT_EQ(s.sizes(), torch::IntArrayRef({2, 1, 3, 3}));
  EXPECT_FLOAT_EQ(s[0][0][0][2].item<float>(), 0.25f);
  EXPECT_FLOAT_EQ(s[1][0][0][0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(s.sum().item<float>(), 1.25f);

  // Rotations turn counter-clockwise: the top-right ink of drawer 1 moves to the top-left.
  const auto turned = class_images(full, {"Beta/character01", 90});
  EXPECT_EQ(turned[0][0][0][0].item<float>(), 1.0f);
  EXPECT_EQ(turned[0].sum().item<float>(), 1.0f);
  EXPECT_TRUE(torch::equal(class_images(full, {"Beta/character01", 270}),
                           torch::rot90(class_images(full, {"Beta/character01", 180}), 1, {2, 3})));
  EXPECT_TRUE(error_of([&] {
                class_images(full, {"Gamma/character01", 0});
              }).find("Gamma/character01") != std::string::npos);
}

struct ZipDiscard {
  void operator()(zip_t* z) const { zip_discard(z); }
};

void write_zip(const std::string& path, const std::vector<std::pair<std::string, std::vector<uint8_t>>>& entries) {
  int code = 0;
  std::unique_ptr<zip_t, ZipDiscard> z(zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
  ASSERT_TRUE(z) << path;
  for (const auto& [name, bytes] : entries) {
    if (name.back() == '/') {
      ASSERT_GE(zip_dir_add(z.get(), name.c_str(), ZIP_FL_ENC_UTF_8), 0) << name;
      continue;
    }
    zip_source_t* source = zip_source_buffer(z.get(), bytes.data(), bytes.size(), 0);
    ASSERT_TRUE(source);
    if (zip_file_add(z.get(), name.c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
      zip_source_free(source);
      FAIL() << zip_strerror(z.get());
    }
  }
  ASSERT_EQ(zip_close(z.get()), 0) << zip_strerror(z.get());
  static_cast<void>(z.release());  // zip_close freed it
}

TEST(OmniglotRelease, OfficialZips) {
  TempDir dir;
  write_zip(dir.file("images_background.zip"),
            {{"images_background/", {}},
             {"images_background/Beta/", {}},
             {"images_background/Beta/character02/", {}},
             {"images_background/Beta/character02/0003_01.png", glyph({{2, 2}})},
             {"images_background/Beta/character01/0002_01.png", glyph({{3, 3}, {3, 4}})},
             {"__MACOSX/images_background/Beta/character01/._0002_01.png", {0}}});
  write_zip(dir.file("images_evaluation.zip"), {{"images_evaluation/Alpha/character01/0100_20.png", glyph({})}});
  const auto o = Omniglot::load(dir.path().string(), 6);
  ASSERT_EQ(o.characters().size(), 3u);
  EXPECT_EQ(o.characters()[1].key(), "Beta/character01");
  EXPECT_EQ(o.at("Beta/character01").images.sum().item<float>(), 2.0f);
  EXPECT_EQ(o.at("Beta/character02").images[0][0][2][2].item<float>(), 1.0f);
  EXPECT_EQ(o.at("Alpha/character01").drawers, (std::vector<int>{20}));

  // A damaged PNG inside the zip: the error names the archive and the entry.
  write_zip(dir.file("images_background.zip"), {{"images_background/Beta/character01/0002_01.png", {0x89, 'P', 'N'}}});
  const auto message = error_of([&] { Omniglot::load(dir.path().string()); });
  EXPECT_NE(message.find(dir.file("images_background.zip") + ": images_background/Beta/character01/0002_01.png"),
            std::string::npos)
      << message;
}

// The cache file of `dir`'s release in `cache` at `size` pixels, or "" when there is none.
std::string cache_file(const std::string& cache, int64_t size) {
  const auto prefix = "omniglot-" + std::to_string(size) + "px-";
  if (!fs::is_directory(cache)) return "";
  for (const auto& item : fs::directory_iterator(cache))
    if (item.path().filename().string().rfind(prefix, 0) == 0) return item.path().string();
  return "";
}

void expect_same(const Omniglot& a, const Omniglot& b) {
  ASSERT_EQ(a.characters().size(), b.characters().size());
  for (size_t i = 0; i < a.characters().size(); ++i) {
    const auto &x = a.characters()[i], &y = b.characters()[i];
    EXPECT_EQ(x.key(), y.key());
    EXPECT_EQ(x.background, y.background) << x.key();
    EXPECT_EQ(x.drawers, y.drawers) << x.key();
    EXPECT_TRUE(torch::equal(x.images, y.images)) << x.key();
  }
}

TEST(OmniglotCache, ALaterLoadReadsTheDecodedImagesBackUntilTheReleaseChanges) {
  TempDir dir;
  const auto cache = dir.file("cache");
  write_zip(dir.file("images_background.zip"), {{"images_background/Beta/character01/0002_01.png", glyph({{0, 5}})},
                                                {"images_background/Beta/character01/0002_02.png", glyph({{1, 1}})},
                                                {"images_background/Beta/character02/0003_01.png", glyph({})}});
  write_zip(dir.file("images_evaluation.zip"), {{"images_evaluation/Alpha/character01/0100_20.png", glyph({{2, 2}})}});
  const auto decoded = Omniglot::load(dir.path().string(), 6, cache);
  const auto file = cache_file(cache, 6);
  ASSERT_FALSE(file.empty()) << "no cache file in " << cache;
  expect_same(Omniglot::load(dir.path().string(), 6, cache), decoded);

  // The images come from the file: a value written into its last pixel is read back.
  auto bytes = metaevo::read_file(file);
  const float marker = 0.625f;
  std::memcpy(bytes.data() + bytes.size() - sizeof(float), &marker, sizeof(float));
  write_file(file, {bytes.begin(), bytes.end()});
  const auto marked = Omniglot::load(dir.path().string(), 6, cache);
  EXPECT_EQ(marked.characters().back().images[0][0][5][5].item<float>(), marker);

  // A damaged file is decoded again and rewritten.
  write_file(file, {bytes.begin(), bytes.end() - 1});
  expect_same(Omniglot::load(dir.path().string(), 6, cache), decoded);
  EXPECT_EQ(fs::file_size(file), bytes.size());

  // Another size is another file; no cache folder, no file.
  Omniglot::load(dir.path().string(), 3, cache);
  EXPECT_FALSE(cache_file(cache, 3).empty());
  Omniglot::load(dir.path().string(), 4, "");
  EXPECT_TRUE(cache_file(cache, 4).empty());

  // A changed release is decoded, not taken from the old file.
  write_zip(dir.file("images_evaluation.zip"),
            {{"images_evaluation/Alpha/character01/0100_20.png", glyph({{2, 2}, {2, 3}})}});
  const auto changed = Omniglot::load(dir.path().string(), 6, cache);
  EXPECT_EQ(changed.at("Alpha/character01").images.sum().item<float>(), 2.0f);
}

TEST(OmniglotRelease, CorruptZipNamesFile) {
  TempDir dir;
  write_file(dir.file("images_background.zip"), std::vector<uint8_t>(300, 0x5a));
  const auto message = error_of([&] { Omniglot::load(dir.path().string()); });
  EXPECT_NE(message.find(dir.file("images_background.zip")), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(OmniglotRelease, MissingNamesExpectedPaths) {
  TempDir dir;
  write_file(dir.file("images_background/A/character01/0001_01.png"), glyph({}));
  const auto message = error_of([&] { Omniglot::load(dir.path().string()); });
  EXPECT_NE(message.find(dir.file("images_evaluation.zip")), std::string::npos) << message;
  EXPECT_NE(message.find(dir.file("images_evaluation")), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(OmniglotRelease, UnexpectedLayoutNamesFile) {
  TempDir dir;
  write_file(dir.file("images_background/A/0001_01.png"), glyph({}));
  write_file(dir.file("images_evaluation/B/character01/0001_01.png"), glyph({}));
  EXPECT_NE(error_of([&] { Omniglot::load(dir.path().string()); }).find(dir.file("images_background/A/0001_01.png")),
            std::string::npos);
  fs::remove(dir.file("images_background/A/0001_01.png"));
  write_file(dir.file("images_background/A/character01/drawer.png"), glyph({}));
  EXPECT_NE(error_of([&] { Omniglot::load(dir.path().string()); }).find("drawer.png"), std::string::npos);
}

TEST(OmniglotSplit, ParsesLinesAndRotations) {
  TempDir dir;
  const std::string text = "A_(b)/character01/rot000\r\nA_(b)/character01/rot270\n\nC/character10/rot090\n";
  write_file(dir.file("splits/vinyals/val.txt"), {text.begin(), text.end()});
  const auto classes = read_vinyals_split(vinyals_split_path(dir.path().string(), "val"));
  ASSERT_EQ(classes.size(), 3u);
  EXPECT_EQ(classes[0].character, "A_(b)/character01");
  EXPECT_EQ(classes[0].rotation_degrees, 0);
  EXPECT_EQ(classes[1].rotation_degrees, 270);
  EXPECT_EQ(classes[2].character, "C/character10");
  EXPECT_EQ(classes[2].rotation_degrees, 90);
}

TEST(OmniglotSplit, ErrorsNameFileAndLine) {
  TempDir dir;
  for (const std::string bad :
       {"A/character01/rot045", "A/character01", "character01/rot000", "A/b/c/rot000", "/character01/rot000"}) {
    const std::string text = "A/character01/rot000\n" + bad + "\n";
    write_file(dir.file("bad.txt"), {text.begin(), text.end()});
    const auto message = error_of([&] { read_vinyals_split(dir.file("bad.txt")); });
    EXPECT_NE(message.find(dir.file("bad.txt") + ":2:"), std::string::npos) << message;
  }
  EXPECT_NE(error_of([&] { read_vinyals_split(dir.file("absent.txt")); }).find(dir.file("absent.txt")),
            std::string::npos);
  EXPECT_THROW(vinyals_split_path(dir.path().string(), "training"), Error);
}

}  // namespace
}  // namespace metaevo::data
