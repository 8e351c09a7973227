// "add:<name>": a component of an optional kind (a residual adapter) enters the path fresh, at
// each kept layer that lacks one. Optional kinds start so that the function is unchanged.
#include <algorithm>

#include "metaevo/munet/component_kind.h"
#include "metaevo/munet/mutation.h"

namespace metaevo::munet {
namespace {

class InsertComponent : public Mutation {
  Stage stage() const override { return Stage::architecture; }
  void apply(ChildDraft& d, Mutator& m) const override {
    const int64_t layers = d.child.layers();
    for (const auto& kind : component_kinds()) {
      if (!component_kind(kind).optional()) continue;
      for (const auto& name : component_names(kind, layers)) {
        if (std::find(d.names.begin(), d.names.end(), name) != d.names.end() || !m.fires("add:" + name)) continue;
        d.names.push_back(name);
        d.fresh.insert(name);
      }
    }
  }
};

const Registrar<MutationRegistry> insert_component_registration("add",
                                                                [] { return std::make_unique<InsertComponent>(); });

}  // namespace
}  // namespace metaevo::munet
