// `metaevo meta`: a tiny backprop run through the CLI writes its test table; bad settings are
// one-line errors. `metaevo bench es --model protonet` measures the ES ProtoNet.
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

TEST(MetaCli, BenchOfTheEsProtoNetReportsItsShareOfTheSgemmRate) {
  SKIP_WITHOUT_OMNIGLOT();
  const auto out = fs::temp_directory_path() / "metaevo_bench_protonet.json";
  const auto pid =
      metaevo::testing::spawn({METAEVO_BINARY, "--threads", "1", "bench", "es", "--model", "protonet", "--data-dir",
                               metaevo::testing::omniglot_dir(), "--population", "2", "--generations", "1"},
                              {}, "/dev/null", out.string());
  ASSERT_EQ(metaevo::testing::wait_for(pid, 300), 0);
  const auto r = nlohmann::json::parse(metaevo::read_file(out.string()));
  fs::remove(out);
  EXPECT_EQ(r["model"], "protonet");
  EXPECT_EQ(r["params"], 111936) << "conv4-64";
  EXPECT_EQ(r["eval_chunk"], 1);
  EXPECT_GT(r["gflops_per_s"].get<double>(), 0.0);
  EXPECT_GT(r["sgemm_gflops_per_s"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(r["sgemm_fraction"].get<double>(),
                   r["gflops_per_s"].get<double>() / r["sgemm_gflops_per_s"].get<double>());
}

}  // namespace
