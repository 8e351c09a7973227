#include "metaevo/data/idx.h"

#include <gtest/gtest.h>

#include "metaevo/core/error.h"
#include "test_files.h"

namespace metaevo::data {
namespace {

using test::idx_bytes;
using test::TempDir;
using test::write_file;
using test::write_gzip;

std::vector<uint8_t> counting(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 37 + 11);
  return v;
}

// The message must name the file, and say what is wrong.
void expect_error(const std::string& path, const std::string& what) {
  try {
    read_idx(path);
    ADD_FAILURE() << "no error reading " << path;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(IdxRead, RawRoundTripsExactly) {
  TempDir dir;
  const auto data = counting(3 * 4 * 5);
  write_file(dir.file("x-idx3-ubyte"), idx_bytes({3, 4, 5}, data));
  const auto t = read_idx(dir.file("x-idx3-ubyte"));
  ASSERT_EQ(t.scalar_type(), torch::kUInt8);
  ASSERT_EQ(t.sizes(), torch::IntArrayRef({3, 4, 5}));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), t.data_ptr<uint8_t>()));
}

TEST(IdxRead, GzipRoundTripsExactly) {
  TempDir dir;
  const auto data = counting(7);
  write_gzip(dir.file("y-idx1-ubyte.gz"), idx_bytes({7}, data));
  const auto t = read_idx(dir.file("y-idx1-ubyte.gz"));
  ASSERT_EQ(t.sizes(), torch::IntArrayRef({7}));
  EXPECT_TRUE(std::equal(data.begin(), data.end(), t.data_ptr<uint8_t>()));
}

TEST(IdxRead, FourDimensions) {
  TempDir dir;
  const auto data = counting(2 * 3 * 1 * 2);
  write_gzip(dir.file("z.gz"), idx_bytes({2, 3, 1, 2}, data));
  EXPECT_EQ(read_idx(dir.file("z.gz")).sizes(), torch::IntArrayRef({2, 3, 1, 2}));
}

TEST(IdxRead, TruncatedDataSaysHowMuch) {
  TempDir dir;
  const auto full = idx_bytes({3, 4, 5}, counting(60));
  write_file(dir.file("short"), {full.begin(), full.end() - 50});
  expect_error(dir.file("short"), "truncated: expected 60 bytes of data, got 10");
  write_gzip(dir.file("short.gz"), {full.begin(), full.end() - 50});
  expect_error(dir.file("short.gz"), "truncated: expected 60 bytes of data, got 10");
}

TEST(IdxRead, TruncatedGzipStream) {
  TempDir dir;
  write_gzip(dir.file("whole.gz"), idx_bytes({100, 100}, counting(10000)));
  std::ifstream in(dir.file("whole.gz"), std::ios::binary);
  std::vector<uint8_t> gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  write_file(dir.file("cut.gz"), {gz.begin(), gz.begin() + gz.size() / 2});
  expect_error(dir.file("cut.gz"), "truncated");
}

TEST(IdxRead, HeaderOnlyIsTruncated) {
  TempDir dir;
  write_file(dir.file("h"), {0, 0, 8, 3, 0, 0});
  expect_error(dir.file("h"), "truncated");
}

TEST(IdxRead, TrailingBytesAreAnError) {
  TempDir dir;
  auto bytes = idx_bytes({2, 2}, counting(4));
  bytes.push_back(0);
  write_file(dir.file("long"), bytes);
  expect_error(dir.file("long"), "longer");
}

TEST(IdxRead, WrongMagic) {
  TempDir dir;
  auto bytes = idx_bytes({2, 2}, counting(4));
  bytes[0] = 0x50;  // e.g. a PNG or text file given by mistake
  write_file(dir.file("magic"), bytes);
  expect_error(dir.file("magic"), "bad magic");
}

TEST(IdxRead, UnsupportedTypeAndDimensions) {
  TempDir dir;
  write_file(dir.file("float"), idx_bytes({1}, {0, 0, 0, 0}, 0x0D));
  expect_error(dir.file("float"), "unsupported IDX element type 0x0d");
  write_file(dir.file("zero-dims"), idx_bytes({}, {}));
  expect_error(dir.file("zero-dims"), "dimension count 0");
  write_file(dir.file("five-dims"), idx_bytes({1, 1, 1, 1, 1}, {7}));
  expect_error(dir.file("five-dims"), "dimension count 5");
  write_file(dir.file("huge"), idx_bytes({0xffffffffu, 0xffffffffu}, {}));
  expect_error(dir.file("huge"), "bad IDX header");
}

TEST(IdxRead, CorruptGzip) {
  TempDir dir;
  // A valid gzip member header followed by bytes that are not a deflate stream.
  std::vector<uint8_t> bytes = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03};
  for (int i = 0; i < 64; ++i) bytes.push_back(uint8_t(0xff - i));
  write_file(dir.file("corrupt.gz"), bytes);
  expect_error(dir.file("corrupt.gz"), "corrupt compressed data");
}

TEST(IdxRead, MissingFile) {
  TempDir dir;
  expect_error(dir.file("absent-idx3-ubyte.gz"), "cannot open");
}

}  // namespace
}  // namespace metaevo::data
