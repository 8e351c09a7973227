// `metaevo meta`: a tiny backprop run through the CLI writes its test table; bad settings are
// one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/omniglot.h"
#include "../support/process.h"
#include "metaevo/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;

TEST(MetaCli, BackpropRunWritesTestAccuracy) {
  SKIP_WITHOUT_OMNIGLOT();
  const auto dir = fs::temp_directory_path() / "metaevo_meta_cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto config = (dir / "meta.yaml").string();
  metaevo::write_file_atomic(config,
                             "seed: 1\nthreads: 1\ntrainer: backprop\n"
                             "problem: {type: few_shot, data_dir: \"" +
                                 metaevo::testing::omniglot_dir() +
                                 "\", ways: 5, shots: 1, queries: 5, channels: 8, val_episodes: 20}\n"
                                 "backprop: {lr: 0.005, episodes: 30, val_every: 10}\n"
                                 "test: {ways: [5], shots: [1, 5], episodes: 20}\n");
  const auto out = (dir / "out").string();
  ASSERT_EQ(metaevo::testing::run_cli({"meta", "--config", config, "--output", out}), 0);
  const auto rows = nlohmann::json::parse(metaevo::read_file(out + "/test.json"));
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& r : rows) {
    EXPECT_EQ(r["episodes"], 20);
    EXPECT_GT(r["acc"].get<double>(), 0.2) << "chance is 0.2";
    EXPECT_GT(r["ci95"].get<double>(), 0.0);
  }
  EXPECT_TRUE(fs::exists(out + "/weights.pt"));
  EXPECT_TRUE(fs::exists(out + "/metrics.jsonl"));
  // A second run into the same directory must be asked to resume; a wrong trainer is refused.
  EXPECT_EQ(metaevo::testing::run_cli({"meta", "--config", config, "--output", out}), 2);
  EXPECT_EQ(metaevo::testing::run_cli(
                {"meta", "--config", config, "--set", "trainer=sgd", "--output", (dir / "o2").string()}),
            2);
  fs::remove_all(dir);
}

}  // namespace
