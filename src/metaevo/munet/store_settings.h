#pragma once
// The settings row both muNet stores keep (system_store.h, agents/agent_store.h): the first
// writer records the system's settings and their fingerprint; every later one must match.
#include <nlohmann/json.hpp>
#include <string>

#include "metaevo/storage/database.h"

namespace metaevo::munet {

/// Records `settings` once, then requires the same fingerprint; a mismatch is an Error naming
/// `what` ("agent system", "system"), both settings, and what to do (`remedy`).
void check_store_settings(storage::Database& db, const std::string& fingerprint, const nlohmann::json& settings,
                          const std::string& what, const std::string& remedy);
/// The recorded settings (null before the first check).
nlohmann::json stored_settings(storage::Database& db);

}  // namespace metaevo::munet
