#include "metaevo/meta/episode_folder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/csv.h"
#include "metaevo/core/philox.h"
#include "metaevo/data/images.h"
#include "metaevo/data/png.h"

namespace metaevo::meta {

namespace fs = std::filesystem;

namespace {

/// The rows of answers.csv after its header: query image -> class. Fields may be quoted (RFC 4180).
std::map<std::string, std::string> read_answers(const std::string& path) {
  METAEVO_CHECK(fs::exists(path), "{}: missing: every episode needs its answer key", path);
  std::istringstream in(read_file(path));
  std::map<std::string, std::string> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    with_context(fmt::format("{}:{}", path, number), [&] { fields = csv_fields(line); });
    if (number == 1) {
      METAEVO_CHECK(fields.size() == 2 && fields[0] == "image" && fields[1] == "class",
                    "{}:1: the header must be 'image,class', got '{}'", path, line);
      continue;
    }
    if (line.empty()) continue;
    METAEVO_CHECK(fields.size() == 2 && !fields[0].empty() && !fields[1].empty(),
                  "{}:{}: expected 'image,class', got '{}'", path, number, line);
    METAEVO_CHECK(out.emplace(fields[0], fields[1]).second, "{}:{}: image '{}' is answered twice", path, number,
                  fields[0]);
  }
  return out;
}

}  // namespace

FolderTask read_folder_task(const std::string& support_dir, const std::string& query_dir, Polarity polarity) {
  FolderTask t;
  const auto support = data::read_class_folders(support_dir);
  t.classes = support.classes;
  t.support = support.images;
  t.support_labels = support.labels;
  if (!data::subfolders(query_dir).empty()) {
    METAEVO_CHECK(data::png_files(query_dir).empty(),
                  "{}: holds both images and class folders; put every query image in a class folder, or none",
                  query_dir);
    const auto query = data::read_class_folders(query_dir);
    std::vector<int64_t> to_support;
    for (const auto& c : query.classes) {
      const auto it = std::find(t.classes.begin(), t.classes.end(), c);
      METAEVO_CHECK(it != t.classes.end(), "{}: the support ({}) has no class '{}'", (fs::path(query_dir) / c).string(),
                    support_dir, c);
      to_support.push_back(int64_t(it - t.classes.begin()));
    }
    t.query_files = query.files;
    t.queries = query.images;
    t.query_labels = torch::tensor(to_support, torch::kInt64).index_select(0, query.labels);
  } else {
    t.query_files = data::png_files(query_dir);
    METAEVO_CHECK(!t.query_files.empty(), "{}: no query images (PNG files or class folders)", query_dir);
    t.queries = data::read_png_images(t.query_files);
    t.query_labels = torch::full({t.queries.size(0)}, -1, torch::kInt64);
  }
  t.inverted = polarity == Polarity::kInvert || (polarity == Polarity::kDetect && data::light_background(t.support));
  if (t.inverted) {
    t.support = 1 - t.support;
    t.queries = 1 - t.queries;
  }
  return t;
}

FolderScores score_episode_folder(torch::nn::Sequential encoder, const std::string& dir, Polarity polarity,
                                  int64_t batch, torch::Device device) {
  const auto episodes = data::subfolders(dir);
  METAEVO_CHECK(!episodes.empty(), "{}: no episode folders (each holds support/, query/ and answers.csv)", dir);
  FolderScores out;
  const auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  for (const auto& name : episodes) {
    const auto episode = fs::path(dir) / name;
    const auto query_dir = (episode / "query").string();
    METAEVO_CHECK(data::subfolders(query_dir).empty(), "{}: an episode's queries are PNG files answered in answers.csv",
                  query_dir);
    const auto task = read_folder_task((episode / "support").string(), query_dir, polarity);
    const auto answers_path = (episode / "answers.csv").string();
    auto answers = read_answers(answers_path);
    std::vector<int64_t> truth;
    for (const auto& file : task.query_files) {
      const auto image = fs::path(file).filename().string();
      const auto it = answers.find(image);
      METAEVO_CHECK(it != answers.end(), "{}: no answer for query image '{}'", answers_path, image);
      const auto c = std::find(task.classes.begin(), task.classes.end(), it->second);
      METAEVO_CHECK(c != task.classes.end(), "{}: '{}' is answered '{}', which is not a support class", answers_path,
                    image, it->second);
      truth.push_back(int64_t(c - task.classes.begin()));
      answers.erase(it);
    }
    METAEVO_CHECK(answers.empty(), "{}: answers image '{}', which is not in {}", answers_path, answers.begin()->first,
                  query_dir);
    const auto result =
        classify(encoder, task.support, task.support_labels, int64_t(task.classes.size()), task.queries, batch, device);
    EpisodeScore score{name, int64_t(task.classes.size()), task.support.size(0), task.queries.size(0), 0};
    score.correct = result.predicted.eq(torch::tensor(truth, torch::kInt64)).sum().item<int64_t>();
    out.episodes.push_back(score);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_log > std::chrono::seconds(10)) {
      last_log = now;
      const double elapsed = std::chrono::duration<double>(now - start).count(), done = double(out.episodes.size());
      spdlog::info("scored {} of {} episodes ({:.0f}s, ETA {:.0f}s)", out.episodes.size(), episodes.size(), elapsed,
                   elapsed / done * (double(episodes.size()) - done));
    }
  }
  std::vector<double> acc;
  for (const auto& e : out.episodes) acc.push_back(e.accuracy());
  const auto t = torch::tensor(acc, torch::kFloat64);
  out.mean = t.mean().item<double>();
  out.ci95 = acc.size() > 1 ? 1.96 * t.std().item<double>() / std::sqrt(double(acc.size())) : 0.0;
  return out;
}

void write_episode_folder(const data::EpisodeSampler& sampler, int64_t count, const std::string& dir) {
  const auto& o = sampler.options();
  const int width = std::max<int>(4, int(std::to_string(count - 1).size()));
  auto write_png = [](const torch::Tensor& image, const fs::path& path) {
    // Dark strokes on white, as the release: 255 * (1 - x), rounded.
    const auto gray = (1 - image.squeeze(0)).mul(255).round().clamp(0, 255).to(torch::kUInt8);
    write_file_atomic(path.string(), data::encode_png_gray(gray));
  };
  for (int64_t i = 0; i < count; ++i) {
    const auto e = sampler.episode(i);
    const auto episode = fs::path(dir) / fmt::format("{:0{}d}", i, width);
    std::vector<std::string> names;
    for (auto c : e.classes) {
      auto name = sampler.class_name(c);
      std::replace(name.begin(), name.end(), '/', '_');
      names.push_back(name);
      fs::create_directories(episode / "support" / name);
    }
    for (int64_t r = 0; r < e.support.size(0); ++r)
      write_png(e.support[r], episode / "support" / names[size_t(r / o.shots)] / fmt::format("{}.png", r % o.shots));
    // File names in a shuffled order, so that they do not give the classes away.
    const auto queries = e.query.size(0);
    const StreamId stream{mix64(uint64_t(i), 0xF01D), 0, 0, 0};
    const auto u = philox_uniform(stream, queries);
    const auto order = data::sample_distinct(queries, queries, u.data_ptr<float>());
    fs::create_directories(episode / "query");
    std::string answers = "image,class\n";
    for (int64_t r = 0; r < queries; ++r) {
      const auto file = fmt::format("{:03d}.png", order[size_t(r)]);
      write_png(e.query[r], episode / "query" / file);
      answers += csv_field(file) + "," + csv_field(names[size_t(e.query_labels[r].item<int64_t>())]) + "\n";
    }
    write_file_atomic((episode / "answers.csv").string(), answers);
  }
}

}  // namespace metaevo::meta
