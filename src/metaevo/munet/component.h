#pragma once
// A component of a muNet multitask system (Gesmundo & Dean 2022): one named parameter block of the
// ViT (patch embedding, class token, position embedding, an encoder block, the final norm, a head,
// a residual adapter) with a set of train locks. It is trainable only when unlocked; a locked
// component is shared by reference among the paths that use it, so training one task never
// changes what another task computes.
#include <torch/torch.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace metaevo::munet {

using Params = std::vector<torch::Tensor>;

/// The lock of the root model's components: the pseudo-task that never trains.
inline const std::string kRootTask = "NOT_TRAINABLE";
/// Bits of a component or path id below its owner's number (agents/agent_store.h): the root and a
/// single-agent system's components are all number 0.
inline constexpr int kOwnerShift = 40;
/// A component's origin when it was not copied from another owner's component.
inline constexpr int64_t kNoOrigin = -1;

class Component {
 public:
  Component(int64_t id, std::string name, Params tensors, int64_t origin = kNoOrigin);

  int64_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const Params& tensors() const { return tensors_; }
  Params& tensors() { return tensors_; }
  const std::set<std::string>& locks() const { return locks_; }
  void lock(const std::string& task) { locks_.insert(task); }
  void unlock(const std::string& task) { locks_.erase(task); }
  bool trainable() const { return locks_.empty(); }
  /// The other owner's component its line of copies started from: a copy of a component of another
  /// owner (another number above kOwnerShift) names that one, a copy of the same owner's inherits
  /// its origin. What says, once the intermediate copies are gone, whose trained weights a clone
  /// carries on.
  int64_t origin() const { return origin_; }
  int64_t numel() const;
  /// A deep, unlocked copy with a new id: a trainable copy for a child path.
  std::shared_ptr<Component> clone(int64_t id) const;

 private:
  int64_t id_;
  std::string name_;
  Params tensors_;
  std::set<std::string> locks_;
  int64_t origin_;
};

using ComponentPtr = std::shared_ptr<Component>;

}  // namespace metaevo::munet
