#pragma once
// A whole store from one database to another (metaevo storage migrate): SQLite to PostgreSQL when
// a study outgrows one host, or back for an archive.
#include <cstdint>

#include "metaevo/storage/database.h"

namespace metaevo::storage {

/// Copies every table of `from`'s store into `to`, which must hold the same kind of store (same
/// schema, both migrated) and be empty; one read snapshot, one write transaction. Returns the rows
/// copied.
int64_t copy_store(Database& from, Database& to);

}  // namespace metaevo::storage
