#pragma once
// One path and one component as stored rows: a path's fields as JSON (its components by id, its
// parent by id), a component's tensors as a LibTorch archive blob. Both stores of a muNet system
// (system_store.h: one grower; agents/agent_store.h: many agents) keep their records this way.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "metaevo/munet/path.h"

namespace metaevo::munet {

/// The path's fields: id, task, parent (id or null), hparams, components ({name: id}), offsprings,
/// quality, test_quality, generation, rates.
nlohmann::json path_record(const Path& path);
/// The path a record describes, its components taken from `components` (an Error naming `where`
/// when one is missing); its parent is left for the caller to link.
PathPtr path_from_record(const nlohmann::json& record, const std::map<int64_t, ComponentPtr>& components,
                         const std::string& where);

/// The component's tensors as archive bytes.
std::string component_blob(const Params& tensors);
/// A component read back from `blob`, its tensors on `device`; an Error names `where` when the
/// blob is not an archive.
ComponentPtr component_from_blob(int64_t id, const std::string& name, const std::string& blob, torch::Device device,
                                 const std::string& where, int64_t origin = kNoOrigin);

}  // namespace metaevo::munet
