#include "metaevo/munet/store_settings.h"

#include "metaevo/core/error.h"

namespace metaevo::munet {

void check_store_settings(storage::Database& db, const std::string& fingerprint, const nlohmann::json& settings,
                          const std::string& what, const std::string& remedy) {
  db.write([&] {
    if (const auto stored = db.one("SELECT value FROM settings WHERE key = 'fingerprint'")) {
      METAEVO_CHECK(stored->text(0) == fingerprint,
                    "{}: this {} was made with other settings ({} stored, {} given); {}", db.where(), what,
                    stored_settings(db).dump(), settings.dump(), remedy);
      return;
    }
    db.query("INSERT INTO settings(key, value) VALUES ('fingerprint', ?), ('system', ?)",
             {fingerprint, settings.dump()});
  });
}

nlohmann::json stored_settings(storage::Database& db) {
  const auto row = db.one("SELECT value FROM settings WHERE key = 'system'");
  return row ? nlohmann::json::parse(row->text(0)) : nlohmann::json();
}

}  // namespace metaevo::munet
