// `metaevo grow --config F [--set key=value ...] [--output DIR] [--resume]`: trains a transformer
// (`model`, a vit) on an image data set (`data`) and grows it by function-preserving expansions at
// the steps of `schedule`, continuing training after each. Validation every `train.eval_every`
// steps goes to metrics.jsonl with the training FLOPs spent so far; result.json holds the test
// accuracy and what each expansion did, weights.pt the grown model's tensors by name
// (TransformerTensors::named); report.html the curves; an atomic checkpoint at every
// validation lets --resume continue bitwise as an uninterrupted run would.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "describe.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/runtime.h"
#include "metaevo/munet/grow.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/checkpointer.h"
#include "metaevo/run/fault.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/progress.h"
#include "metaevo/run/settings.h"
#include "metaevo/run/weights.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

int run_grow(const Common& common, const RunArgs& args) {
  auto config = load_run_config(args);
  start_runtime(common, &config);
  const std::string output = run_output(args, config, "runs/grow");
  const auto seed = run::read_seed(config);
  const run::Checkpointer checkpointer((fs::path(output) / "checkpoint.pt").string(), "grow",
                                       run::settings_fingerprint(config, {"data", "model", "train", "schedule"}));
  checkpointer.check_fresh_start(args.resume);
  const auto data = read_options<munet::GrowDataOptions>(config.section("data"));
  const auto model = read_options<models::TransformerOptions>(config.section("model"));
  const auto train = read_options<munet::GrowOptions>(config.section("train"));
  const auto schedule = munet::read_schedule(config, "schedule", train.steps);
  config.check_all_used();
  with_context(config.origin(), [&] { munet::check_schedule(model, schedule); });
  data::check_dataset_data(data.dataset, data::data_dir_for(data.dataset, data.data_dir));

  std::optional<munet::GrowthTrainer> grown;
  with_context(config.origin(), [&] { grown.emplace(model, train, schedule, data.load(), seed); });
  auto& trainer = *grown;
  fs::create_directories(output);
  write_file_atomic((fs::path(output) / "config.yaml").string(), config.dump());
  const bool resumed = args.resume && checkpointer.load([&](auto& archive) { trainer.load(archive); });
  if (args.resume && !resumed) spdlog::warn("--resume: no checkpoint in {}, starting afresh", output);
  run::MetricsLog log((fs::path(output) / "metrics.jsonl").string(), "step",
                      resumed ? std::optional<int64_t>(trainer.step()) : std::nullopt);
  // Under a FLOPs budget the ETA follows the FLOPs spent: a step costs more as the model grows.
  const bool by_flops = train.flops > 0;
  const auto done = [&] { return by_flops ? int64_t(trainer.train_flops() / 1e9) : trainer.step(); };
  run::Progress progress(by_flops ? "GFLOP" : "step", by_flops ? int64_t(train.flops / 1e9) : train.steps);
  const run::RunClock clock;
  progress.start(done(), 0);
  double loss_sum = 0;
  int64_t losses = 0;
  nlohmann::json last;  // the final evaluation, made in the loop unless a resumed run had no step left
  while (!trainer.done()) {
    loss_sum += trainer.train_step();
    ++losses;
    const auto& m = trainer.model().options();
    progress.update(done(), clock.elapsed_s(),
                    fmt::format("{}loss {:.4f} | h {} E {} k {} v {} p {} N {}",
                                by_flops ? fmt::format("step {} | ", trainer.step()) : "", loss_sum / double(losses),
                                m.hidden, m.heads, m.key_dim, m.value_dim, m.mlp_dim, m.layers));
    if (trainer.step() % train.eval_every != 0 && !trainer.done()) continue;
    const auto valid = trainer.evaluate("valid");
    nlohmann::json record = {{"step", trainer.step()},
                             {"train_flops", trainer.train_flops()},
                             {"train_loss", loss_sum / double(losses)},
                             {"valid_loss", valid["loss"]},
                             {"valid_accuracy", valid["accuracy"]},
                             {"parameters", trainer.model().parameter_count()}};
    // The test curve is what "reaches the from-scratch accuracy within fewer FLOPs" is read from
    // (bench/grow_pays.sh); nothing is chosen by it.
    if (train.test_curve) record["test_accuracy"] = trainer.evaluate("test")["accuracy"];
    log.append(record);
    last = record;
    loss_sum = 0, losses = 0;
    checkpointer.save([&](auto& archive) { trainer.save(archive); });
    run::crash_point("checkpoint");
  }
  const auto accuracy = [&](const char* split, const char* key) {
    return last.contains(key) ? last[key].get<double>() : trainer.evaluate(split)["accuracy"].get<double>();
  };
  const double valid = accuracy("valid", "valid_accuracy"), test = accuracy("test", "test_accuracy");
  nlohmann::json result = {{"steps", trainer.step()},
                           {"train_flops", trainer.train_flops()},
                           {"test_accuracy", test},
                           {"valid_accuracy", valid},
                           {"parameters", trainer.model().parameter_count()},
                           {"sizes", to_json(trainer.model().options())},
                           {"growth", trainer.growth_log()}};
  write_file_atomic((fs::path(output) / "result.json").string(), result.dump(2) + "\n");
  std::vector<std::pair<std::string, torch::Tensor>> weights;
  for (const auto& [name, t] : trainer.model().tensors().named()) weights.emplace_back(name, *t);
  run::save_state_dict(weights, (fs::path(output) / "weights.pt").string());
  spdlog::info("wrote {}", report::write_run_report(output, "metaevo grow: " + output));
  std::cout << result.dump() << std::endl;
  return 0;
}

}  // namespace

void add_grow_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<RunArgs>();
  auto* cmd = app.add_subcommand("grow", "train a transformer that grows by function-preserving expansions");
  add_run_options(cmd, *args, "runs/grow");
  add_describe_flags(cmd, "grow");
  cmd->callback([&common, &action, args] { action = [&common, args] { return run_grow(common, *args); }; });
}

}  // namespace metaevo::cli
