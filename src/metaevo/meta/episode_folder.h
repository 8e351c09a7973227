#pragma once
// Few-shot tasks as folders of PNG images, for users' own images and for fixed, published episode
// sets (README, "Few-shot models on your own images"). An episode folder holds one folder per
// episode:
//   EPISODES/<episode>/support/<class>/<image>.png   labelled examples, one folder per class
//   EPISODES/<episode>/query/<image>.png             the images to classify
//   EPISODES/<episode>/answers.csv                   header "image,class", then one line per query
// Images may have any size and bit depth; they are read as the training data (data/images.h), and
// their ink polarity is decided from the support images' borders unless forced.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "metaevo/data/episodes.h"
#include "metaevo/meta/classify.h"

namespace metaevo::meta {

/// Whether a task's images are inverted to the data sets' bright strokes on black.
enum class Polarity { kDetect, kInvert, kKeep };

struct FolderTask {
  std::vector<std::string> classes;  // the support's class folders, sorted; label i is classes[i]
  torch::Tensor support, support_labels;
  std::vector<std::string> query_files;
  torch::Tensor queries;
  torch::Tensor query_labels;  // int64 [Q]: the query's class, or -1 where it is not known
  bool inverted = false;
};

/// Support images from `support_dir`'s class folders; queries from `query_dir`, either its PNG
/// files (labels unknown) or, when it holds class folders named as the support's classes, their
/// images with those labels. An empty class folder, an unreadable image, or a query class that
/// the support lacks is an Error naming the folder or file.
FolderTask read_folder_task(const std::string& support_dir, const std::string& query_dir, Polarity polarity);

struct EpisodeScore {
  std::string episode;  // the episode's folder name
  int64_t ways = 0, support = 0, queries = 0, correct = 0;
  double accuracy() const { return queries ? double(correct) / double(queries) : 0.0; }
};

struct FolderScores {
  std::vector<EpisodeScore> episodes;  // in folder-name order
  double mean = 0, ci95 = 0;           // over episodes; ci95 is 1.96 standard errors
};

/// Scores every episode of `dir` (layout above) with the encoder, `batch` queries per forward pass.
/// A missing part of an episode, an answer naming an unknown class or image, or a query without an
/// answer is an Error naming the file.
FolderScores score_episode_folder(torch::nn::Sequential encoder, const std::string& dir, Polarity polarity,
                                  int64_t batch, torch::Device device);

/// Writes `count` episodes of `sampler` (episodes 0 .. count-1) to `dir` in the layout above, as
/// dark strokes on white (the look of the Omniglot release), query files in a shuffled order.
/// Class folders are the sampler's class names with '/' replaced by '_'.
void write_episode_folder(const data::EpisodeSampler& sampler, int64_t count, const std::string& dir);

}  // namespace metaevo::meta
