// Episode folders: scored from known images, written from a data set, bad layouts named.
#include "metaevo/meta/episode_folder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "../support/errors.h"
#include "../support/scratch_dir.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/data/png.h"
#include "metaevo/models/zoo.h"

namespace metaevo::meta {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

class EpisodeFolderTest : public testing::ScratchDirTest {
 protected:
  EpisodeFolderTest() : ScratchDirTest("metaevo_episode_folder_") {}

  /// A 40 x 40 drawing, dark on white as in the Omniglot release: a black square at (at, at).
  std::string drawing(int64_t at) {
    auto gray = torch::full({40, 40}, 255, torch::kUInt8);
    gray.slice(0, at, at + 12).slice(1, at, at + 12).fill_(0);
    return data::encode_png_gray(gray);
  }

  /// An episode of classes a, b, c (one shot each, squares at 2, 14 and 26) whose queries are
  /// copies of the support images of `query_classes`, answered `answers`.
  void episode(const std::string& name, const std::vector<std::string>& query_classes,
               const std::vector<std::string>& answers) {
    const std::map<std::string, int64_t> at{{"a", 2}, {"b", 14}, {"c", 26}};
    for (const auto& [c, position] : at) write("episodes/" + name + "/support/" + c + "/0.png", drawing(position));
    std::string key = "image,class\n";
    for (size_t q = 0; q < query_classes.size(); ++q) {
      const auto file = "q" + std::to_string(q) + ".png";
      write("episodes/" + name + "/query/" + file, drawing(at.at(query_classes[q])));
      key += file + "," + answers[q] + "\n";
    }
    write("episodes/" + name + "/answers.csv", key);
  }

  torch::nn::Sequential encoder_ = models::make_conv4(1, 16, 5);
  const torch::Device cpu_{torch::kCPU};
};

TEST_F(EpisodeFolderTest, KnownImagesGiveTheExpectedScore) {
  // A query identical to a class's only support image is at distance 0 from its prototype, so the
  // model's answers are known: the answer key marks one of them wrong in the first episode.
  episode("e1", {"a", "b", "c", "a"}, {"a", "b", "c", "b"});
  episode("e2", {"c", "b"}, {"c", "b"});
  const auto scores = score_episode_folder(encoder_, (dir_ / "episodes").string(), Polarity::kDetect, 75, cpu_);
  ASSERT_EQ(scores.episodes.size(), 2u);
  EXPECT_EQ(scores.episodes[0].episode, "e1");
  EXPECT_EQ(scores.episodes[0].ways, 3);
  EXPECT_EQ(scores.episodes[0].queries, 4);
  EXPECT_EQ(scores.episodes[0].correct, 3);
  EXPECT_EQ(scores.episodes[1].correct, 2);
  EXPECT_DOUBLE_EQ(scores.mean, 0.875);
  EXPECT_NEAR(scores.ci95, 1.96 * (0.25 / std::sqrt(2.0)) / std::sqrt(2.0), 1e-12);

  const auto task = read_folder_task((dir_ / "episodes/e1/support").string(), (dir_ / "episodes/e1/query").string(),
                                     Polarity::kDetect);
  EXPECT_TRUE(task.inverted) << "dark drawings on white are inverted";
  EXPECT_EQ(task.classes, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_FALSE(
      read_folder_task((dir_ / "episodes/e1/support").string(), (dir_ / "episodes/e1/query").string(), Polarity::kKeep)
          .inverted);
}

TEST_F(EpisodeFolderTest, BadEpisodesNameTheFile) {
  episode("e1", {"a", "b"}, {"a", "b"});
  const auto dir = (dir_ / "episodes").string();
  auto score = [&] { score_episode_folder(encoder_, dir, Polarity::kDetect, 75, cpu_); };
  const auto answers = (dir_ / "episodes/e1/answers.csv").string();
  write("episodes/e1/answers.csv", "image,class\nq0.png,a\n");
  EXPECT_NE(error_of(score).find(answers + ": no answer for query image 'q1.png'"), std::string::npos);
  write("episodes/e1/answers.csv", "image,class\nq0.png,a\nq1.png,z\n");
  EXPECT_NE(error_of(score).find("'q1.png' is answered 'z', which is not a support class"), std::string::npos);
  write("episodes/e1/answers.csv", "image,class\nq0.png,a\nq1.png,b\nq7.png,b\n");
  EXPECT_NE(error_of(score).find("answers image 'q7.png'"), std::string::npos);
  write("episodes/e1/answers.csv", "file;class\n");
  EXPECT_NE(error_of(score).find(answers + ":1: the header"), std::string::npos);
  fs::remove(answers);
  EXPECT_NE(error_of(score).find(answers + ": missing"), std::string::npos);
  fs::remove_all(dir_ / "episodes/e1/support/b");
  fs::create_directories(dir_ / "episodes/e1/support/b");
  EXPECT_NE(error_of(score).find("support/b: the class folder holds no PNG image"), std::string::npos);
}

TEST_F(EpisodeFolderTest, WrittenEpisodesAnswerTheirQueries) {
  // Class c's images are all the gray level 10 * (c + 1), so an answer is right exactly when the
  // query looks like the support images of the class it names.
  const int64_t classes = 6, per_class = 5;
  const auto labels = torch::arange(classes, torch::kInt64).repeat_interleave(per_class);
  const auto images = (labels.to(torch::kFloat32) + 1).mul(10.0f / 255).view({-1, 1, 1, 1}).expand({-1, 1, 8, 8});
  std::vector<std::string> names;
  for (int64_t c = 0; c < classes; ++c) names.push_back("group/class" + std::to_string(c));
  const data::EpisodeSampler sampler({images.contiguous(), labels}, {3, 2, 2}, 9, names);
  const auto out = dir_ / "written";
  write_episode_folder(sampler, 4, out.string());
  int64_t episodes = 0;
  auto gray = [](const fs::path& png) {
    const auto bytes = read_file(png.string());
    return data::decode_png_gray(bytes.data(), bytes.size(), png.string())[0][0].item<int64_t>();
  };
  for (const auto& e : fs::directory_iterator(out)) {
    ++episodes;
    const auto task = read_folder_task((e.path() / "support").string(), (e.path() / "query").string(), Polarity::kKeep);
    EXPECT_EQ(task.classes.size(), 3u);
    EXPECT_EQ(task.support.size(0), 6);
    EXPECT_EQ(task.queries.size(0), 6);
    EXPECT_EQ(task.classes[0].rfind("group_class", 0), 0u) << "'/' becomes '_'";
    const auto key = read_file((e.path() / "answers.csv").string());
    std::istringstream lines(key);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line, "image,class");
    int64_t answered = 0;
    while (std::getline(lines, line)) {
      const auto comma = line.find(',');
      const auto query = gray(e.path() / "query" / line.substr(0, comma));
      EXPECT_EQ(query, gray(e.path() / "support" / line.substr(comma + 1) / "0.png")) << line;
      ++answered;
    }
    EXPECT_EQ(answered, 6);
  }
  EXPECT_EQ(episodes, 4);
}

}  // namespace
}  // namespace metaevo::meta
