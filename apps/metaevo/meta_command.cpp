// `metaevo meta --config FILE [--set key=value ...] [--output DIR] [--resume]`: few-shot
// meta-learning of a Prototypical Network, by backprop or by ES (`trainer`), then its accuracy on
// the test split with 95% intervals (`test`), written to test.json. The output folder's
// config.yaml and weights.pt are what `meta predict` and `meta evaluate` use (meta_use_command.cpp).
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/runtime.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/meta/backprop_trainer.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/models/parameters.h"
#include "metaevo/models/zoo.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/settings.h"
#include "metaevo/run/weights.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

torch::nn::Sequential train_backprop(const Config& config, const meta::FewShotOptions& data, const std::string& output,
                                     bool resume, uint64_t seed) {
  const auto options = read_options<meta::BackpropOptions>(config.section("backprop"));
  config.check_all_used();
  const run::Checkpointer checkpointer((fs::path(output) / "checkpoint.pt").string(), "protonet-backprop",
                                       run::settings_fingerprint(config, {"problem", "backprop"}));
  checkpointer.check_fresh_start(resume);
  write_file_atomic((fs::path(output) / "config.yaml").string(), config.dump());

  meta::BackpropTrainer trainer(data, options, seed);
  trainer.set_checkpoint(checkpointer);
  const bool resumed = resume && trainer.resume();
  if (resume && !resumed) spdlog::warn("--resume: no checkpoint in {}, starting afresh", output);
  auto log = std::make_shared<run::MetricsLog>((fs::path(output) / "metrics.jsonl").string(), "episode",
                                               resumed ? std::optional<int64_t>(trainer.episode()) : std::nullopt);
  trainer.on_validation([log](const nlohmann::json& record) { log->append(record); });
  const auto last = trainer.run();
  write_file_atomic((fs::path(output) / "result.json").string(), last.dump(2) + "\n");
  return trainer.encoder();
}

int run_meta(const Common& common, const RunArgs& args) {
  auto config = load_run_config(args);
  start_runtime(common, &config);
  const std::string output = run_output(args, config, "runs/meta");
  const auto trainer = config.get<std::string>("trainer", "es");
  const auto test = read_options<meta::TestOptions>(config.section("test"));
  const auto problem = config.section("problem");
  const auto type = problem.get<std::string>("type", "few_shot");
  if (type != "few_shot") fail("{}: problem.type: the meta command needs few_shot, got '{}'", config.origin(), type);
  const auto data = read_options<meta::FewShotOptions>(problem);
  const auto seed = run::read_seed(config);
  fs::create_directories(output);

  torch::nn::Sequential encoder;
  if (trainer == "backprop") {
    encoder = train_backprop(config, data, output, args.resume, seed);
  } else if (trainer == "es") {
    const auto center = run_es_config(config, output, args.resume);  // reads seed, problem, strategy, run
    if (dist::world().rank() != 0) return 0;
    encoder = models::make_conv4(1, data.channels, seed);
    models::load_flat_parameters(*encoder, center.to(torch::kFloat32));
  } else {
    fail("{}: trainer: must be backprop or es, got '{}'", config.origin(), trainer);
  }
  if (trainer == "backprop") run::save_state_dict(*encoder, (fs::path(output) / "weights.pt").string());

  spdlog::info("testing on {} episodes per setting of the '{}' split", test.episodes, test.split);
  const auto device = parse_device(data.device);
  encoder->to(device);
  const auto rows = meta::test_accuracy(encoder, data, test, device);
  for (const auto& r : rows)
    spdlog::info("{}-way {}-shot: {:.2f}% +- {:.2f}", r["ways"].get<int64_t>(), r["shots"].get<int64_t>(),
                 100 * r["acc"].get<double>(), 100 * r["ci95"].get<double>());
  write_file_atomic((fs::path(output) / "test.json").string(), rows.dump(2) + "\n");
  nlohmann::ordered_json table = nlohmann::ordered_json::array();  // the setting first, then its accuracy
  for (const auto& r : rows)
    table.push_back({{"ways", r["ways"]},
                     {"shots", r["shots"]},
                     {"episodes", r["episodes"]},
                     {"accuracy", r["acc"]},
                     {"95% interval", r["ci95"]}});
  spdlog::info("wrote {}", report::write_run_report(output, "metaevo meta (" + trainer + "): " + output,
                                                    "Test accuracy (95% intervals)", table));
  std::cout << nlohmann::json{{"trainer", trainer}, {"test", rows}}.dump() << std::endl;
  return 0;
}

}  // namespace

void add_meta_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd =
      app.add_subcommand("meta", "few-shot meta-learning of a ProtoNet by backprop or ES, then its test accuracy");
  add_run_options(cmd, *args, "runs/meta");
  add_describe_flags(cmd, "meta");
  cmd->get_option("--config")->required(false);  // not for predict, evaluate, episodes
  cmd->callback([&common, &action, args, cmd] {
    if (!cmd->get_subcommands().empty()) return;
    if (args->config.empty()) throw CLI::RequiredError("--config");
    action = [&common, args] { return run_meta(common, *args); };
  });
  add_meta_use_commands(cmd, common, action);
}

}  // namespace metaevo::cli
