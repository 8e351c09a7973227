// `finetune`: plain fine-tuning as an agent. Each generation clones the best published path of its
// task (its own or another agent's), or the root when the task has none, and trains every
// component with that path's hyperparameters (the root's defaults for a new task); a child that
// beats it is kept. No search: the control against which evolution's agents earn their place.
#include "metaevo/munet/agents/agent_class.h"
#include "metaevo/munet/baselines.h"

namespace metaevo::munet {
namespace {

class FinetuneAgent : public AgentClass {
 public:
  std::pair<PathPtr, PathPtr> make_child(Population& population, const std::string& task, int64_t classes,
                                         const Scorer& scorer, Rng& /*rng*/) const override {
    PathPtr best;
    for (const auto& key : population.tasks())
      for (const auto& p : population.paths(key))
        if (p->task == task && (!best || scorer(*p) > scorer(*best))) best = p;
    BaselineOptions finetune;
    finetune.kind = "finetune";
    const auto parent = best ? best : population.root();
    return {parent, baseline_path(population, finetune, task, classes, parent)};
  }
};

const Registrar<AgentClassRegistry> finetune_agent_registration(
    "finetune", [](const Config& /*block*/) { return std::make_unique<FinetuneAgent>(); },
    {"fine-tunes every component of its task's best published path (or of the root)", {}});

}  // namespace
}  // namespace metaevo::munet
