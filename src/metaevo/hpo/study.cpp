#include "metaevo/hpo/study.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>

#include "metaevo/core/options.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/hpo/tuner.h"
#include "metaevo/run/settings.h"

namespace metaevo::hpo {
namespace {

/// The keys a study is defined by (with the seed); a worker whose settings differ is refused.
const std::vector<std::string>& study_keys() {
  static const std::vector<std::string> keys = {"objective", "space", "scheduler", "sampler", "tuner"};
  return keys;
}

/// The settings as text, kept in the study for a person (and `tune export`) to read.
std::string study_settings(const Config& config) {
  std::string text;
  if (config.has("seed")) text += "seed: " + YAML::Dump(config.node()["seed"]) + "\n";
  for (const auto& key : study_keys())
    if (config.has(key)) text += key + ": " + YAML::Dump(config.node()[key]) + "\n";
  return text;
}

}  // namespace

StudyOutcome run_study(const Config& config, const std::function<std::unique_ptr<Objective>()>& make_objective,
                       const std::string& location, const std::string& output) {
  namespace fs = std::filesystem;
  const auto seed = run::read_seed(config);
  const auto scheduler_choice = read_choice_at(config, "scheduler", default_scheduler());
  const auto sampler_choice = read_choice_at(config, "sampler", default_sampler());
  make_scheduler(scheduler_choice);  // its settings checked now, before any data is read
  auto sampler = make_sampler(sampler_choice);
  const auto tuner_options = read_options<TunerOptions>(config.section("tuner"));
  auto objective = make_objective();
  auto space = config.has("space") ? SearchSpace::from_config(config.section("space")) : objective->default_space();
  config.check_all_used();

  fs::create_directories(output);
  Store store(location);
  store.open_study(run::settings_fingerprint(config, study_keys()), study_settings(config),
                   objective->maximize() ? "maximize" : "minimize");
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  const auto worker = fmt::format("{}:{}:{}", host, ::getpid(), dist::world().rank());
  spdlog::info("study {}: worker {} ({} scheduler, {} sampler, up to {} trials)", store.where(), worker,
               scheduler_choice.name, sampler_choice.name, tuner_options.max_trials);
  Tuner tuner(store, *objective, space, scheduler_choice, std::move(sampler), tuner_options, seed,
              (fs::path(output) / "trials").string(), worker);
  tuner.run();
  StudyOutcome outcome{read_standings(store), scheduler_choice.name, best_trial(tuner.trials())};
  write_leaderboard(outcome.standings, scheduler_choice.name, tuner.scheduler().max_resource(), output);
  return outcome;
}

}  // namespace metaevo::hpo
