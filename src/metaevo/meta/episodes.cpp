#include "metaevo/meta/episodes.h"

#include <numeric>

#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::meta {

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

EpisodeSampler::EpisodeSampler(const data::Omniglot& omniglot, const std::vector<data::OmniglotClass>& classes,
                               const EpisodeOptions& options, uint64_t seed)
    : o_(options), seed_(seed) {
  o_.validate();
  METAEVO_CHECK(int64_t(classes.size()) >= o_.ways, "episodes: {} classes cannot make {}-way episodes", classes.size(),
                o_.ways);
  std::vector<torch::Tensor> images;
  images.reserve(classes.size());
  for (const auto& c : classes) {
    images.push_back(data::class_images(omniglot, c));
    METAEVO_CHECK(images.back().size(0) >= o_.shots + o_.queries,
                  "episodes: class {} rot{:03d} has {} images, fewer than shots + queries = {}", c.character,
                  c.rotation_degrees, images.back().size(0), o_.shots + o_.queries);
    METAEVO_CHECK(images.back().size(0) == images.front().size(0),
                  "episodes: classes differ in their number of images ({} has {}, {} has {})", c.character,
                  images.back().size(0), classes.front().character, images.front().size(0));
  }
  images_ = torch::stack(images);
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

}  // namespace metaevo::meta
