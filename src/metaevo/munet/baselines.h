#pragma once
// The comparison points for an evolved system (muNet's baselines): each task gets one model built
// from the root by a fixed rule and trained with the default hyperparameters for the budget the
// evolution spends on the task.
//   finetune       every root component cloned and trained;
//   freeze_bottom  the embeddings and the bottom `frozen_layers` encoder blocks shared frozen, the
//                  blocks above cloned and trained;
//   adapters       every root component shared frozen, a residual adapter before every block
//                  trained (with the final norm and the head, as the evolved paths do).
// Every task's head starts at zero.
#include "metaevo/core/options.h"
#include "metaevo/munet/population.h"

namespace metaevo::munet {

struct BaselineOptions {
  std::string kind;           // "" = evolve (no baseline); finetune | freeze_bottom | adapters
  int64_t frozen_layers = 1;  // freeze_bottom: encoder blocks kept frozen
  int64_t adapter_dim = 32;   // adapters: hidden width of each adapter
  template <class V>
  void visit(V& v) {
    v("kind", kind, "'' (evolve), finetune, freeze_bottom or adapters");
    v("frozen_layers", frozen_layers, "freeze_bottom: encoder blocks shared frozen");
    v("adapter_dim", adapter_dim, "adapters: hidden width of each adapter");
  }
  void validate() const;
};

/// The baseline model of `task` with `classes` outputs, built from `population`'s root, or from
/// `from` (a path of the same task keeps its head and hyperparameters); its new components get
/// ids from the population.
PathPtr baseline_path(Population& population, const BaselineOptions& o, const std::string& task, int64_t classes,
                      const PathPtr& from = nullptr);

}  // namespace metaevo::munet
