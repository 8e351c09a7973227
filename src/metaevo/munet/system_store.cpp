#include "metaevo/munet/system_store.h"

#include <filesystem>
#include <set>

#include "metaevo/core/serialize.h"

namespace metaevo::munet {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS components (id INTEGER PRIMARY KEY, name TEXT NOT NULL, locks TEXT NOT NULL, tensors BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS paths (
  id INTEGER PRIMARY KEY, task TEXT NOT NULL, parent INTEGER, retained INTEGER NOT NULL, hparams TEXT NOT NULL,
  components TEXT NOT NULL, offsprings INTEGER NOT NULL, quality REAL NOT NULL, test_quality REAL NOT NULL,
  generation INTEGER NOT NULL, rates TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS iterations (iteration INTEGER PRIMARY KEY, record TEXT NOT NULL);
)";

std::string tensor_blob(const Params& tensors) {
  torch::serialize::OutputArchive archive;
  for (size_t i = 0; i < tensors.size(); ++i) archive.write(std::to_string(i), tensors[i].detach().cpu());
  return archive_bytes(archive);
}

}  // namespace

SystemStore::SystemStore(const std::string& path) try
    : path_(path), db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 60000) {
  db_.exec("PRAGMA journal_mode=WAL");
  SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
  db_.exec(kSchema);
  // Systems stored before mutation rates had their own column: their paths read as default rates.
  if (!db_.execAndGet("SELECT COUNT(*) FROM pragma_table_info('paths') WHERE name = 'rates'").getInt())
    db_.exec("ALTER TABLE paths ADD COLUMN rates TEXT NOT NULL DEFAULT '{}'");
  txn.commit();
} catch (const SQLite::Exception& e) {
  fail("{}: cannot open the system database: {}", path, e.what());
}

void SystemStore::check_settings(const std::string& fingerprint, const nlohmann::json& settings) {
  SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement q(db_, "SELECT value FROM settings WHERE key = 'fingerprint'");
  if (q.executeStep()) {
    METAEVO_CHECK(q.getColumn(0).getString() == fingerprint,
                  "{}: this system was made with other settings ({} stored, {} given); use another output directory",
                  path_, this->settings().dump(), settings.dump());
  } else {
    SQLite::Statement insert(db_, "INSERT INTO settings(key, value) VALUES ('fingerprint', ?), ('system', ?)");
    insert.bind(1, fingerprint);
    insert.bind(2, settings.dump());
    insert.exec();
  }
  txn.commit();
}

nlohmann::json SystemStore::settings() {
  SQLite::Statement q(db_, "SELECT value FROM settings WHERE key = 'system'");
  return q.executeStep() ? nlohmann::json::parse(q.getColumn(0).getString()) : nlohmann::json();
}

void SystemStore::save(const Population& population, const std::vector<TaskIteration>& history) {
  // Every retained path and its ancestors (the root included): what a child may inherit from.
  std::map<int64_t, PathPtr> paths;
  std::set<int64_t> retained;
  for (const auto& task : population.tasks())
    for (const auto& p : population.paths(task)) {
      retained.insert(p->id);
      for (auto at = p; at && !paths.count(at->id); at = at->parent) paths[at->id] = at;
    }
  paths[population.root()->id] = population.root();
  std::map<int64_t, ComponentPtr> components;
  for (const auto& [id, p] : paths)
    for (const auto& [name, c] : p->components) components[c->id()] = c;

  SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
  db_.exec("CREATE TEMP TABLE IF NOT EXISTS live (id INTEGER PRIMARY KEY); DELETE FROM live;");
  SQLite::Statement live(db_, "INSERT INTO live(id) VALUES (?)");
  SQLite::Statement insert_component(db_,
                                     "INSERT OR IGNORE INTO components(id, name, locks, tensors) VALUES (?, ?, ?, ?)");
  SQLite::Statement update_locks(db_, "UPDATE components SET locks = ? WHERE id = ?");
  for (const auto& [id, c] : components) {
    const std::string locks = nlohmann::json(c->locks()).dump();
    insert_component.bind(1, id);
    insert_component.bind(2, c->name());
    insert_component.bind(3, locks);
    const auto blob = tensor_blob(c->tensors());
    insert_component.bind(4, blob.data(), int(blob.size()));
    insert_component.exec();
    insert_component.reset();
    update_locks.bind(1, locks);
    update_locks.bind(2, id);
    update_locks.exec();
    update_locks.reset();
    live.bind(1, id);
    live.exec();
    live.reset();
  }
  db_.exec("DELETE FROM components WHERE id NOT IN (SELECT id FROM live); DELETE FROM live;");
  SQLite::Statement insert_path(
      db_,
      "INSERT OR REPLACE INTO paths(id, task, parent, retained, hparams, components, offsprings, "
      "quality, test_quality, generation, rates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& [id, p] : paths) {
    nlohmann::json parts = nlohmann::json::object();
    for (const auto& [name, c] : p->components) parts[name] = c->id();
    insert_path.bind(1, id);
    insert_path.bind(2, p->task);
    if (p->parent)
      insert_path.bind(3, p->parent->id);
    else
      insert_path.bind(3);
    insert_path.bind(4, retained.count(id) ? 1 : 0);
    insert_path.bind(5, nlohmann::json(p->hparams).dump());
    insert_path.bind(6, parts.dump());
    insert_path.bind(7, p->offsprings);
    insert_path.bind(8, p->quality);
    insert_path.bind(9, p->test_quality);
    insert_path.bind(10, p->generation);
    insert_path.bind(11, p->rates.to_json().dump());
    insert_path.exec();
    insert_path.reset();
    live.bind(1, id);
    live.exec();
    live.reset();
  }
  db_.exec("DELETE FROM paths WHERE id NOT IN (SELECT id FROM live);");
  SQLite::Statement insert_iteration(db_, "INSERT OR REPLACE INTO iterations(iteration, record) VALUES (?, ?)");
  for (const auto& it : history) {
    insert_iteration.bind(1, it.iteration);
    insert_iteration.bind(2, it.to_json().dump());
    insert_iteration.exec();
    insert_iteration.reset();
  }
  SQLite::Statement next(db_, "INSERT OR REPLACE INTO settings(key, value) VALUES ('next_id', ?)");
  next.bind(1, std::to_string(population.peek_next_id()));
  next.exec();
  txn.commit();
}

bool SystemStore::load(Population& population, std::vector<TaskIteration>& history) {
  SQLite::Statement next(db_, "SELECT value FROM settings WHERE key = 'next_id'");
  if (!next.executeStep()) return false;
  const int64_t next_id = std::stoll(next.getColumn(0).getString());
  std::map<int64_t, ComponentPtr> components;
  SQLite::Statement qc(db_, "SELECT id, name, locks, tensors FROM components");
  while (qc.executeStep()) {
    const int64_t id = qc.getColumn(0).getInt64();
    const auto blob = qc.getColumn(3);
    const std::string bytes(static_cast<const char*>(blob.getBlob()), size_t(blob.getBytes()));
    torch::serialize::InputArchive archive;
    load_archive(archive, bytes, path_ + ": component " + std::to_string(id));
    Params tensors;
    for (int64_t i = 0;; ++i) {
      torch::Tensor t;
      if (!archive.try_read(std::to_string(i), t)) break;
      tensors.push_back(t.to(population.device()));
    }
    auto c = std::make_shared<Component>(id, qc.getColumn(1).getString(), std::move(tensors));
    const auto locks = nlohmann::json::parse(qc.getColumn(2).getString());
    for (const auto& lock : locks) c->lock(lock.get<std::string>());
    components[id] = c;
  }
  std::map<int64_t, PathPtr> paths;
  std::map<int64_t, int64_t> parents;
  std::vector<PathPtr> retained;
  SQLite::Statement qp(db_,
                       "SELECT id, task, parent, retained, hparams, components, offsprings, quality, test_quality, "
                       "generation, rates FROM paths ORDER BY id");
  while (qp.executeStep()) {
    auto p = std::make_shared<Path>();
    p->id = qp.getColumn(0).getInt64();
    p->task = qp.getColumn(1).getString();
    if (!qp.getColumn(2).isNull()) parents[p->id] = qp.getColumn(2).getInt64();
    // Parsed into locals: items() of a temporary would outlive the temporary.
    const auto hparams = nlohmann::json::parse(qp.getColumn(4).getString());
    const auto parts = nlohmann::json::parse(qp.getColumn(5).getString());
    for (const auto& [k, v] : hparams.items()) p->hparams[k] = v;
    for (const auto& [name, id] : parts.items()) {
      auto it = components.find(id.get<int64_t>());
      METAEVO_CHECK(it != components.end(), "{}: path {} names a missing component {}", path_, p->id,
                    id.get<int64_t>());
      p->components[name] = it->second;
    }
    p->offsprings = qp.getColumn(6).getInt64();
    p->quality = qp.getColumn(7).getDouble();
    p->test_quality = qp.getColumn(8).getDouble();
    p->generation = qp.getColumn(9).getInt64();
    const auto rates = nlohmann::json::parse(qp.getColumn(10).getString());
    if (!rates.empty()) p->rates = MutationRates::from_json(rates);
    paths[p->id] = p;
    if (qp.getColumn(3).getInt() != 0) retained.push_back(p);
  }
  PathPtr root;
  for (auto& [id, p] : paths) {
    auto it = parents.find(id);
    if (it == parents.end()) {
      root = p;
      continue;
    }
    METAEVO_CHECK(paths.count(it->second), "{}: path {} has a missing parent {}", path_, id, it->second);
    p->parent = paths[it->second];
  }
  METAEVO_CHECK(root && root->task == kRootTask, "{}: no root path", path_);
  std::map<std::string, std::vector<PathPtr>> by_task;
  for (const auto& p : retained) by_task[p->task].push_back(p);
  population.restore(root, by_task, next_id);
  history.clear();
  SQLite::Statement qi(db_, "SELECT record FROM iterations ORDER BY iteration");
  while (qi.executeStep()) {
    const auto it = TaskIteration::from_json(nlohmann::json::parse(qi.getColumn(0).getString()));
    history.push_back(it);
  }
  return true;
}

Population load_system(const std::string& path, std::vector<TaskIteration>& history, torch::Device device) {
  METAEVO_CHECK(std::filesystem::exists(path), "{}: no system here (make one with metaevo evolve --config F)", path);
  SystemStore store(path);
  const auto settings = store.settings();
  METAEVO_CHECK(settings.contains("vit"), "{}: the system has no recorded settings", path);
  const auto vit = from_json<VitOptions>(settings["vit"], path + ": settings");
  Population population(vit, HparamSpace::reference(vit.depth), {}, settings.value("seed", uint64_t(0)), device);
  METAEVO_CHECK(store.load(population, history), "{}: the system has no saved state yet", path);
  return population;
}

}  // namespace metaevo::munet
