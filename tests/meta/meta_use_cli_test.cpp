// `metaevo meta predict | evaluate | episodes` through the CLI: a user's folders classified with a
// trained model, episodes written and scored, and every bad input a one-line error naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/omniglot.h"
#include "../support/process.h"
#include "../support/scratch_dir.h"
#include "../support/tiny_runs.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/data/png.h"
#include "metaevo/models/zoo.h"
#include "metaevo/run/weights.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

class MetaUse : public ScratchDirTest {
 protected:
  MetaUse() : ScratchDirTest("metaevo_meta_use_") {}
  void SetUp() override {
    ScratchDirTest::SetUp();
    // A run folder as metaevo meta leaves it (the weights are untrained: the tests need only that
    // identical images are nearest to each other).
    write("run/config.yaml", "trainer: backprop\nproblem: {type: few_shot, channels: 16, ways: 5, queries: 15}\n");
    metaevo::run::save_state_dict(*metaevo::models::make_conv4(1, 16, 4), (dir_ / "run/weights.pt").string());
  }
  int run(std::vector<std::string> args) {
    args.insert(args.begin(), {METAEVO_BINARY, "--threads", "1"});
    return wait_for(spawn(args, {}, (dir_ / "stderr.txt").string(), (dir_ / "stdout.txt").string()), 300);
  }
  std::string stderr_text() const { return metaevo::read_file((dir_ / "stderr.txt").string()); }
  std::string stdout_text() const { return metaevo::read_file((dir_ / "stdout.txt").string()); }
  /// A 30 x 30 dark-on-white drawing: a black bar at row `at`.
  void drawing(const std::string& name, int64_t at) {
    auto gray = torch::full({30, 30}, 255, torch::kUInt8);
    gray.slice(0, at, at + 6).fill_(0);
    write(name, metaevo::data::encode_png_gray(gray));
  }
  void support_and_queries() {
    for (const auto& [c, at] : std::map<std::string, int64_t>{{"ka", 2}, {"ki", 12}, {"ku", 22}}) {
      drawing("support/" + c + "/1.png", at);
      drawing("labelled/" + c + "/q.png", at);
      drawing("unlabelled/" + c + ".png", at);
    }
  }
  std::string run_dir() const { return (dir_ / "run").string(); }
};

TEST_F(MetaUse, PredictLabelledAndUnlabelledQueries) {
  support_and_queries();
  const auto json_out = (dir_ / "pred.json").string();
  ASSERT_EQ(run({"meta", "predict", "--run", run_dir(), "--support", (dir_ / "support").string(), "--query",
                 (dir_ / "labelled").string(), "--out", json_out}),
            0)
      << stderr_text();
  const auto j = nlohmann::json::parse(metaevo::read_file(json_out));
  EXPECT_EQ(j["classes"], (std::vector<std::string>{"ka", "ki", "ku"}));
  EXPECT_TRUE(j["inverted"].get<bool>());
  EXPECT_EQ(j["accuracy"].get<double>(), 1.0) << "each query is a copy of its class's only support image";
  ASSERT_EQ(j["queries"].size(), 3u);
  EXPECT_EQ(j["queries"][1]["class"], "ki");
  EXPECT_EQ(j["queries"][1]["distances"][1].get<double>(), 0.0);
  EXPECT_NEAR(j["queries"][1]["probabilities"][0].get<double>() + j["queries"][1]["probabilities"][1].get<double>() +
                  j["queries"][1]["probabilities"][2].get<double>(),
              1.0, 1e-6);
  // Unlabelled queries as CSV on standard output: the class and no label column.
  ASSERT_EQ(run({"meta", "predict", "--run", run_dir(), "--support", (dir_ / "support").string(), "--query",
                 (dir_ / "unlabelled").string()}),
            0)
      << stderr_text();
  const auto csv = stdout_text();
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "image,class,distance:ka,distance:ki,distance:ku,probability:ka,probability:ki,probability:ku");
  EXPECT_NE(csv.find((dir_ / "unlabelled/ku.png").string() + ",ku,"), std::string::npos) << csv;
}

TEST_F(MetaUse, ModelsOfEitherTrainerClassify) {
  SKIP_WITHOUT_OMNIGLOT();
  support_and_queries();
  for (const char* trainer : {"meta_es", "meta_backprop"}) {
    const auto out = dir_ / trainer;
    ASSERT_EQ(run_tiny(tiny_runs().at(trainer), out, false), 0) << metaevo::read_file(out.string() + ".stderr");
    const auto json_out = (dir_ / (std::string(trainer) + ".json")).string();
    ASSERT_EQ(run({"meta", "predict", "--run", out.string(), "--support", (dir_ / "support").string(), "--query",
                   (dir_ / "labelled").string(), "--out", json_out}),
              0)
        << stderr_text();
    EXPECT_EQ(nlohmann::json::parse(metaevo::read_file(json_out))["accuracy"].get<double>(), 1.0) << trainer;
  }
}

TEST_F(MetaUse, BadInputIsOneLineNamingTheFile) {
  support_and_queries();
  const auto support = (dir_ / "support").string(), query = (dir_ / "unlabelled").string();
  auto predict = [&](const std::string& run_folder) {
    return run({"meta", "predict", "--run", run_folder, "--support", support, "--query", query});
  };
  // One "metaevo: error:" line that names the file (progress logs may precede it).
  auto one_line = [&](const std::string& expected) {
    std::istringstream lines(stderr_text());
    std::vector<std::string> errors;
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("metaevo: error: ", 0) == 0) errors.push_back(line);
    ASSERT_EQ(errors.size(), 1u) << stderr_text();
    EXPECT_NE(errors[0].find(expected), std::string::npos) << errors[0];
  };
  // An empty class folder.
  fs::create_directories(dir_ / "support/ko");
  EXPECT_EQ(predict(run_dir()), 2);
  one_line((dir_ / "support/ko").string() + ": the class folder holds no PNG image");
  fs::remove_all(dir_ / "support/ko");
  // An unreadable image.
  write("unlabelled/broken.png", "not a png");
  EXPECT_EQ(predict(run_dir()), 2);
  one_line((dir_ / "unlabelled/broken.png").string() + ": not a PNG file");
  fs::remove(dir_ / "unlabelled/broken.png");
  // The model of another command.
  write("es-run/config.yaml", "problem: {type: classification, dataset: mnist}\n");
  write("es-run/weights.pt", "x");
  EXPECT_EQ(predict((dir_ / "es-run").string()), 2);
  one_line((dir_ / "es-run/config.yaml").string() + ": problem.type is 'classification'");
  // Queries in class folders the support lacks.
  drawing("labelled/zz/q.png", 5);
  EXPECT_EQ(run({"meta", "predict", "--run", run_dir(), "--support", support, "--query", (dir_ / "labelled").string()}),
            2);
  one_line((dir_ / "labelled/zz").string() + ": the support");
  // Training on a folder whose class has fewer images than shots + queries.
  for (const char* split : {"train", "val", "test"})
    for (int c = 0; c < 2; ++c)
      for (int i = 0; i < (std::string(split) == "train" && c == 0 ? 3 : 6); ++i)
        drawing(fmt::format("data/{}/k{}/{}.png", split, c, i), i);
  const auto config =
      write("meta.yaml", "trainer: backprop\nproblem: {type: few_shot, dataset: \"folder:" + (dir_ / "data").string() +
                             "\", ways: 2, shots: 5, queries: 1}\n");
  EXPECT_EQ(run({"meta", "--config", config, "--output", (dir_ / "out").string()}), 2);
  one_line("class 'train/k0' has 3 examples, fewer than shots + queries = 6");
  EXPECT_NE(stderr_text().find("folder:" + (dir_ / "data").string()), std::string::npos) << stderr_text();
  // A folder without train/, val/ and test/ shares its classes between the splits.
  const auto flat = write("flat.yaml", "trainer: backprop\nproblem: {type: few_shot, dataset: \"folder:" +
                                           (dir_ / "data/val").string() + "\", ways: 2, shots: 1, queries: 1}\n");
  EXPECT_EQ(run({"meta", "--config", flat, "--output", (dir_ / "out2").string()}), 2);
  one_line("few-shot episodes need class-disjoint splits");
}

TEST_F(MetaUse, EvaluateAnEpisodeFolder) {
  support_and_queries();
  for (const char* e : {"001", "002"}) {
    fs::create_directories(dir_ / "episodes" / e);
    fs::copy(dir_ / "support", dir_ / "episodes" / e / "support", fs::copy_options::recursive);
    fs::copy(dir_ / "unlabelled", dir_ / "episodes" / e / "query", fs::copy_options::recursive);
  }
  write("episodes/001/answers.csv", "image,class\nka.png,ka\nki.png,ki\nku.png,ku\n");
  write("episodes/002/answers.csv", "image,class\nka.png,ka\nki.png,ku\nku.png,ki\n");
  const auto out = (dir_ / "scores.csv").string();
  ASSERT_EQ(run({"meta", "evaluate", "--run", run_dir(), "--episodes", (dir_ / "episodes").string(), "--out", out}), 0)
      << stderr_text();
  const auto summary = nlohmann::json::parse(stdout_text());
  EXPECT_EQ(summary["episodes"], 2);
  EXPECT_NEAR(summary["accuracy"].get<double>(), (1.0 + 1.0 / 3) / 2, 1e-12);
  EXPECT_EQ(metaevo::read_file(out),
            "episode,ways,support,queries,correct,accuracy\n001,3,3,3,3,1\n002,3,3,3,1,0.333333\n");
}

TEST_F(MetaUse, OmniglotWithinAlphabetEpisodesWrittenAndScored) {
  SKIP_WITHOUT_OMNIGLOT();
  const auto episodes = (dir_ / "episodes").string();
  ASSERT_EQ(run({"meta", "episodes", "--dataset", "omniglot-background", "--data-dir", omniglot_dir(), "--ways", "20",
                 "--shots", "1", "--queries", "1", "--episodes", "3", "--within-alphabet", "--out", episodes}),
            0)
      << stderr_text();
  ASSERT_EQ(run({"meta", "evaluate", "--run", run_dir(), "--episodes", episodes}), 0) << stderr_text();
  const auto summary = nlohmann::json::parse(stdout_text());
  EXPECT_EQ(summary["episodes"], 3);
  EXPECT_GT(summary["accuracy"].get<double>(), 0.05) << "an untrained conv4 is still above chance (0.05)";
  // Writing into a folder that holds something is refused.
  EXPECT_EQ(run({"meta", "episodes", "--dataset", "omniglot-background", "--data-dir", omniglot_dir(), "--episodes",
                 "1", "--out", episodes}),
            2);
  EXPECT_NE(stderr_text().find("--out: " + episodes + " exists and is not empty"), std::string::npos) << stderr_text();
}

}  // namespace
