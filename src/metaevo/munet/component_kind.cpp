#include "metaevo/munet/component_kind.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "metaevo/core/philox.h"

namespace metaevo::munet {

ComponentName ComponentName::parse(const std::string& name) {
  const auto& registry = ComponentKindRegistry::instance();
  if (registry.contains(name)) return {name, -1};
  const auto underscore = name.rfind('_');
  if (underscore != std::string::npos && underscore + 1 < name.size() &&
      name.find_first_not_of("0123456789", underscore + 1) == std::string::npos) {
    ComponentName out{name.substr(0, underscore), std::stoll(name.substr(underscore + 1))};
    if (registry.contains(out.kind) && component_kind(out.kind).stage() == ComponentKind::Stage::layer) return out;
  }
  fail("component '{}': not a registered kind, or kind_<layer> of a layer kind (kinds: {})", name, registry.names());
}

torch::Tensor TensorInit::normal(std::vector<int64_t> shape, double std) {
  int64_t n = 1;
  for (auto s : shape) n *= s;
  return philox_normal({key_, next_++, 0, 0}, n).view(shape) * std;
}

torch::Tensor TensorInit::xavier(int64_t out, int64_t in) {
  const double bound = std::sqrt(6.0 / double(in + out));
  return (philox_uniform({key_, next_++, 0, 0}, out * in).view({out, in}) * 2 - 1) * bound;
}

int64_t ComponentKind::size(const Params&, const std::string& dim, const VitOptions&) const {
  fail("component kind: '{}' is not a size this kind can grow", dim);
}

Params ComponentKind::grow(const Params&, const std::string& dim, int64_t, const VitOptions&, TensorInit&) const {
  fail("component kind: '{}' is not a size this kind can grow", dim);
}

Params ComponentKind::identity(const ComponentShape&, TensorInit&) const {
  fail("component kind: this kind has no identity form, so it cannot be added as a new layer");
}

bool ComponentKind::accepts(const Params& have, const Params& wanted) const {
  return have.size() == wanted.size() &&
         std::equal(have.begin(), have.end(), wanted.begin(),
                    [](const auto& a, const auto& b) { return a.sizes() == b.sizes(); });
}

const ComponentKind& component_kind(const std::string& kind) {
  // Kinds are stateless: one instance each, made on first use (from any thread).
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<ComponentKind>> made;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& slot = made[kind];
  if (!slot) slot = ComponentKindRegistry::instance().create(kind, "component kind");
  return *slot;
}

std::vector<std::string> component_kinds() { return ComponentKindRegistry::instance().keys(); }

std::vector<std::string> component_names(const std::string& kind, int64_t layers) {
  if (component_kind(kind).stage() != ComponentKind::Stage::layer) return {kind};
  std::vector<std::string> out;
  for (int64_t layer = 0; layer < layers; ++layer) out.push_back(ComponentName{kind, layer}.str());
  return out;
}

}  // namespace metaevo::munet
