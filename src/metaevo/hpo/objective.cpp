#include "metaevo/hpo/objective.h"

namespace metaevo::hpo {

std::unique_ptr<Objective> make_objective(const Config& section) {
  const auto type = section.get<std::string>("type", "image_classifier");
  return ObjectiveRegistry::instance().create(type, section.path("type"), section);
}

}  // namespace metaevo::hpo
