#include "metaevo/data/episodes.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::data {

void EpisodeOptions::validate() const {
  require(ways >= 2, "ways", "must be >= 2, got {}", ways);
  require(shots >= 1, "shots", "must be >= 1, got {}", shots);
  require(queries >= 1, "queries", "must be >= 1, got {}", queries);
}

std::vector<int64_t> sample_distinct(int64_t n, int64_t k, const float* uniforms) {
  METAEVO_CHECK(k >= 0 && k <= n, "sample_distinct: cannot draw {} distinct values from {}", k, n);
  std::vector<int64_t> pool(static_cast<size_t>(n));
  std::iota(pool.begin(), pool.end(), 0);
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + std::min(n - i - 1, int64_t(uniforms[i] * float(n - i)));
    std::swap(pool[size_t(i)], pool[size_t(j)]);
  }
  pool.resize(size_t(k));
  return pool;
}

EpisodeSampler::EpisodeSampler(const Split& examples, const EpisodeOptions& options, uint64_t seed,
                               const std::vector<std::string>& class_names)
    : o_(options), seed_(seed) {
  o_.validate();
  const auto labels = examples.y.to(torch::kCPU).contiguous();
  const int64_t* y = labels.data_ptr<int64_t>();
  std::vector<int64_t> order(size_t(labels.numel()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return y[a] < y[b]; });
  // Runs of equal labels in `order` are the classes.
  for (size_t begin = 0, end = 0; begin < order.size(); begin = end) {
    while (end < order.size() && y[order[end]] == y[order[begin]]) ++end;
    const auto count = int64_t(end - begin), label = y[order[begin]];
    METAEVO_CHECK(class_names.empty() || (label >= 0 && size_t(label) < class_names.size()),
                  "episodes: label {} has no class name ({} names)", label, class_names.size());
    if (!class_names.empty()) names_.push_back(class_names[size_t(label)]);
    METAEVO_CHECK(count >= o_.shots + o_.queries, "episodes: class {} has {} examples, fewer than shots + queries = {}",
                  names_.empty() ? "with label " + std::to_string(label) : "'" + names_.back() + "'", count,
                  o_.shots + o_.queries);
    offsets_.push_back(int64_t(begin));
    counts_.push_back(count);
  }
  METAEVO_CHECK(num_classes() >= o_.ways, "episodes: {} classes cannot make {}-way episodes", num_classes(), o_.ways);
  // Class-major examples (as every loader of a few-shot data set gives them) are used in place:
  // the Vinyals splits are 400 MB, and a copy costs a second.
  bool class_major = true;
  for (size_t i = 0; i < order.size() && class_major; ++i) class_major = order[i] == int64_t(i);
  images_ = class_major ? examples.x
                        : examples.x.index_select(0, torch::tensor(order, torch::kInt64).to(examples.x.device()));
}

std::string EpisodeSampler::class_name(int64_t c) const {
  return names_.empty() ? "class" + std::to_string(c) : names_.at(size_t(c));
}

void EpisodeSampler::within_groups() {
  METAEVO_CHECK(!names_.empty(), "episodes within groups need class names");
  std::map<std::string, std::vector<int64_t>> by_group;
  for (size_t c = 0; c < names_.size(); ++c) by_group[names_[c].substr(0, names_[c].find('/'))].push_back(int64_t(c));
  groups_.clear();
  for (auto& [_, classes] : by_group)
    if (int64_t(classes.size()) >= o_.ways) groups_.push_back(std::move(classes));
  METAEVO_CHECK(!groups_.empty(), "episodes: no group of classes has {} classes for {}-way episodes within a group",
                o_.ways, o_.ways);
}

Episode EpisodeSampler::episode(int64_t index) const {
  const int64_t per_class = o_.shots + o_.queries;
  // One stream per episode: the first `ways` numbers pick classes, then `per_class` per class, then
  // one picks the group (last, so that episodes without groups keep their draws).
  const StreamId stream{mix64(seed_, 0xE915), uint32_t(index), uint32_t(uint64_t(index) >> 32), 0};
  auto u = philox_uniform(stream, o_.ways * (1 + per_class) + 1);
  const float* p = u.data_ptr<float>();
  Episode e;
  if (groups_.empty()) {
    e.classes = sample_distinct(num_classes(), o_.ways, p);
  } else {
    const auto& group = groups_[sample_distinct(int64_t(groups_.size()), 1, p + o_.ways * (1 + per_class))[0]];
    for (auto i : sample_distinct(int64_t(group.size()), o_.ways, p)) e.classes.push_back(group[size_t(i)]);
  }
  std::vector<int64_t> support_rows, query_rows;  // into images_
  for (int64_t c = 0; c < o_.ways; ++c) {
    const auto k = size_t(e.classes[size_t(c)]);
    const auto picked = sample_distinct(counts_[k], per_class, p + o_.ways + c * per_class);
    for (int64_t j = 0; j < per_class; ++j)
      (j < o_.shots ? support_rows : query_rows).push_back(offsets_[k] + picked[size_t(j)]);
  }
  e.support = images_.index_select(0, torch::tensor(support_rows).to(images_.device()));
  e.query = images_.index_select(0, torch::tensor(query_rows).to(images_.device()));
  e.query_labels = torch::arange(o_.ways, torch::kInt64).repeat_interleave(o_.queries);
  return e;
}

}  // namespace metaevo::data
