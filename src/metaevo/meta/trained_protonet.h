#pragma once
// A ProtoNet meta-trained by `metaevo meta` (by either trainer), read back from its run folder, so
// it can classify images of classes it has never seen.
#include <torch/torch.h>

#include <string>

#include "metaevo/meta/few_shot_problem.h"

namespace metaevo::meta {

struct TrainedProtoNet {
  torch::nn::Sequential encoder;  // on the device it was loaded to
  FewShotOptions options;         // the problem block it was trained with
};

/// Reads RUN/config.yaml (a few_shot problem) and RUN/weights.pt. A folder of another command, a
/// run that has not finished, or weights of another model is an Error naming the file.
TrainedProtoNet load_trained_protonet(const std::string& run_dir, torch::Device device);

}  // namespace metaevo::meta
