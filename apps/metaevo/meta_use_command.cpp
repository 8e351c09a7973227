// Using a meta-trained ProtoNet on classes it has never seen (README, "Few-shot models on your own
// images"):
// - `metaevo meta predict --run DIR --support S --query Q [--out F]` classifies a folder of images
//   given a few labelled examples per class;
// - `metaevo meta evaluate --run DIR --episodes DIR [--out F]` scores a folder of ready-made
//   episodes, episode by episode, with a 95% interval;
// - `metaevo meta episodes --dataset NAME --out DIR` writes episodes of a data set as such a
//   folder (for example Lake et al.'s within-alphabet 20-way one-shot task on Omniglot's
//   evaluation set).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/csv.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/datasets.h"
#include "metaevo/meta/episode_folder.h"
#include "metaevo/meta/trained_protonet.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

struct UseArgs {
  std::string run, support, query, episodes, out, device = "cpu";
  bool invert = false, no_invert = false;
  int64_t batch = 0;  // 0: the training episode's queries
};

meta::Polarity polarity(const UseArgs& a) {
  return a.invert ? meta::Polarity::kInvert : a.no_invert ? meta::Polarity::kKeep : meta::Polarity::kDetect;
}

bool json_path(const std::string& path) { return fs::path(path).extension() == ".json"; }

/// The model of --run on --device, and the queries per forward pass: --batch, else the training
/// episode's.
std::pair<meta::TrainedProtoNet, int64_t> load_model(const Common& common, const UseArgs& a) {
  start_runtime(common);
  const auto device = parse_device(a.device);
  auto model = meta::load_trained_protonet(a.run, device);
  const auto batch = a.batch > 0 ? a.batch : model.options.ways * model.options.queries;
  return {std::move(model), batch};
}

int run_predict(const Common& common, const UseArgs& a) {
  const auto [model, batch] = load_model(common, a);  // small: a bad run folder is reported before any image is read
  const auto task = meta::read_folder_task(a.support, a.query, polarity(a));
  const auto ways = int64_t(task.classes.size());
  spdlog::info("{} classes, {} support and {} query images{}, {} queries per forward pass", ways, task.support.size(0),
               task.queries.size(0), task.inverted ? " (inverted: light background)" : "", batch);
  const auto r = meta::classify(model.encoder, task.support, task.support_labels, ways, task.queries, batch,
                                parse_device(a.device));
  const bool labelled = task.query_labels.ge(0).all().item<bool>();
  const double accuracy = labelled ? r.predicted.eq(task.query_labels).to(torch::kFloat64).mean().item<double>() : 0.0;

  nlohmann::ordered_json json{{"run", a.run}, {"classes", task.classes}, {"inverted", task.inverted}};
  std::string csv = "image,class";
  if (labelled) csv += ",label";
  for (const auto& c : task.classes) csv += "," + csv_field("distance:" + c);
  for (const auto& c : task.classes) csv += "," + csv_field("probability:" + c);
  csv += "\n";
  auto rows = nlohmann::ordered_json::array();
  const auto predicted_at = r.predicted.accessor<int64_t, 1>(), label_at = task.query_labels.accessor<int64_t, 1>();
  const auto distance_at = r.distances.accessor<float, 2>(), probability_at = r.probabilities.accessor<float, 2>();
  for (int64_t q = 0; q < task.queries.size(0); ++q) {
    const auto& predicted = task.classes[size_t(predicted_at[q])];
    csv += csv_field(task.query_files[size_t(q)]) + "," + csv_field(predicted);
    nlohmann::ordered_json row{{"image", task.query_files[size_t(q)]}, {"class", predicted}};
    if (labelled) {
      const auto& label = task.classes[size_t(label_at[q])];
      csv += "," + csv_field(label);
      row["label"] = label;
    }
    std::vector<double> distances, probabilities;
    for (int64_t c = 0; c < ways; ++c) {
      distances.push_back(distance_at[q][c]);
      probabilities.push_back(probability_at[q][c]);
    }
    for (auto d : distances) csv += fmt::format(",{:.6g}", d);
    for (auto p : probabilities) csv += fmt::format(",{:.6g}", p);
    csv += "\n";
    row["distances"] = distances;
    row["probabilities"] = probabilities;
    rows.push_back(std::move(row));
  }
  if (labelled) json["accuracy"] = accuracy;
  json["queries"] = std::move(rows);
  if (labelled) spdlog::info("accuracy {:.2f}% on {} labelled queries", 100 * accuracy, task.queries.size(0));
  if (a.out.empty()) {
    std::cout << csv;
  } else {
    write_file_atomic(a.out, json_path(a.out) ? json.dump(2) + "\n" : csv);
    spdlog::info("wrote {}", a.out);
  }
  return 0;
}

int run_evaluate(const Common& common, const UseArgs& a) {
  const auto [model, batch] = load_model(common, a);
  const auto scores = meta::score_episode_folder(model.encoder, a.episodes, polarity(a), batch, parse_device(a.device));
  spdlog::info("{} episodes: {:.2f}% +- {:.2f} (95% interval)", scores.episodes.size(), 100 * scores.mean,
               100 * scores.ci95);
  nlohmann::ordered_json summary{
      {"run", a.run}, {"episodes", scores.episodes.size()}, {"accuracy", scores.mean}, {"ci95", scores.ci95}};
  if (!a.out.empty()) {
    std::string csv = "episode,ways,support,queries,correct,accuracy\n";
    auto rows = nlohmann::ordered_json::array();
    for (const auto& e : scores.episodes) {
      csv += fmt::format("{},{},{},{},{},{:.6g}\n", csv_field(e.episode), e.ways, e.support, e.queries, e.correct,
                         e.accuracy());
      rows.push_back({{"episode", e.episode},
                      {"ways", e.ways},
                      {"support", e.support},
                      {"queries", e.queries},
                      {"correct", e.correct},
                      {"accuracy", e.accuracy()}});
    }
    auto json = summary;
    json["per_episode"] = std::move(rows);
    write_file_atomic(a.out, json_path(a.out) ? json.dump(2) + "\n" : csv);
    spdlog::info("wrote {}", a.out);
  }
  std::cout << summary.dump() << std::endl;
  return 0;
}

struct EpisodesArgs {
  std::string dataset, data_dir, split = "test", out;
  data::EpisodeOptions episode{20, 1, 1};
  int64_t count = 1000;
  uint64_t seed = 1;
  bool within_alphabet = false;
};

int run_episodes(const Common& common, const EpisodesArgs& a) {
  start_runtime(common);
  with_context("--split", [&] {
    METAEVO_CHECK(a.split == "train" || a.split == "valid" || a.split == "test",
                  "must be train, valid or test, got '{}'", a.split);
  });
  with_context("--out",
               [&] { METAEVO_CHECK(!fs::exists(a.out) || fs::is_empty(a.out), "{} exists and is not empty", a.out); });
  with_context("--dataset", [&] { data::check_dataset_name(a.dataset); });
  const auto splits = data::load_dataset(a.dataset, data::data_dir_for(a.dataset, a.data_dir));
  const auto& split = a.split == "train" ? splits.train : a.split == "valid" ? splits.valid : splits.test;
  data::EpisodeSampler sampler(split, a.episode, a.seed, splits.class_names);
  if (a.within_alphabet) sampler.within_groups();
  spdlog::info("writing {} {}-way {}-shot episodes ({} queries per class) of {}'s {} split to {}", a.count,
               a.episode.ways, a.episode.shots, a.episode.queries, a.dataset, a.split, a.out);
  meta::write_episode_folder(sampler, a.count, a.out);
  return 0;
}

void add_model_options(CLI::App* cmd, UseArgs& a) {
  cmd->add_option("--run", a.run, "output folder of a metaevo meta run (config.yaml and weights.pt)")->required();
  cmd->add_option("--out", a.out, "file to write: .json for JSON, else CSV");
  auto* invert = cmd->add_flag("--invert", a.invert, "invert the images (force: dark strokes on a light background)");
  cmd->add_flag("--no-invert", a.no_invert, "never invert (force: light strokes on a dark background)")
      ->excludes(invert);
  cmd->add_option("--batch", a.batch, "queries per forward pass (default: the training episode's queries)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--device", a.device, "cpu | cuda | cuda:N");
}

}  // namespace

void add_meta_use_commands(CLI::App* meta, Common& common, Action& action) {
  auto use = std::make_shared<UseArgs>();
  auto* predict = meta->add_subcommand("predict", "classify images given a few labelled examples per class");
  add_model_options(predict, *use);
  predict->add_option("--support", use->support, "folder with one sub-folder of PNG images per class")->required();
  predict->add_option("--query", use->query, "folder of PNG images, or of class sub-folders (then: accuracy)")
      ->required();
  predict->callback([&common, &action, use] { action = [&common, use] { return run_predict(common, *use); }; });

  auto* evaluate = meta->add_subcommand("evaluate", "score a folder of ready-made episodes, with a 95% interval");
  add_model_options(evaluate, *use);
  evaluate
      ->add_option("--episodes", use->episodes, "folder of episodes: <episode>/support/<class>/, query/, answers.csv")
      ->required();
  evaluate->callback([&common, &action, use] { action = [&common, use] { return run_evaluate(common, *use); }; });

  auto ep = std::make_shared<EpisodesArgs>();
  auto* episodes = meta->add_subcommand("episodes", "write episodes of a data set as a folder for meta evaluate");
  episodes->add_option("--dataset", ep->dataset, "registered data set, e.g. omniglot-background")->required();
  episodes->add_option("--data-dir", ep->data_dir, "the data set's folder (default: its standard place)");
  episodes->add_option("--split", ep->split, "train | valid | test");
  episodes->add_option("--ways", ep->episode.ways, "classes per episode")->check(CLI::Range(2, 1 << 20));
  episodes->add_option("--shots", ep->episode.shots, "support images per class")->check(CLI::PositiveNumber);
  episodes->add_option("--queries", ep->episode.queries, "query images per class")->check(CLI::PositiveNumber);
  episodes->add_option("--episodes", ep->count, "episodes to write")->check(CLI::PositiveNumber);
  episodes->add_option("--seed", ep->seed, "seed of the episodes");
  episodes->add_flag("--within-alphabet", ep->within_alphabet,
                     "every episode's classes from one alphabet (the part of a class name before '/')");
  episodes->add_option("--out", ep->out, "folder to create")->required();
  episodes->callback([&common, &action, ep] { action = [&common, ep] { return run_episodes(common, *ep); }; });
}

}  // namespace metaevo::cli
