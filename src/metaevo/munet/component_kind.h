#pragma once
// What each kind of component is: how its tensors start, what it does to the token stream, and
// what it costs. A component's name is its kind, or kind_<layer> for the kinds that repeat per
// encoder layer ("encoderblock_2", "residual_adapter_0"). The ViT forward pass, the size and FLOPs
// accounting, the baselines and the mutations all read a name through ComponentName and ask its
// kind; a new kind is one file with a registration (components/).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "metaevo/core/registry.h"
#include "metaevo/munet/component.h"
#include "metaevo/munet/vit.h"

namespace metaevo::munet {

struct ComponentName {
  std::string kind;
  int64_t layer = -1;  // -1 for the kinds that occur once
  /// "encoderblock_2" -> {encoderblock, 2}; a name whose kind is not registered is an Error.
  static ComponentName parse(const std::string& name);
  std::string str() const { return layer < 0 ? kind : kind + "_" + std::to_string(layer); }
};

/// What a new component is made for: the ViT's shape, the task's classes, and the path's
/// hyperparameters that size optional parts (e.g. adapter_dim).
struct ComponentShape {
  const VitOptions& vit;
  int64_t classes = 1;
  int64_t adapter_dim = 0;
};

/// Counter-based initialisers: a component's tensors depend only on (seed, name, tensor index),
/// and are drawn on the CPU, so they are the same on every device.
class TensorInit {
 public:
  explicit TensorInit(uint64_t key) : key_(key) {}
  torch::Tensor normal(std::vector<int64_t> shape, double std);
  /// Glorot/Xavier uniform for a [out, in] matrix.
  torch::Tensor xavier(int64_t out, int64_t in);

 private:
  uint64_t key_;
  uint32_t next_ = 0;
};

class ComponentKind {
 public:
  /// Where the kind sits in the forward pass: before the encoder layers, in each layer (in
  /// `order` within it), or after them.
  enum class Stage { stem, layer, top };
  virtual ~ComponentKind() = default;
  virtual Stage stage() const = 0;
  /// Order within the stage (e.g. an adapter before its layer's block).
  virtual int order() const = 0;
  /// Optional kinds are absent from the root and enter a path by an insertion mutation; every
  /// other kind must be present (per kept layer, for the layer kinds).
  virtual bool optional() const { return false; }
  /// Never inherited from another task's path (a head: a new task starts from its own).
  virtual bool task_specific() const { return false; }
  virtual Params init(const ComponentShape& shape, TensorInit& init) const = 0;
  /// The token stream after the component: images -> tokens for the first stem kind, tokens ->
  /// features -> logits for the top kinds.
  virtual torch::Tensor forward(const torch::Tensor& x, const Params& p, const VitOptions& vit) const = 0;
  /// Multiply-adds x 2 of one image through the component.
  virtual double flops(const Params& p, const VitOptions& vit) const { return 0; }

  // Growth (munet/expansions.h's function-preserving expansions, on this kind's tensors).
  /// The sizes a function-preserving expansion can grow (e.g. "mlp_dim", "heads"); none by default.
  virtual std::vector<std::string> growable() const { return {}; }
  /// The size `dim` (one of growable()) has in tensors `p`.
  virtual int64_t size(const Params& p, const std::string& dim, const VitOptions& vit) const;
  /// `p` grown along `dim` to `size` (larger than now), computing the same function: the slices
  /// that reach the output start at zero, the free ones come from `init`.
  virtual Params grow(const Params& p, const std::string& dim, int64_t size, const VitOptions& vit,
                      TensorInit& init) const;
  /// The tensors of a new component that leaves the token stream unchanged (a layer addition); an
  /// Error for a kind that cannot be an identity.
  virtual Params identity(const ComponentShape& shape, TensorInit& init) const;
  /// Whether tensors `have` may stand in for freshly made `wanted` ones when a child inherits: the
  /// same shapes, or for a kind that grows, the same shapes up to its grown sizes.
  virtual bool accepts(const Params& have, const Params& wanted) const;
};

using ComponentKindRegistry = Registry<ComponentKind>;

/// The registered kind `kind` (one shared instance); an Error listing the kinds when unknown.
const ComponentKind& component_kind(const std::string& kind);
/// Every registered kind's name.
std::vector<std::string> component_kinds();
/// The names a kind takes in a path of `layers` encoder layers: one, or one per layer.
std::vector<std::string> component_names(const std::string& kind, int64_t layers);

}  // namespace metaevo::munet
