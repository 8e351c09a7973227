#include "metaevo/munet/tasks.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/omniglot.h"
#include "metaevo/core/error.h"

namespace metaevo::munet {
namespace {

const std::string kMnist = testing::mnist_dir();

data::DataDirs dirs() { return {{"mnist", kMnist}, {"omniglot", testing::omniglot_dir()}}; }

TEST(MunetTasks, RotatedAndPermutedMnistAreTransformsOfMnist) {
  if (!std::filesystem::exists(kMnist)) GTEST_SKIP() << kMnist << " not found (scripts/setup.sh fetches it)";
  const auto plain = load_task("mnist", dirs());
  EXPECT_EQ(plain.classes, 10);
  EXPECT_EQ(plain.valid.size(), 5000);
  EXPECT_EQ(plain.train.x.sizes(), (std::vector<int64_t>{55000, 1, 32, 32}));
  EXPECT_GE(plain.train.x.min().item<float>(), -1.0f);
  EXPECT_LE(plain.train.x.max().item<float>(), 1.0f);
  const auto rotated = load_task("mnist-rot:90", dirs());
  EXPECT_EQ(rotated.name, "mnist-rot:90");
  // The 2-pixel border is symmetric, so padding and rotating commute.
  EXPECT_TRUE(torch::equal(rotated.test.x, torch::rot90(plain.test.x, 1, {2, 3})));
  EXPECT_TRUE(torch::equal(rotated.test.y, plain.test.y));
  // Other angles resample (MNIST-Rotations): turning by 89 degrees lands next to rot90's turn,
  // and far from the opposite one.
  const auto near = load_task("mnist-rot:89", dirs()).test.x.narrow(0, 0, 100);
  const auto correlation = [&](const torch::Tensor& b) {
    const auto u = near.flatten() - near.mean(), v = b.flatten() - b.mean();
    return (u * v).sum().item<double>() / (u.norm() * v.norm()).item<double>();
  };
  EXPECT_GT(correlation(rotated.test.x.narrow(0, 0, 100)), 0.9);
  EXPECT_LT(correlation(torch::rot90(plain.test.x.narrow(0, 0, 100), 3, {2, 3})), 0.5);
  const auto permuted = load_task("mnist-perm:3", dirs());
  const auto a = std::get<0>(permuted.test.x.narrow(0, 0, 10).flatten(1).sort(1));
  const auto b = std::get<0>(plain.test.x.narrow(0, 0, 10).flatten(1).sort(1));
  EXPECT_TRUE(torch::equal(a, b));                            // the same pixels ...
  EXPECT_FALSE(torch::equal(permuted.test.x, plain.test.x));  // ... elsewhere
}

TEST(MunetTasks, OmniglotAlphabetSplitsEachCharactersDrawers) {
  if (!testing::has_omniglot()) GTEST_SKIP() << testing::omniglot_dir() << " not found (see ../shared/data/README.md)";
  const auto task = load_task("omniglot:Greek", dirs());
  EXPECT_EQ(task.classes, 24);
  EXPECT_EQ(task.train.size(), 24 * 14);
  EXPECT_EQ(task.valid.size(), 24 * 3);
  EXPECT_EQ(task.test.size(), 24 * 3);
  EXPECT_EQ(data::available_datasets("omniglot", dirs()).size(), 50u);
  // Every character gives 14 / 3 / 3 of its drawers, though the rule cuts the pool's tail.
  EXPECT_TRUE(torch::equal(torch::bincount(task.train.y), torch::full({24}, 14, torch::kInt64)));
  EXPECT_TRUE(torch::equal(torch::bincount(task.valid.y), torch::full({24}, 3, torch::kInt64)));

  // The evaluation set (20 alphabets, 659 characters) split the same way: Greek is a background
  // alphabet, so a root pretrained on it never saw Greek's images.
  const auto set = load_task("omniglot-set:evaluation", dirs());
  EXPECT_EQ(set.classes, 659);
  EXPECT_EQ(set.train.size(), 659 * 14);
  EXPECT_EQ(set.test.size(), 659 * 3);
  EXPECT_THROW(load_task("omniglot-set:everything", dirs()), Error);
}

TEST(MunetTasks, UnknownTasksAreNamedErrors) {
  try {
    load_task("cifar10", dirs());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cifar10"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_task("mnist-rot:abc", dirs()), Error);
  EXPECT_THROW(load_task("mnist-rot:360", dirs()), Error);
}

}  // namespace
}  // namespace metaevo::munet
