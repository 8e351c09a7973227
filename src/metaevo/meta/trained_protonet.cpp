#include "metaevo/meta/trained_protonet.h"

#include <filesystem>

#include "metaevo/core/config.h"
#include "metaevo/models/zoo.h"
#include "metaevo/run/weights.h"

namespace metaevo::meta {

namespace fs = std::filesystem;

TrainedProtoNet load_trained_protonet(const std::string& run_dir, torch::Device device) {
  const auto config_path = (fs::path(run_dir) / "config.yaml").string();
  const auto weights_path = (fs::path(run_dir) / "weights.pt").string();
  METAEVO_CHECK(fs::is_directory(run_dir), "{}: no such run folder", run_dir);
  METAEVO_CHECK(fs::exists(config_path), "{}: missing: not the output folder of metaevo meta", config_path);
  const auto config = Config::load(config_path);
  const auto problem = config.section("problem");
  const auto type = problem.get<std::string>("type", "");
  METAEVO_CHECK(type == "few_shot", "{}: problem.type is '{}': the run is not a few-shot ProtoNet of metaevo meta",
                config_path, type);
  METAEVO_CHECK(fs::exists(weights_path), "{}: missing: the run has not finished training", weights_path);
  TrainedProtoNet out;
  out.options = read_options<FewShotOptions>(problem);
  out.encoder = models::make_conv4(1, out.options.channels, 0);
  run::load_state_dict(*out.encoder, weights_path);
  out.encoder->to(device);
  return out;
}

}  // namespace metaevo::meta
