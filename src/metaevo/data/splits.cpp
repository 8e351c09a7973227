#include "metaevo/data/splits.h"

#include "metaevo/core/error.h"

namespace metaevo::data {

Split Split::rows(const torch::Tensor& index) const {
  const auto at = index.to(x.device());
  return {x.index_select(0, at), y.index_select(0, at)};
}

Splits Splits::map(const std::function<torch::Tensor(const torch::Tensor&)>& f) const {
  return {name, {f(train.x), train.y}, {f(valid.x), valid.y}, {f(test.x), test.y}, classes, class_names};
}

Splits cut(Examples examples, const SplitOptions& o, const std::string& name) {
  const int64_t n = examples.pool.size();
  const int64_t valid = o.valid_size < 0 ? examples.default_valid : o.valid_size;
  METAEVO_CHECK(valid < n, "data set '{}': a validation split of {} leaves none of its {} training examples", name,
                valid, n);
  METAEVO_CHECK(o.train_size >= 0 && o.train_size <= n - valid,
                "data set '{}': train_size must be in [0, {}] ({} examples, {} of them validate), got {}", name,
                n - valid, n, valid, o.train_size);
  const int64_t train = o.train_size > 0 ? o.train_size : n - valid;
  Splits out;
  out.name = name;
  out.train = examples.pool.slice(0, train);
  out.valid = examples.pool.slice(n - valid, n);
  out.test = std::move(examples.test);
  out.classes = examples.classes;
  out.class_names = std::move(examples.class_names);
  return out;
}

}  // namespace metaevo::data
