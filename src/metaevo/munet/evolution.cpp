#include "metaevo/munet/evolution.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "metaevo/core/philox.h"

namespace metaevo::munet {

nlohmann::json TaskIteration::to_json() const {
  return {{"task", task},
          {"iteration", iteration},
          {"children", children},
          {"kept", kept},
          {"grown", grown},
          {"grown_kept", grown_kept},
          {"quality", quality},
          {"test_quality", test_quality},
          {"score", score},
          {"accounted_params", accounted_params},
          {"total_params", total_params},
          {"system_params", system_params}};
}

TaskIteration TaskIteration::from_json(const nlohmann::json& j) {
  TaskIteration it;
  it.task = j.at("task");
  it.iteration = j.at("iteration");
  it.children = j.at("children");
  it.kept = j.at("kept");
  it.grown = j.value("grown", 0);  // absent in systems made before growth mutations
  it.grown_kept = j.value("grown_kept", 0);
  it.quality = j.at("quality");
  it.test_quality = j.at("test_quality");
  it.score = j.at("score");
  it.accounted_params = j.at("accounted_params");
  it.total_params = j.at("total_params");
  it.system_params = j.at("system_params");
  return it;
}

namespace {

/// Keeps the task's best path, locks it, and records its metrics (test accuracy measured here).
void finish_task(Population& population, const data::Splits& task, const Scorer& scorer, const TrainOptions& train,
                 TaskIteration& out) {
  METAEVO_CHECK(!population.paths(task.name).empty(), "task '{}': no path after iteration {}", task.name,
                out.iteration);
  const auto best = population.end_task(task.name, [&](const Path& p) { return scorer(p); });
  best->test_quality = evaluate(*best, task.test, population.vit(), train.batch_size);
  out.quality = best->quality;
  out.test_quality = best->test_quality;
  out.score = scorer(*best);
  out.accounted_params = accounted_params(*best);
  out.total_params = total_params(*best);
  out.system_params = population.system_params();
}

}  // namespace

HparamSpace hparam_space(const EvolutionOptions& evolution, int64_t depth) {
  evolution.validate();
  auto space = HparamSpace::reference(depth);
  if (!evolution.mutate_num_layers) space.ranges.erase("num_layers");
  return space;
}

bool train_child(Population& population, const PathPtr& parent, const PathPtr& child, const data::Splits& task,
                 const Scorer& scorer, const TrainOptions& train, uint64_t seed, const std::string& label) {
  const auto score = [&](const Path& p) { return scorer(p); };
  const double bar = parent->task == task.name ? scorer(*parent) : -std::numeric_limits<double>::infinity();
  const auto result = train_path(*child, task, train, population.vit(), score, bar, mix64(seed, uint64_t(child->id)));
  spdlog::info("{}: parent {} ({}){}{}, validation {:.4f}, score {:.4f} vs {:.4f}: {}", label, parent->id, parent->task,
               child->grown.empty() ? "" : ", grown ", fmt::join(child->grown, " "), result.quality, scorer(*child),
               bar, result.improved ? "kept" : "dropped");
  if (result.improved) population.add(child);
  return result.improved;
}

TaskIteration run_task_iteration(Population& population, const data::Splits& task, const Scorer& scorer,
                                 const EvolutionOptions& evolution, const TrainOptions& train, uint64_t seed,
                                 int64_t iteration) {
  evolution.validate();
  train.validate();
  const auto score = [&](const Path& p) { return scorer(p); };
  TaskIteration out;
  out.task = task.name;
  out.iteration = iteration;
  population.start_task(task.name);
  Rng rng(mix64(seed, uint64_t(iteration)));
  for (int64_t g = 0; g < evolution.children; ++g) {
    const auto parent = population.select_parent(task.name, score, rng);
    const auto child = population.make_child(parent, task.name, task.classes, rng);
    const bool kept =
        train_child(population, parent, child, task, scorer, train, seed,
                    fmt::format("{} iteration {} child {}/{}", task.name, iteration, g + 1, evolution.children));
    ++out.children;
    out.grown += !child->grown.empty();
    out.kept += kept;
    out.grown_kept += kept && !child->grown.empty();
  }
  finish_task(population, task, scorer, train, out);
  return out;
}

TaskIteration run_baseline_task(Population& population, const data::Splits& task, const Scorer& scorer,
                                const BaselineOptions& baseline, const TrainOptions& train, uint64_t seed,
                                int64_t iteration) {
  train.validate();
  METAEVO_CHECK(population.paths(task.name).empty(), "baseline: task '{}' already has a model", task.name);
  TaskIteration out;
  out.task = task.name;
  out.iteration = iteration;
  const auto path = baseline_path(population, baseline, task.name, task.classes);
  train_path(
      *path, task, train, population.vit(), [&](const Path& p) { return scorer(p); },
      -std::numeric_limits<double>::infinity(), mix64(seed, uint64_t(path->id)));
  population.add(path);
  out.children = out.kept = 1;
  finish_task(population, task, scorer, train, out);
  return out;
}

}  // namespace metaevo::munet
