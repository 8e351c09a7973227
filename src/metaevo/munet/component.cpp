#include "metaevo/munet/component.h"

namespace metaevo::munet {

Component::Component(int64_t id, std::string name, Params tensors, int64_t origin)
    : id_(id), name_(std::move(name)), tensors_(std::move(tensors)), origin_(origin) {}

int64_t Component::numel() const {
  int64_t n = 0;
  for (const auto& t : tensors_) n += t.numel();
  return n;
}

std::shared_ptr<Component> Component::clone(int64_t id) const {
  Params copies;
  for (const auto& t : tensors_) copies.push_back(t.detach().clone());
  const bool same_owner = id >> kOwnerShift == id_ >> kOwnerShift;
  return std::make_shared<Component>(id, name_, std::move(copies), same_owner ? origin_ : id_);
}

}  // namespace metaevo::munet
