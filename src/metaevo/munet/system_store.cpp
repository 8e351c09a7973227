#include "metaevo/munet/system_store.h"

#include <filesystem>
#include <set>

#include "metaevo/munet/path_record.h"
#include "metaevo/munet/store_settings.h"

namespace metaevo::munet {

const storage::Schema& system_schema() {
  static const storage::Schema schema{"munet-system", {R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE components (id {key}, name TEXT NOT NULL, locks TEXT NOT NULL, tensors {blob} NOT NULL);
CREATE TABLE paths (
  id {key}, task TEXT NOT NULL, parent BIGINT, retained BIGINT NOT NULL, hparams TEXT NOT NULL,
  components TEXT NOT NULL, offsprings BIGINT NOT NULL, quality DOUBLE PRECISION NOT NULL,
  test_quality DOUBLE PRECISION NOT NULL, generation BIGINT NOT NULL, rates TEXT NOT NULL);
CREATE TABLE iterations (iteration {key}, record TEXT NOT NULL);
)sql"}};
  return schema;
}

SystemStore::SystemStore(const std::string& location) try : db_(location, system_schema()) {
} catch (const Error& e) {
  fail("system {}", e.what());
}

void SystemStore::check_settings(const std::string& fingerprint, const nlohmann::json& settings) {
  check_store_settings(db_, fingerprint, settings, "system", "use another output directory or database");
}

nlohmann::json SystemStore::settings() { return stored_settings(db_); }

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

  db_.write([&] {
    std::set<int64_t> stored;
    for (const auto& row : db_.query("SELECT id FROM components")) stored.insert(row.integer(0));
    for (const auto& [id, c] : components) {
      const std::string locks = nlohmann::json(c->locks()).dump();
      if (stored.count(id))
        db_.query("UPDATE components SET locks = ? WHERE id = ?", {locks, id});
      else
        db_.query("INSERT INTO components(id, name, locks, tensors) VALUES (?, ?, ?, ?)",
                  {id, c->name(), locks, storage::Blob{component_blob(c->tensors())}});
    }
    for (const auto id : stored)
      if (!components.count(id)) db_.query("DELETE FROM components WHERE id = ?", {id});
    db_.query("DELETE FROM paths");
    for (const auto& [id, p] : paths) {
      const auto r = path_record(*p);
      db_.query(
          "INSERT INTO paths(id, task, parent, retained, hparams, components, offsprings, quality, "
          "test_quality, generation, rates) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {id, p->task, p->parent ? storage::Value(p->parent->id) : storage::Value(), retained.count(id) ? 1 : 0,
           r["hparams"].dump(), r["components"].dump(), p->offsprings, p->quality, p->test_quality, p->generation,
           r["rates"].dump()});
    }
    for (const auto& it : history)
      db_.query(
          "INSERT INTO iterations(iteration, record) VALUES (?, ?) ON CONFLICT(iteration) DO UPDATE SET "
          "record = excluded.record",
          {it.iteration, it.to_json().dump()});
    db_.query(
        "INSERT INTO settings(key, value) VALUES ('next_id', ?) ON CONFLICT(key) DO UPDATE SET value = "
        "excluded.value",
        {std::to_string(population.peek_next_id())});
  });
}

bool SystemStore::load(Population& population, std::vector<TaskIteration>& history) {
  return db_.read([&] {
    const auto next = db_.one("SELECT value FROM settings WHERE key = 'next_id'");
    if (!next) return false;
    const int64_t next_id = std::stoll(next->text(0));
    std::map<int64_t, ComponentPtr> components;
    for (const auto& row : db_.query("SELECT id, name, locks, tensors FROM components")) {
      const int64_t id = row.integer(0);
      auto c = component_from_blob(id, row.text(1), row.blob(3), population.device(), where());
      for (const auto& lock : nlohmann::json::parse(row.text(2))) c->lock(lock.get<std::string>());
      components[id] = c;
    }
    std::map<int64_t, PathPtr> paths;
    std::map<int64_t, int64_t> parents;
    std::vector<PathPtr> retained;
    for (const auto& row : db_.query("SELECT id, task, parent, retained, hparams, components, offsprings, quality, "
                                     "test_quality, generation, rates FROM paths ORDER BY id")) {
      const nlohmann::json record{{"id", row.integer(0)},
                                  {"task", row.text(1)},
                                  {"hparams", nlohmann::json::parse(row.text(4))},
                                  {"components", nlohmann::json::parse(row.text(5))},
                                  {"offsprings", row.integer(6)},
                                  {"quality", row.real(7)},
                                  {"test_quality", row.real(8)},
                                  {"generation", row.integer(9)},
                                  {"rates", nlohmann::json::parse(row.text(10))}};
      auto p = path_from_record(record, components, where());
      if (!row.is_null(2)) parents[p->id] = row.integer(2);
      paths[p->id] = p;
      if (row.integer(3) != 0) retained.push_back(p);
    }
    PathPtr root;
    for (auto& [id, p] : paths) {
      auto it = parents.find(id);
      if (it == parents.end()) {
        root = p;
        continue;
      }
      METAEVO_CHECK(paths.count(it->second), "{}: path {} has a missing parent {}", where(), id, it->second);
      p->parent = paths[it->second];
    }
    METAEVO_CHECK(root && root->task == kRootTask, "{}: no root path", where());
    std::map<std::string, std::vector<PathPtr>> by_task;
    for (const auto& p : retained) by_task[p->task].push_back(p);
    population.restore(root, by_task, next_id);
    history.clear();
    for (const auto& row : db_.query("SELECT record FROM iterations ORDER BY iteration"))
      history.push_back(TaskIteration::from_json(nlohmann::json::parse(row.text(0))));
    return true;
  });
}

Population load_system(const std::string& location, std::vector<TaskIteration>& history, torch::Device device) {
  // A path that does not exist would be created empty by opening it.
  METAEVO_CHECK(location.find("://") != std::string::npos || std::filesystem::exists(location),
                "{}: no system here (make one with metaevo evolve --config F)", location);
  SystemStore store(location);
  const auto settings = store.settings();
  METAEVO_CHECK(settings.contains("vit"), "{}: the system has no recorded settings", store.where());
  const auto vit = from_json<VitOptions>(settings["vit"], store.where() + ": settings");
  Population population(vit, HparamSpace::reference(vit.depth), {}, settings.value("seed", uint64_t(0)), device);
  METAEVO_CHECK(store.load(population, history), "{}: the system has no saved state yet", store.where());
  return population;
}

}  // namespace metaevo::munet
