#include "metaevo/meta/protonet.h"

#include "metaevo/core/error.h"

namespace metaevo::meta {

torch::Tensor prototypes(const torch::Tensor& support, int64_t ways) {
  const int64_t rows = support.size(-2), dim = support.size(-1);
  METAEVO_CHECK(ways >= 1 && rows % ways == 0, "prototypes: {} support rows do not split into {} classes", rows, ways);
  auto shape = support.sizes().vec();
  shape.back() = dim;
  shape[shape.size() - 2] = rows / ways;
  shape.insert(shape.end() - 2, ways);
  return support.reshape(shape).mean(-2);
}

torch::Tensor proto_logits(const torch::Tensor& query, const torch::Tensor& prototypes) {
  return -(query.unsqueeze(-2) - prototypes.unsqueeze(-3)).pow(2).sum(-1);
}

}  // namespace metaevo::meta
