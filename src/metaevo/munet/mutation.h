#pragma once
// Mutations: how a child differs from its parent. A child is built in three stages: its
// hyperparameters (copied from the parent), its architecture (the component names it will hold),
// and its components (inherited from the nearest ancestor, shared frozen or copied); every
// registered Mutation acts at one stage. A new mutation is one file with a registration
// (mutations/); `mutation.kinds` picks which run, all registered ones by default.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "metaevo/core/options.h"
#include "metaevo/core/registry.h"
#include "metaevo/munet/path.h"

namespace metaevo::munet {

struct MutationOptions {
  /// The root's base rate: where a new task's first children start (each path then tunes its
  /// own). The reference uses 0.1 for its Ti3 and base runs, 0.2 for large ones.
  double probability = 0.1;
  /// The values a rate steps over (mu2Net+: 0.02 .. 0.30).
  std::vector<double> rate_values{0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.14, 0.16,
                                  0.18, 0.20, 0.22, 0.24, 0.26, 0.28, 0.30};
  /// Mutation types that always fire, e.g. "clone:encoder_norm" (the reference force-clones the
  /// last norm, which belongs with the head).
  std::vector<std::string> forced{"clone:encoder_norm"};
  /// Registered mutations in use ([] = all of them).
  std::vector<std::string> kinds;
  /// Growth (mutations/grow_component.cpp): per size, the values a child's own component (or, for
  /// "layers", its number of layers) may step up to by a function-preserving expansion, e.g.
  /// {mlp_dim: [1024, 1536], heads: [4, 6], layers: [4]}. A size without a list never grows.
  std::map<std::string, std::vector<int64_t>> grow;
  template <class V>
  void visit(V& v) {
    v("probability", probability, "the root's mutation rate, where new tasks' rates start");
    v("rate_values", rate_values, "values a mutation rate steps over when it tunes itself");
    v("forced", forced, "mutation types that always fire (e.g. clone:encoder_norm)");
    v("kinds", kinds, "registered mutations in use ([] = all)");
    v("grow", grow, "per size (mlp_dim, heads, layers): the values grow:<size> steps up to ({} = no growth)");
  }
  void validate() const;
  /// `kinds`, or every registered mutation when it is empty.
  std::vector<std::string> active() const;
};

/// Decides, for one child, whether each mutation type fires, tuning the child's rates as it goes.
class Mutator {
 public:
  Mutator(const MutationOptions& o, MutationRates& rates, Rng& rng);
  /// Whether `type` (e.g. "hp:opt_lr", "add:residual_adapter_1", "clone:head") fires: forced types
  /// always; otherwise the type's own rate (at first the base rate) takes an incremental step
  /// with probability `base`, then fires with its probability.
  bool fires(const std::string& type);
  /// The base rate's own step, with probability `base`: once per child.
  void tune_base();
  Rng& rng() { return rng_; }
  const MutationOptions& options() const { return o_; }

 private:
  double step(double rate);
  const MutationOptions& o_;
  std::vector<nlohmann::json> values_;
  MutationRates& rates_;
  Rng& rng_;
};

/// A child being built from its parent.
struct ChildDraft {
  const Path& parent;
  Path& child;  // id, task, hparams and rates set; components filled by the components stage
  const HparamSpace& space;
  const VitOptions& vit;
  torch::Device device;             // where the system's tensors live
  std::vector<std::string> names;   // the components the child will hold
  std::set<std::string> fresh;      // names started fresh rather than inherited
  std::function<int64_t()> new_id;  // ids for components a mutation makes
  std::vector<std::string> grown;   // the growths applied, e.g. "mlp_dim:encoderblock_1:768->1024"
};

class Mutation {
 public:
  /// In order: hyperparameters, the architecture's names, the components inherited or cloned,
  /// then the child's own components grown.
  enum class Stage { hparams, architecture, components, growth };
  virtual ~Mutation() = default;
  virtual Stage stage() const = 0;
  virtual void apply(ChildDraft& draft, Mutator& mutator) const = 0;
};

using MutationRegistry = Registry<Mutation>;

}  // namespace metaevo::munet
