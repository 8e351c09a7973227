#include "metaevo/munet/evolve.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <set>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/runtime.h"
#include "metaevo/munet/component_kind.h"
#include "metaevo/munet/system_store.h"
#include "metaevo/run/fault.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/progress.h"
#include "metaevo/run/settings.h"

namespace metaevo::munet {

namespace fs = std::filesystem;

EvolveSettings EvolveSettings::read(const Config& config) {
  EvolveSettings s;
  s.seed = run::read_seed(config);
  s.device = parse_device(config.get<std::string>("device", "cpu"));
  s.vit = read_options<VitOptions>(config.section("vit"));
  s.score = read_options<ScoreOptions>(config.section("score"));
  s.train = read_options<TrainOptions>(config.section("train"));
  s.evolution = read_options<EvolutionOptions>(config.section("evolution"));
  s.mutation = read_options<MutationOptions>(config.section("mutation"));
  s.root = read_options<PretrainOptions>(config.section("root"));
  s.baseline = read_options<BaselineOptions>(config.section("baseline"));
  const auto hparams = config.section("hparams");
  for (const auto& key : hparams.keys()) {
    const auto entry = hparams.section(key);
    for (const auto& field : entry.keys()) s.hparams[key][field] = entry.get_json(field);
  }
  with_context(config.origin() + ": hparams", [&] { s.space(); });
  s.tasks = config.get<std::vector<std::string>>("tasks", {});
  s.task_iterations = config.get<int64_t>("task_iterations", 1);
  const auto data = config.section("data");
  for (const auto& folder : data.keys()) s.data[folder] = data.get<std::string>(folder);
  data::check_data_dirs(s.data, config.origin() + ": data");
  METAEVO_CHECK(s.task_iterations >= 1, "{}: task_iterations: must be >= 1, got {}", config.origin(),
                s.task_iterations);
  return s;
}

nlohmann::json EvolveSettings::identity() const {
  auto mutation_json = to_json(mutation);
  // Systems made before growth mutations existed keep their fingerprint while nothing grows.
  if (mutation.grow.empty()) mutation_json.erase("grow");
  return {{"seed", seed},          {"vit", to_json(vit)},           {"score", to_json(score)},
          {"root", to_json(root)}, {"baseline", to_json(baseline)}, {"mutation", mutation_json},
          {"hparams", hparams}};
}

HparamSpace EvolveSettings::space() const {
  auto space = hparam_space(evolution, vit.depth);
  space.override_with(hparams);
  return space;
}

void check_tasks(const EvolveSettings& s, const std::vector<std::string>& add_tasks, const std::string& origin) {
  METAEVO_CHECK(!s.tasks.empty() || !add_tasks.empty(), "{}: tasks: name at least one task (or pass --add-task)",
                origin);
  for (const auto& task : s.tasks) with_context(origin + ": tasks", [&] { data::check_dataset_name(task); });
  for (const auto& task : add_tasks) with_context("--add-task", [&] { data::check_dataset_name(task); });
  if (!s.root.task.empty()) with_context(origin + ": root.task", [&] { data::check_dataset_name(s.root.task); });
  std::vector<std::string> all = s.tasks;
  all.insert(all.end(), add_tasks.begin(), add_tasks.end());
  if (!s.root.task.empty()) all.push_back(s.root.task);
  for (const auto& task : all) with_context(origin + ": data", [&] { data::check_dataset_data(task, s.data); });
}

std::vector<std::string> task_schedule(const EvolveSettings& s, const std::vector<std::string>& add_tasks,
                                       size_t done) {
  const int64_t repeats = s.baseline.kind.empty() ? s.task_iterations : 1;
  std::vector<std::string> schedule;
  for (int64_t r = 0; r < repeats; ++r) schedule.insert(schedule.end(), s.tasks.begin(), s.tasks.end());
  if (add_tasks.empty()) return schedule;
  schedule.resize(std::max(schedule.size(), done), "");
  for (int64_t r = 0; r < repeats; ++r) schedule.insert(schedule.end(), add_tasks.begin(), add_tasks.end());
  return schedule;
}

TrainOptions baseline_budget(const EvolveSettings& s) {
  TrainOptions train = s.train;
  train.validations *= s.evolution.children * s.task_iterations;
  return train;
}

nlohmann::json make_root(Population& population, const EvolveSettings& s, const std::string& file) {
  nlohmann::json record;
  if (!s.root.from.empty()) {
    std::vector<TaskIteration> ignored;
    adopt_root(population, load_system(s.root.from, ignored, s.device), s.root.from);
    const auto source = fs::path(s.root.from).parent_path() / "pretrain.json";
    record = {{"from", s.root.from},
              {"source", fs::exists(source) ? nlohmann::json::parse(read_file(source)) : nlohmann::json()}};
  } else if (!s.root.task.empty()) {
    const auto r = pretrain_root(population, load_task(s.root.task, s.data).to(s.device), s.root, s.train, s.seed);
    spdlog::info("root pretrained on {}: validation {:.4f}, test {:.4f} after {} steps", s.root.task,
                 r.validation_accuracy, r.test_accuracy, r.steps);
    record = {{"task", s.root.task},
              {"validation_accuracy", r.validation_accuracy},
              {"test_accuracy", r.test_accuracy},
              {"steps", r.steps}};
  } else {
    return nullptr;
  }
  write_file_atomic(file, record.dump(2) + "\n");
  return record;
}

EvolveOutcome evolve_system(const EvolveSettings& s, const std::vector<std::string>& add_tasks,
                            const std::string& output, const std::string& location) {
  fs::create_directories(output);
  SystemStore store(location.empty() ? (fs::path(output) / "system.db").string() : location);
  const auto identity = s.identity();
  store.check_settings(run::fingerprint(identity), identity);
  EvolveOutcome out{Population(s.vit, s.space(), s.mutation, s.seed, s.device), {}, {}};
  auto& population = out.population;
  auto& history = out.history;
  const auto pretrain_file = (fs::path(output) / "pretrain.json").string();
  if (store.load(population, history)) {
    spdlog::info("continuing {} after {} task iterations", store.where(), history.size());
    if (fs::exists(pretrain_file)) out.pretrain = nlohmann::json::parse(read_file(pretrain_file));
  } else {
    out.pretrain = make_root(population, s, pretrain_file);
    if (!out.pretrain.is_null()) store.save(population, history);
  }
  const Scorer scorer(s.score, *population.root(), s.vit);

  const auto schedule = task_schedule(s, add_tasks, history.size());
  run::MetricsLog log((fs::path(output) / "metrics.jsonl").string(), "task_iterations", int64_t(history.size()));
  const run::RunClock clock;
  run::Progress progress("task iteration", int64_t(schedule.size()));
  progress.start(int64_t(history.size()), 0);
  std::map<std::string, data::Splits> loaded;
  for (size_t i = history.size(); i < schedule.size(); ++i) {
    const auto& name = schedule[i];
    if (!loaded.count(name)) loaded[name] = load_task(name, s.data).to(s.device);
    const auto result =
        s.baseline.kind.empty()
            ? run_task_iteration(population, loaded[name], scorer, s.evolution, s.train, s.seed, int64_t(i))
            : run_baseline_task(population, loaded[name], scorer, s.baseline, baseline_budget(s), s.seed, int64_t(i));
    history.push_back(result);
    // The log first, then the system: a kill between the two re-runs the iteration on resume, and
    // the log drops the record the store does not cover.
    auto record = result.to_json();
    record["task_iterations"] = history.size();
    log.append(record);
    store.save(population, history);
    run::crash_point("checkpoint");
    progress.update(
        int64_t(i + 1), clock.elapsed_s(),
        fmt::format("{}: validation {:.4f}, test {:.4f}, accounted {:.0f} of {} parameters ({} of {} children "
                    "kept), system {} parameters",
                    name, result.quality, result.test_quality, result.accounted_params, result.total_params,
                    result.kept, result.children, result.system_params),
        /*force=*/true);
  }
  return out;
}

nlohmann::json system_summary(const Population& population) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& task : population.tasks())
    for (const auto& p : population.paths(task)) {
      std::set<std::string> shared_with;
      nlohmann::json sizes = nlohmann::json::object();  // what growth may have changed, per component
      for (const auto& [name, c] : p->components) {
        for (const auto& lock : c->locks())
          if (lock != task && lock != kRootTask) shared_with.insert(lock);
        const auto& kind = component_kind(ComponentName::parse(name).kind);
        for (const auto& size : kind.growable()) sizes[name][size] = kind.size(c->tensors(), size, population.vit());
      }
      rows.push_back({{"task", task},
                      {"path", p->id},
                      {"validation_accuracy", p->quality},
                      {"test_accuracy", p->test_quality},
                      {"accounted_params", accounted_params(*p)},
                      {"total_params", total_params(*p)},
                      {"layers", p->layers()},
                      {"sizes", sizes},
                      {"shares_with", shared_with}});
    }
  return rows;
}

}  // namespace metaevo::munet
