// `metaevo storage migrate --from A --to B`: copies a study or a system between databases (a
// SQLite file, a postgresql:// URL), e.g. to move a study onto a server when it outgrows one host.
#include <iostream>

#include "commands.h"
#include "metaevo/hpo/store.h"
#include "metaevo/munet/agents/agent_store.h"
#include "metaevo/munet/system_store.h"
#include "metaevo/storage/copy.h"

namespace metaevo::cli {

std::string store_location(const std::string& flag, Config* config, const std::string& fallback) {
  const auto configured = config->get<std::string>("storage", "");
  const auto location = flag.empty() ? configured : flag;
  if (!configured.empty()) config->node()["storage"] = storage::mask_password(configured);
  return location.empty() ? fallback : location;
}

namespace {

struct MigrateArgs {
  std::string from, to;
};

int run_migrate(const MigrateArgs& args) {
  // The kind of store `from` holds decides the schema both sides get.
  const auto held = storage::Database(args.from).stored_schema();
  METAEVO_CHECK(held, "{}: holds no metaevo study or system", storage::mask_password(args.from));
  const std::map<std::string, const storage::Schema*> schemas{
      {hpo::study_schema().name, &hpo::study_schema()},
      {munet::system_schema().name, &munet::system_schema()},
      {munet::agent_system_schema().name, &munet::agent_system_schema()}};
  const auto it = schemas.find(held->first);
  METAEVO_CHECK(it != schemas.end(), "{}: holds a '{}' store, which this build of metaevo does not know",
                storage::mask_password(args.from), held->first);
  storage::Database from(args.from, *it->second), to(args.to, *it->second);
  const auto rows = storage::copy_store(from, to);
  std::cout << fmt::format("copied the {} ({} rows) from {} to {}\n", held->first, rows, from.where(), to.where());
  return 0;
}

}  // namespace

void add_storage_command(CLI::App& app, Common&, Action& action) {
  auto args = std::make_shared<MigrateArgs>();
  auto* storage = app.add_subcommand("storage", "studies and systems in their databases");
  storage->require_subcommand(1);
  auto* migrate = storage->add_subcommand("migrate", "copy a study or a system into another, empty database");
  migrate->add_option("--from", args->from, "the database it is in (a SQLite file or a postgresql:// URL)")->required();
  migrate->add_option("--to", args->to, "the database to copy it into (same forms; must be empty)")->required();
  migrate->callback([&action, args] { action = [args] { return run_migrate(*args); }; });
}

}  // namespace metaevo::cli
