// The same seed and config on one and on two threads train bitwise the same model, for every
// capability that trains one: es (the ES center as weights.pt), tune (each trial's image
// classifier, seen through its exact validation accuracies), mlo (the final upper and lower
// results) and evolve (every tensor of the stored muNet system). Intra-op threads split loops,
// never the order of a sum the results depend on: LibTorch's reductions are split per output
// element, and the Philox noise sums add rows in a fixed order.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/system_tensors.h"
#include "../support/tiny_runs.h"
#include "../support/weights.h"
#include "metaevo/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

class Threads : public ::testing::TestWithParam<std::string> {};

TEST_P(Threads, OneAndTwoThreadsTrainBitwiseTheSameModel) {
  const auto& run = tiny_runs().at(GetParam());
  if (run.missing && !run.missing().empty()) GTEST_SKIP() << run.missing();
  const auto root = fs::temp_directory_path() / ("metaevo_threads_" + GetParam());
  fs::remove_all(root);
  fs::create_directories(root);
  std::map<int, fs::path> out;
  for (const int threads : {1, 2}) {
    auto with_threads = run;
    const auto at = with_threads.config.find("threads: 1\n");
    ASSERT_NE(at, std::string::npos) << "the tiny run does not set its threads";
    with_threads.config.replace(at, 11, "threads: " + std::to_string(threads) + "\n");
    out[threads] = root / ("threads_" + std::to_string(threads));
    ASSERT_EQ(run_tiny(with_threads, out[threads], false), 0) << metaevo::read_file(out[threads].string() + ".stderr");
  }
  for (const auto& file : run.state_dicts)
    EXPECT_TRUE(equal_state_dicts((out[1] / file).string(), (out[2] / file).string())) << file;
  for (const auto& file : run.json_files) {
    auto a = nlohmann::json::parse(metaevo::read_file((out[1] / file).string()));
    auto b = nlohmann::json::parse(metaevo::read_file((out[2] / file).string()));
    if (!run.json_key.empty()) {
      a = a.at(run.json_key);
      b = b.at(run.json_key);
    }
    EXPECT_EQ(a, b) << file;
  }
  if (fs::exists(out[1] / "system.db")) {
    EXPECT_GT(compare_system_tensors((out[1] / "system.db").string(), (out[2] / "system.db").string(),
                                     [](const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
                                       EXPECT_TRUE(torch::equal(a, b)) << what;
                                     }),
              0);
  }
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(EveryTrainingCommand, Threads,
                         ::testing::Values("es", "tune", "mlo", "evolve", "grow", "route", "route_continual"));

}  // namespace
