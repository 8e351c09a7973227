// Built instead of postgres.cpp when the CMake option METAEVO_POSTGRES is off (the dependency kit
// of a GPU machine carries no PostgreSQL client): a postgresql:// URL is a one-line error.
#include "metaevo/core/error.h"
#include "metaevo/storage/backend.h"

namespace metaevo::storage {
namespace {

const Registrar<BackendRegistry> kNoPostgres(
    "postgresql",
    [](const std::string& url) -> std::unique_ptr<Backend> {
      fail("storage: {}: this metaevo was built without PostgreSQL (configure with -DMETAEVO_POSTGRES=ON)",
           mask_password(url));
    },
    VariantDoc{"not in this build (configured with -DMETAEVO_POSTGRES=OFF)", {}});

}  // namespace
}  // namespace metaevo::storage
