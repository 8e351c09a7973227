#include "metaevo/es/run.h"

#include "metaevo/es/problems/classification.h"
#include "metaevo/es/problems/functions.h"
#include "metaevo/run/settings.h"

namespace metaevo::es {
namespace {

Registrar<ProblemRegistry> function_registration(
    "function",
    [](const Config& cfg, uint64_t) {
      return std::make_unique<FunctionProblem>(read_options<FunctionProblemOptions>(cfg));
    },
    variant_doc<FunctionProblemOptions>("a benchmark function (sphere, rastrigin, ...) of `dim` variables"));

Registrar<ProblemRegistry> classification_registration(
    "classification",
    [](const Config& cfg, uint64_t seed) {
      auto options = read_options<ClassificationOptions>(cfg);
      auto model = read_options<models::ModelOptions>(cfg.section("model"));
      return std::make_unique<ClassificationProblem>(options, model, seed);
    },
    variant_doc<ClassificationOptions>("supervised classification on a registered data set; model block: mlp or cnn"));

}  // namespace

EsRun make_es_run(const Config& config) {
  EsRun run;
  run.seed = run::read_seed(config);
  auto problem_cfg = config.section("problem");
  const auto type = problem_cfg.get<std::string>("type", "function");
  run.problem = ProblemRegistry::instance().create(type, config.origin() + ": problem.type", problem_cfg, run.seed);

  auto strategy_cfg = config.section("strategy");
  StrategyContext context;
  context.layout = run.problem->layout();
  context.x0 = run.problem->initial();
  context.seed = run.seed;
  context.sense = run.problem->sense();
  context.low_rank = read_options<StrategyCommonOptions>(strategy_cfg).low_rank;
  run.strategy = make_strategy(strategy_cfg, context);
  run.driver = read_options<DriverOptions>(config.section("run"));
  run.fingerprint = run::settings_fingerprint(config, {"problem", "strategy"});
  return run;
}

}  // namespace metaevo::es
