#pragma once
// N-way K-shot few-shot episodes (Vinyals et al. 2016; Snell et al. 2017) over the classes of any
// split of a registered data set. Episode i is a pure function of (seed, i), drawn from a
// counter-based stream: any process, and any resumed run, rebuilds the same episode without
// carrying sampler state.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/data/splits.h"

namespace metaevo::data {

struct EpisodeOptions {
  int64_t ways = 5;      // classes per episode
  int64_t shots = 5;     // labelled support images per class
  int64_t queries = 15;  // query images per class
  template <class V>
  void visit(V& v) {
    v("ways", ways, "classes per episode (N)");
    v("shots", shots, "support images per class (K)");
    v("queries", queries, "query images per class");
  }
  void validate() const;
};

struct Episode {
  torch::Tensor support;         // [ways * shots, ...], class-major: class c at rows c*shots ...
  torch::Tensor query;           // [ways * queries, ...], class-major
  torch::Tensor query_labels;    // int64 [ways * queries], values in [0, ways)
  std::vector<int64_t> classes;  // the episode's classes, as positions in the sampler's class list
};

class EpisodeSampler {
 public:
  /// The classes of `examples` (its distinct labels, ascending), each with its examples in split
  /// order. Classes may differ in their number of examples. An Error when a class has fewer than
  /// shots + queries or there are fewer classes than ways; `class_names` (label -> name, optional)
  /// names the class in it.
  EpisodeSampler(const Split& examples, const EpisodeOptions& options, uint64_t seed,
                 const std::vector<std::string>& class_names = {});

  /// From now on every episode draws its classes from one group, chosen uniformly among the groups
  /// with at least `ways` classes: a class's group is the part of its name before the first '/'
  /// (Omniglot's alphabet, as in Lake et al.'s within-alphabet one-shot task). Needs class names;
  /// an Error when no group has `ways` classes.
  void within_groups();

  /// Episode `index`: `ways` distinct classes, and for each `shots + queries` distinct images.
  Episode episode(int64_t index) const;

  int64_t num_classes() const { return int64_t(counts_.size()); }
  /// The name of class `c` (a position, as in Episode::classes); "class<c>" without class names.
  std::string class_name(int64_t c) const;
  const EpisodeOptions& options() const { return o_; }

 private:
  EpisodeOptions o_;
  uint64_t seed_;
  torch::Tensor images_;                      // [N, ...], class-major
  std::vector<int64_t> offsets_, counts_;     // class c's rows of images_: offsets_[c] .. + counts_[c]
  std::vector<std::string> names_;            // per class (not per label), when given
  std::vector<std::vector<int64_t>> groups_;  // classes of each eligible group, when within_groups()
};

/// `k` distinct values of [0, n) in sampled order (partial Fisher-Yates driven by `uniforms`,
/// which holds at least k numbers in (0, 1)).
std::vector<int64_t> sample_distinct(int64_t n, int64_t k, const float* uniforms);

}  // namespace metaevo::data
