#include "metaevo/data/dataset.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "metaevo/core/error.h"
#include "metaevo/data/datasets.h"
#include "test_files.h"

namespace metaevo::data {
namespace {

using test::TempDir;
using test::write_file;
using test::write_gzip;

// Sets METAEVO_DATA_DIR (or unsets it) for one test and restores the previous value.
class DataDirEnv {
 public:
  explicit DataDirEnv(const std::optional<std::string>& value) {
    if (const char* old = std::getenv("METAEVO_DATA_DIR")) old_ = old;
    if (value)
      ::setenv("METAEVO_DATA_DIR", value->c_str(), 1);
    else
      ::unsetenv("METAEVO_DATA_DIR");
  }
  ~DataDirEnv() {
    if (old_)
      ::setenv("METAEVO_DATA_DIR", old_->c_str(), 1);
    else
      ::unsetenv("METAEVO_DATA_DIR");
  }

 private:
  std::optional<std::string> old_;
};

TEST(DataDir, FlagWins) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "mnist");
  DataDirEnv env(dir.path().string());
  EXPECT_EQ(resolve_data_dir("mnist", "/my/mnist"), "/my/mnist");
}

TEST(DataDir, EnvironmentWhenItsFolderExists) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "omniglot");
  DataDirEnv env(dir.path().string());
  EXPECT_EQ(resolve_data_dir("omniglot", ""), (dir.path() / "omniglot").string());
  // No such subfolder: fall back to the standard place rather than a path known to be missing.
  EXPECT_EQ(resolve_data_dir("fashion-mnist", ""), "/usr/share/datasets/fashion-mnist");
}

TEST(DataDir, Defaults) {
  DataDirEnv env(std::nullopt);
  EXPECT_EQ(resolve_data_dir("fashion-mnist", ""), "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(resolve_data_dir("mnist", ""), "data/mnist");
  EXPECT_EQ(resolve_data_dir("omniglot", ""), "../shared/data/omniglot");
}

std::vector<uint8_t> idx(const std::vector<uint32_t>& shape, uint8_t fill) {
  size_t n = 1;
  for (uint32_t d : shape) n *= d;
  std::vector<uint8_t> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = uint8_t((fill + i) % 10);
  return test::idx_bytes(shape, data);
}

TEST(DataMnistLike, LoadsMixedRawAndGzip) {
  TempDir dir;
  write_gzip(dir.file("train-images-idx3-ubyte.gz"), idx({5, 3, 2}, 0));
  write_file(dir.file("train-labels-idx1-ubyte"), idx({5}, 3));
  write_file(dir.file("t10k-images-idx3-ubyte"), idx({2, 3, 2}, 0));
  write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), idx({2}, 0));
  const auto data = load_mnist_like(dir.path().string());
  ASSERT_EQ(data.pool.x.sizes(), torch::IntArrayRef({5, 1, 3, 2}));
  ASSERT_EQ(data.test.x.sizes(), torch::IntArrayRef({2, 1, 3, 2}));
  EXPECT_EQ(data.pool.x.scalar_type(), torch::kFloat32);
  EXPECT_FLOAT_EQ(data.pool.x[0][0][0][1].item<float>(), 1.0f / 255.0f);
  EXPECT_EQ(data.pool.y.scalar_type(), torch::kInt64);
  EXPECT_EQ(data.pool.y[4].item<int64_t>(), 7);
  EXPECT_EQ(data.classes, 8);
}

TEST(DataMnistLike, CountMismatchNamesBothFiles) {
  TempDir dir;
  write_file(dir.file("train-images-idx3-ubyte"), idx({5, 3, 2}, 0));
  write_file(dir.file("train-labels-idx1-ubyte"), idx({4}, 0));
  write_file(dir.file("t10k-images-idx3-ubyte"), idx({2, 3, 2}, 0));
  write_file(dir.file("t10k-labels-idx1-ubyte"), idx({2}, 0));
  try {
    load_mnist_like(dir.path().string());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("train-images-idx3-ubyte")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.file("train-labels-idx1-ubyte")), std::string::npos) << e.what();
  }
}

TEST(DataMnistLike, MissingFileAndFolderAreNamed) {
  TempDir dir;
  write_file(dir.file("train-images-idx3-ubyte"), idx({5, 3, 2}, 0));
  try {
    load_mnist_like(dir.path().string());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("train-labels-idx1-ubyte"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_mnist_like(dir.file("nowhere")), Error);
}

TEST(DataFashionMnist, RealRelease) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << dir << " absent (Debian package dataset-fashion-mnist not installed)";
  const auto data = load_dataset("fashion-mnist", {{"fashion-mnist", dir}}, {0, 0});
  EXPECT_EQ(data.train.x.sizes(), torch::IntArrayRef({60000, 1, 28, 28}));
  EXPECT_EQ(data.valid.size(), 0);
  EXPECT_EQ(data.test.x.sizes(), torch::IntArrayRef({10000, 1, 28, 28}));
  EXPECT_EQ(data.classes, 10);
  EXPECT_EQ(data.train.y.min().item<int64_t>(), 0);
  EXPECT_EQ(data.train.y.max().item<int64_t>(), 9);
  // Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
  EXPECT_TRUE(torch::bincount(data.train.y).eq(6000).all().item<bool>());
  EXPECT_TRUE(torch::bincount(data.test.y).eq(1000).all().item<bool>());
  // By default the last 5,000 training images validate.
  const auto held = load_dataset("fashion-mnist", {{"fashion-mnist", dir}});
  EXPECT_EQ(held.train.size(), 55000);
  EXPECT_TRUE(torch::equal(held.valid.x, data.train.x.narrow(0, 55000, 5000)));
  EXPECT_GE(data.train.x.min().item<float>(), 0.0f);
  EXPECT_LE(data.train.x.max().item<float>(), 1.0f);
}

}  // namespace
}  // namespace metaevo::data
