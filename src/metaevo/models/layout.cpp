#include "metaevo/models/layout.h"

namespace metaevo::models {

Layout Layout::flat(int64_t dim) {
  Layout l;
  l.add("x", {dim});
  return l;
}

void Layout::add(std::string name, std::vector<int64_t> shape) {
  Segment s;
  s.name = std::move(name);
  s.shape = std::move(shape);
  s.numel = 1;
  for (auto d : s.shape) s.numel *= d;
  s.offset = dim_;
  dim_ += s.numel;
  segments_.push_back(std::move(s));
}

}  // namespace metaevo::models
