#pragma once
// The one split type. Every capability trains, validates and tests on a `Splits`, cut from a data
// set's examples by one rule (SplitOptions).
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace metaevo::data {

/// Examples [N, ...] (float32) and their labels (int64 [N]).
struct Split {
  torch::Tensor x, y;
  int64_t size() const { return x.defined() ? x.size(0) : 0; }
  Split rows(const torch::Tensor& index) const;
  Split slice(int64_t begin, int64_t end) const { return {x.slice(0, begin, end), y.slice(0, begin, end)}; }
  Split to(torch::Device device) const { return {x.to(device), y.to(device)}; }
};

struct Splits {
  std::string name;  // the data set's registered name, e.g. "mnist-rot:90"
  Split train, valid, test;
  int64_t classes = 0;  // from the labels: every label lies in [0, classes)
  // Label -> name where the source has names ("Alphabet/characterNN", a folder's class), else empty.
  std::vector<std::string> class_names;
  Splits to(torch::Device device) const {
    return {name, train.to(device), valid.to(device), test.to(device), classes, class_names};
  }
  /// The same splits with `f` applied to every split's examples (e.g. flattening, padding).
  Splits map(const std::function<torch::Tensor(const torch::Tensor&)>& f) const;
};

/// The one rule: the last `valid_size` examples of the training pool validate; the first
/// `train_size` of the others train (0: all of them; more than there are is an Error). valid_size -1 takes the data
/// set's own default (5,000 for the IDX sets, the held-out drawers or classes for Omniglot's).
struct SplitOptions {
  int64_t valid_size = -1;
  int64_t train_size = 0;
};

/// What a data set source reads, before the rule cuts it: a training pool ordered so that any
/// tail is a fair validation set, the test examples, and the pool's default validation size.
struct Examples {
  Split pool, test;
  int64_t classes = 0;
  int64_t default_valid = 0;
  std::vector<std::string> class_names;  // as Splits::class_names
};

/// `examples` cut by `options`: an Error naming the data set when the sizes do not fit its pool.
Splits cut(Examples examples, const SplitOptions& options, const std::string& name);

}  // namespace metaevo::data
