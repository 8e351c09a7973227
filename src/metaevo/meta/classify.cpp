#include "metaevo/meta/classify.h"

#include "metaevo/core/error.h"
#include "metaevo/meta/protonet.h"

namespace metaevo::meta {

Classification classify(torch::nn::Sequential encoder, const torch::Tensor& support, const torch::Tensor& labels,
                        int64_t ways, const torch::Tensor& queries, int64_t batch, torch::Device device) {
  METAEVO_CHECK(batch >= 1, "classify: batch must be >= 1, got {}", batch);
  METAEVO_CHECK(labels.dim() == 1 && labels.size(0) == support.size(0), "classify: {} labels for {} support images",
                labels.numel(), support.size(0));
  const auto counts = torch::bincount(labels.cpu(), {}, ways);
  METAEVO_CHECK(counts.size(0) == ways && counts.min().item<int64_t>() >= 1,
                "classify: every one of the {} classes needs a support image", ways);
  torch::NoGradGuard no_grad;
  encoder->train();  // batch-norm on the batch's statistics, as in training and testing
  const auto s = support.to(device);
  const auto index = labels.to(device);
  const auto per_class = counts.to(device).to(torch::kFloat32).unsqueeze(1);
  std::vector<torch::Tensor> logits;
  for (int64_t begin = 0; begin < queries.size(0); begin += batch) {
    const auto q = queries.slice(0, begin, begin + batch).to(device);
    const auto emb = encoder->forward(torch::cat({s, q}));
    const auto protos =
        torch::zeros({ways, emb.size(1)}, emb.options()).index_add_(0, index, emb.narrow(0, 0, s.size(0))) / per_class;
    logits.push_back(proto_logits(emb.narrow(0, s.size(0), q.size(0)), protos).cpu());
  }
  const auto all = logits.empty() ? torch::empty({0, ways}) : torch::cat(logits);
  return {-all, torch::softmax(all, 1), all.argmax(1)};
}

}  // namespace metaevo::meta
