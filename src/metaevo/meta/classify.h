#pragma once
// Prototype classification of query images given labelled support images, the way the ProtoNet is
// tested: every forward pass holds the support images and one batch of queries, and batch-norm
// normalises with that batch's statistics (few_shot_problem.h). A query's result therefore depends
// slightly on the other queries of its batch: it is reproducible for a given order and batch size,
// and batches near the training episode's size match how the model was trained.
#include <torch/torch.h>

#include <cstdint>

namespace metaevo::meta {

struct Classification {
  torch::Tensor distances;      // float [Q, ways]: squared Euclidean distance to each prototype
  torch::Tensor probabilities;  // float [Q, ways]: softmax of minus the distances
  torch::Tensor predicted;      // int64 [Q]: the nearest prototype
};

/// Classifies `queries` [Q, 1, H, W] against prototypes of `support` [S, 1, H, W] with labels in
/// [0, ways) (every class at least one image; classes may differ in their number of shots), `batch`
/// queries per forward pass. Results are on the CPU.
Classification classify(torch::nn::Sequential encoder, const torch::Tensor& support, const torch::Tensor& labels,
                        int64_t ways, const torch::Tensor& queries, int64_t batch, torch::Device device);

}  // namespace metaevo::meta
