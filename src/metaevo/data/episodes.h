#pragma once
// N-way K-shot few-shot episodes (Vinyals et al. 2016; Snell et al. 2017) over the classes of any
// split of a registered data set. Episode i is a pure function of (seed, i), drawn from a
// counter-based stream: any process, and any resumed run, rebuilds the same episode without
// carrying sampler state.
#include <torch/torch.h>

#include <cstdint>
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
  /// order. An Error when classes differ in their number of examples, a class has fewer than
  /// shots + queries or there are fewer classes than ways.
  EpisodeSampler(const Split& examples, const EpisodeOptions& options, uint64_t seed);

  /// Episode `index`: `ways` distinct classes, and for each `shots + queries` distinct images.
  Episode episode(int64_t index) const;

  int64_t num_classes() const { return images_.size(0); }
  const EpisodeOptions& options() const { return o_; }

 private:
  EpisodeOptions o_;
  uint64_t seed_;
  torch::Tensor images_;  // [classes, D, ...]
};

/// `k` distinct values of [0, n) in sampled order (partial Fisher-Yates driven by `uniforms`,
/// which holds at least k numbers in (0, 1)).
std::vector<int64_t> sample_distinct(int64_t n, int64_t k, const float* uniforms);

}  // namespace metaevo::data
