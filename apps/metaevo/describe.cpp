#include "describe.h"

#include <fmt/format.h>

#include <functional>
#include <iostream>
#include <vector>

#include "metaevo/es/driver.h"
#include "metaevo/es/optimizer.h"
#include "metaevo/es/run.h"
#include "metaevo/hpo/objective.h"
#include "metaevo/hpo/sampler.h"
#include "metaevo/hpo/scheduler.h"
#include "metaevo/hpo/tuner.h"
#include "metaevo/meta/backprop_trainer.h"
#include "metaevo/meta/few_shot_problem.h"
#include "metaevo/mlo/engine.h"
#include "metaevo/mlo/hypergradient.h"
#include "metaevo/mlo/program.h"
#include "metaevo/models/transformer.h"
#include "metaevo/models/zoo.h"
#include "metaevo/munet/agents/agent.h"
#include "metaevo/munet/baselines.h"
#include "metaevo/munet/evolution.h"
#include "metaevo/munet/grow.h"
#include "metaevo/munet/mutation.h"
#include "metaevo/munet/pretrain.h"
#include "metaevo/munet/scorer.h"
#include "metaevo/munet/trainer.h"
#include "metaevo/munet/vit.h"
#include "metaevo/routing/program.h"
#include "metaevo/routing/routed_net.h"

namespace metaevo::cli {
namespace {

/// A config section read by one options struct.
struct Section {
  std::string key;
  std::vector<OptionRow> rows;
};

/// A config key that names a registered variant, each reading its own settings.
struct Point {
  std::string key;
  std::vector<std::string> names;
  std::function<const VariantDoc&(const std::string&)> doc;
};

template <typename Reg>
Point point(std::string key) {
  return {std::move(key), Reg::instance().keys(),
          [](const std::string& name) -> const VariantDoc& { return Reg::instance().doc(name); }};
}

struct Description {
  std::vector<Section> sections;
  std::vector<Point> points;
};

Description description(const std::string& name) {
  if (name == "es")
    return {{{"run", describe<es::DriverOptions>()},
             {"problem.model", describe<models::ModelOptions>()},
             {"strategy (every strategy)", describe<es::StrategyCommonOptions>()}},
            {point<es::ProblemRegistry>("problem.type"), point<es::StrategyRegistry>("strategy.name"),
             point<es::OptimizerRegistry>("strategy.optimizer")}};
  if (name == "tune")
    return {{{"tuner", describe<hpo::TunerOptions>()}},
            {point<hpo::ObjectiveRegistry>("objective.type"), point<hpo::SchedulerRegistry>("scheduler"),
             point<hpo::SamplerRegistry>("sampler")}};
  if (name == "mlo")
    return {{{"engine", describe<mlo::EngineOptions>()},
             {"problems.<name>", describe<mlo::ProblemOptions>()},
             {"problems.<name>.optimizer: sgd", describe<mlo::SgdOptions>()},
             {"problems.<name>.optimizer: adam", describe<mlo::AdamOptions>()}},
            {point<mlo::ProgramRegistry>("program.type"),
             point<mlo::HypergradientRegistry>("problems.<name>.hypergradient")}};
  if (name == "meta")
    return {{{"problem (few_shot)", describe<meta::FewShotOptions>()},
             {"backprop", describe<meta::BackpropOptions>()},
             {"test", describe<meta::TestOptions>()},
             {"run (trainer: es)", describe<es::DriverOptions>()}},
            {point<es::StrategyRegistry>("strategy.name"), point<es::OptimizerRegistry>("strategy.optimizer")}};
  if (name == "evolve")
    return {{{"vit", describe<munet::VitOptions>()},
             {"score", describe<munet::ScoreOptions>()},
             {"train", describe<munet::TrainOptions>()},
             {"evolution", describe<munet::EvolutionOptions>()},
             {"mutation", describe<munet::MutationOptions>()},
             {"root", describe<munet::PretrainOptions>()},
             {"baseline", describe<munet::BaselineOptions>()}},
            {}};
  if (name == "agent")
    return {{{"agent", describe<munet::AgentOptions>()},
             {"agents (metaevo agents)", describe<munet::AgentsOptions>()},
             {"vit", describe<munet::VitOptions>()},
             {"score", describe<munet::ScoreOptions>()},
             {"train", describe<munet::TrainOptions>()},
             {"mutation", describe<munet::MutationOptions>()},
             {"root", describe<munet::PretrainOptions>()}},
            {point<munet::AgentClassRegistry>("agent_classes.<name> (--class, agents.classes)")}};
  if (name == "grow")
    return {{{"data", describe<munet::GrowDataOptions>()},
             {"model", describe<models::TransformerOptions>()},
             {"train", describe<munet::GrowOptions>()},
             {"train.optimizer: sgd", describe<models::SgdOptions>()},
             {"train.optimizer: adam", describe<models::AdamOptions>()}},
            {}};
  if (name == "route")
    return {{{"data", describe<routing::RouteDataOptions>()},
             {"train", describe<routing::RouteTrainOptions>()},
             {"program.net", describe<routing::RoutedNetOptions>()}},
            {point<routing::ProgramRegistry>("program.type")}};
  fail("--describe: no description of '{}'", name);
}

std::string rows_text(const std::vector<OptionRow>& rows, const std::string& indent) {
  std::string out;
  for (const auto& [key, type, value, doc] : rows)
    out += fmt::format("{}{:<26} {:<7} {:<16} {}\n", indent, key, type, value, doc);
  return out;
}

/// A default as the README writes it: non-empty strings without their JSON quotes.
std::string plain(const std::string& json_value) {
  return json_value.size() > 2 && json_value.front() == '"' ? json_value.substr(1, json_value.size() - 2) : json_value;
}

/// The variant's settings without the key that selects it (an objective's own `type`).
std::vector<OptionRow> settings_of(const Point& p, const std::string& variant) {
  const auto selector = p.key.substr(p.key.rfind('.') + 1);
  std::vector<OptionRow> rows;
  for (const auto& row : p.doc(variant).options)
    if (row[0] != selector) rows.push_back(row);
  return rows;
}

}  // namespace

std::string describe_text(const std::string& name) {
  const auto d = description(name);
  std::string out = fmt::format("metaevo {}: every option (key, type, default, doc)\n", name);
  for (const auto& s : d.sections) out += fmt::format("\n{}:\n", s.key) + rows_text(s.rows, "  ");
  for (const auto& p : d.points) {
    out += fmt::format("\n{}: one of {}\n", p.key, fmt::join(p.names, ", "));
    for (const auto& variant : p.names) {
      const auto& doc = p.doc(variant);
      out += fmt::format("  {}: {}\n", variant, doc.summary.empty() ? "(undocumented)" : doc.summary);
      out += rows_text(settings_of(p, variant), "    ");
    }
  }
  return out;
}

std::string describe_markdown(const std::string& name) {
  std::string out;
  for (const auto& p : description(name).points) {
    out += fmt::format("<!-- describe {} {} -->\n| name | what | settings (defaults) |\n|---|---|---|\n", name, p.key);
    for (const auto& variant : p.names) {
      const auto& doc = p.doc(variant);
      std::vector<std::string> settings;
      for (const auto& [key, type, value, _] : settings_of(p, variant))
        settings.push_back(fmt::format("`{}` {}", key, plain(value)));
      out += fmt::format("| `{}` | {} | {} |\n", variant, doc.summary,
                         settings.empty() ? "—" : fmt::format("{}", fmt::join(settings, ", ")));
    }
    out += "\n";
  }
  return out;
}

void add_describe_flags(CLI::App* command, const std::string& name) {
  command->add_flag_callback(
      "--describe",
      [name] {
        std::cout << describe_text(name);
        throw CLI::Success();
      },
      "print every option of this command and its variants (type, default, doc), and exit");
  command->add_flag_callback(
      "--describe-markdown",
      [name] {
        std::cout << describe_markdown(name);
        throw CLI::Success();
      },
      "print the README's option tables of this command, and exit");
}

}  // namespace metaevo::cli
