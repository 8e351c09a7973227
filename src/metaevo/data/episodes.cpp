#include "metaevo/data/episodes.h"

#include <algorithm>
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

EpisodeSampler::EpisodeSampler(const Split& examples, const EpisodeOptions& options, uint64_t seed)
    : o_(options), seed_(seed) {
  o_.validate();
  const auto labels = examples.y.to(torch::kCPU).contiguous();
  const int64_t* y = labels.data_ptr<int64_t>();
  std::vector<int64_t> order(size_t(labels.numel()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return y[a] < y[b]; });
  // Runs of equal labels in `order` are the classes.
  int64_t classes = 0, per_class = 0;
  for (size_t begin = 0, end = 0; begin < order.size(); begin = end, ++classes) {
    while (end < order.size() && y[order[end]] == y[order[begin]]) ++end;
    const auto count = int64_t(end - begin);
    METAEVO_CHECK(classes == 0 || count == per_class,
                  "episodes: classes differ in their number of examples (label {} has {}, the first class {})",
                  y[order[begin]], count, per_class);
    per_class = count;
  }
  METAEVO_CHECK(classes >= o_.ways, "episodes: {} classes cannot make {}-way episodes", classes, o_.ways);
  METAEVO_CHECK(per_class >= o_.shots + o_.queries,
                "episodes: each class has {} examples, fewer than shots + queries = {}", per_class,
                o_.shots + o_.queries);
  const auto x = examples.x.index_select(0, torch::tensor(order, torch::kInt64).to(examples.x.device()));
  auto shape = x.sizes().vec();
  shape[0] = per_class;
  shape.insert(shape.begin(), classes);
  images_ = x.reshape(shape);
}

Episode EpisodeSampler::episode(int64_t index) const {
  const int64_t per_class = o_.shots + o_.queries, drawings = images_.size(1);
  // One stream per episode: the first `ways` numbers pick classes, then `per_class` per class.
  const StreamId stream{mix64(seed_, 0xE915), uint32_t(index), uint32_t(uint64_t(index) >> 32), 0};
  auto u = philox_uniform(stream, o_.ways * (1 + per_class));
  const float* p = u.data_ptr<float>();
  Episode e;
  e.classes = sample_distinct(num_classes(), o_.ways, p);
  std::vector<int64_t> support_rows, query_rows;  // into images_ viewed as [classes * D, ...]
  for (int64_t c = 0; c < o_.ways; ++c) {
    const auto picked = sample_distinct(drawings, per_class, p + o_.ways + c * per_class);
    for (int64_t j = 0; j < per_class; ++j)
      (j < o_.shots ? support_rows : query_rows).push_back(e.classes[size_t(c)] * drawings + picked[size_t(j)]);
  }
  auto flat = images_.flatten(0, 1);
  e.support = flat.index_select(0, torch::tensor(support_rows));
  e.query = flat.index_select(0, torch::tensor(query_rows));
  e.query_labels = torch::arange(o_.ways, torch::kInt64).repeat_interleave(o_.queries);
  return e;
}

}  // namespace metaevo::data
