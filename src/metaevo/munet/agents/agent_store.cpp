#include "metaevo/munet/agents/agent_store.h"

#include <set>

#include "metaevo/core/philox.h"
#include "metaevo/munet/path_record.h"
#include "metaevo/munet/store_settings.h"

namespace metaevo::munet {

const storage::Schema& agent_system_schema() {
  static const storage::Schema schema{"munet-agents",
                                      {R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE agents (number BIGINT PRIMARY KEY, agent TEXT NOT NULL UNIQUE);
CREATE TABLE components (
  id BIGINT PRIMARY KEY, owner TEXT NOT NULL, name TEXT NOT NULL, final BIGINT NOT NULL, hash BIGINT NOT NULL,
  tensors {blob} NOT NULL);
CREATE TABLE states (
  owner TEXT NOT NULL, cycle BIGINT NOT NULL, generation BIGINT NOT NULL, state TEXT NOT NULL,
  PRIMARY KEY (owner, cycle, generation));
)sql",
                                       "ALTER TABLE components ADD COLUMN origin BIGINT;"}};
  return schema;
}

uint64_t tensor_hash(const Params& tensors) {
  std::string bytes;
  for (const auto& t : tensors) {
    const auto c = t.detach().cpu().contiguous();
    bytes += c10::str(c.sizes(), c.scalar_type());
    bytes.append(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size());
  }
  return hash64(bytes);
}

namespace {

/// The retained paths and their own ancestors (up to the first path the agent does not own).
std::vector<std::pair<PathPtr, bool>> own_paths(const AgentState& state, int64_t lo, int64_t hi) {
  std::vector<std::pair<PathPtr, bool>> out;
  std::set<int64_t> seen;
  for (const auto& p : state.paths) {
    if (seen.insert(p->id).second) out.emplace_back(p, true);
  }
  for (const auto& p : state.paths)
    for (auto at = p->parent; at && at->id >= lo && at->id < hi && seen.insert(at->id).second; at = at->parent)
      out.emplace_back(at, false);
  return out;
}

/// One loaded state's path records, with the agent that wrote them.
struct Records {
  std::string owner;
  nlohmann::json state;
};

}  // namespace

AgentStore::AgentStore(const std::string& location) try : db_(location, agent_system_schema()) {
} catch (const Error& e) {
  fail("agent system {}", e.what());
}

void AgentStore::check_settings(const std::string& fingerprint, const nlohmann::json& settings) {
  check_store_settings(db_, fingerprint, settings, "agent system", "use another --storage");
}

nlohmann::json AgentStore::settings() { return stored_settings(db_); }

int64_t AgentStore::register_agent(const std::string& agent) {
  METAEVO_CHECK(!agent.empty() && agent != kRootOwner, "{}: '{}' is not an agent id", where(), agent);
  return db_.write([&] {
    if (const auto row = db_.one("SELECT number FROM agents WHERE agent = ?", {agent})) return row->integer(0);
    const auto next = db_.one("SELECT COALESCE(MAX(number), 0) + 1 FROM agents")->integer(0);
    db_.query("INSERT INTO agents(number, agent) VALUES (?, ?)", {next, agent});
    return next;
  });
}

std::string AgentStore::owner_of(int64_t id) {
  const int64_t number = id >> kOwnerShift;
  if (number == 0) return kRootOwner;
  const auto row = db_.one("SELECT agent FROM agents WHERE number = ?", {number});
  METAEVO_CHECK(row, "{}: id {} belongs to no registered agent", where(), id);
  return row->text(0);
}

bool AgentStore::has_root() { return bool(db_.one("SELECT 1 FROM settings WHERE key = 'root'")); }

bool AgentStore::put_root(const Path& root) {
  return db_.write([&] {
    if (db_.one("SELECT 1 FROM settings WHERE key = 'root'")) return false;
    for (const auto& [name, c] : root.components) {
      METAEVO_CHECK(c->id() >> kOwnerShift == 0, "{}: root component {} has an agent's id", where(), c->id());
      db_.query("INSERT INTO components(id, owner, name, final, hash, tensors) VALUES (?, ?, ?, 1, ?, ?)",
                {c->id(), kRootOwner, c->name(), int64_t(tensor_hash(c->tensors())),
                 storage::Blob{component_blob(c->tensors())}});
    }
    db_.query("INSERT INTO settings(key, value) VALUES ('root', ?)", {path_record(root).dump()});
    return true;
  });
}

void AgentStore::save(const std::string& agent, const AgentState& state) {
  // Hashes outside the transaction: a retried body must not redo the tensors' work.
  std::map<int64_t, std::pair<ComponentPtr, uint64_t>> components;
  nlohmann::json records = nlohmann::json::array(), multipaths = nlohmann::json::array(),
                 locks = nlohmann::json::object();
  bool prepared = false;
  db_.write([&] {
    const auto number = db_.one("SELECT number FROM agents WHERE agent = ?", {agent});
    METAEVO_CHECK(number, "{}: agent {} is not registered", where(), agent);
    const int64_t lo = number->integer(0) << kOwnerShift, hi = (number->integer(0) + 1) << kOwnerShift;
    const bool final = state.generation == 0;
    if (!prepared) {
      prepared = true;
      for (const auto& [p, retained] : own_paths(state, lo, hi)) {
        METAEVO_CHECK(p->id >= lo && p->id < hi, "{}: agent {} cannot publish path {}: it is not the agent's", where(),
                      agent, p->id);
        auto r = path_record(*p);
        r["retained"] = retained;
        records.push_back(r);
        for (const auto& [name, c] : p->components)
          if (!components.count(c->id())) {
            components[c->id()] = {c, tensor_hash(c->tensors())};
            if (c->id() >= lo && c->id() < hi) locks[std::to_string(c->id())] = c->locks();
          }
      }
      for (const auto& m : state.multipaths) {
        METAEVO_CHECK(m->id >= lo && m->id < hi,
                      "{}: agent {} cannot publish multipath model {}: it is not the agent's", where(), agent, m->id);
        auto r = multipath_record(*m);
        r["retained"] = true;
        multipaths.push_back(r);
        // The router and connectors: one component of the agent's own, under the model's id.
        const auto own = std::make_shared<Component>(m->id, "multipath", m->trainable());
        components[m->id] = {own, tensor_hash(own->tensors())};
        for (const auto& p : m->paths())
          for (const auto& [name, c] : p->components)
            if (!components.count(c->id())) components[c->id()] = {c, tensor_hash(c->tensors())};
      }
    }
    if (final)
      METAEVO_CHECK(
          !db_.one("SELECT 1 FROM states WHERE owner = ? AND cycle = ? AND generation = 0", {agent, state.cycle}),
          "{}: agent {} already published cycle {}", where(), agent, state.cycle);
    std::set<int64_t> unpublished;  // the agent's stored components not yet final
    for (const auto& row : db_.query("SELECT id FROM components WHERE owner = ? AND final = 0", {agent}))
      unpublished.insert(row.integer(0));
    for (const auto& [id, entry] : components) {
      const auto& [c, hash] = entry;
      const bool own = id >= lo && id < hi;
      const auto row = db_.one("SELECT owner, final, hash FROM components WHERE id = ?", {id});
      if (!own) {
        METAEVO_CHECK(row && row->integer(1) == 1, "{}: agent {} cannot write component {} ({}): it belongs to {}",
                      where(), agent, id, c->name(), owner_of(id));
        METAEVO_CHECK(uint64_t(row->integer(2)) == hash,
                      "{}: agent {} holds a changed copy of component {} ({}) of {}: foreign components are immutable",
                      where(), agent, id, c->name(), row->text(0));
      } else if (row && row->integer(1) == 1) {
        METAEVO_CHECK(uint64_t(row->integer(2)) == hash,
                      "{}: agent {} changed its published component {} ({}): published components are immutable",
                      where(), agent, id, c->name());
      } else if (row) {
        unpublished.erase(id);
        if (final) db_.query("UPDATE components SET final = 1, hash = ? WHERE id = ?", {int64_t(hash), id});
      } else {
        db_.query("INSERT INTO components(id, owner, name, final, hash, origin, tensors) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {id, agent, c->name(), final ? 1 : 0, int64_t(hash),
                   c->origin() == kNoOrigin ? storage::Value{} : storage::Value{c->origin()},
                   storage::Blob{component_blob(c->tensors())}});
      }
    }
    for (const auto id : unpublished) db_.query("DELETE FROM components WHERE id = ?", {id});
    db_.query("DELETE FROM states WHERE owner = ? AND generation > 0", {agent});
    const nlohmann::json body{{"paths", records},
                              {"multipaths", multipaths},
                              {"locks", locks},
                              {"next_id", state.next_id},
                              {"view", state.view},
                              {"cycle", state.cycle},
                              {"generation", state.generation}};
    db_.query("INSERT INTO states(owner, cycle, generation, state) VALUES (?, ?, ?, ?)",
              {agent, state.cycle, state.generation, body.dump()});
  });
}

AgentView AgentStore::load(const std::string& agent, torch::Device device,
                           const std::optional<std::map<std::string, int64_t>>& view) {
  return db_.read([&] {
    AgentView out;
    const auto root_row = db_.one("SELECT value FROM settings WHERE key = 'root'");
    METAEVO_CHECK(root_row, "{}: the agent system has no root yet", where());
    const auto root_record = nlohmann::json::parse(root_row->text(0));
    std::vector<Records> loaded;
    std::optional<nlohmann::json> own;
    if (const auto row =
            db_.one("SELECT state FROM states WHERE owner = ? ORDER BY cycle DESC, generation DESC LIMIT 1", {agent}))
      own = nlohmann::json::parse(row->text(0));
    std::map<std::string, int64_t> cycles;
    if (view) {
      cycles = *view;
    } else {
      for (const auto& row : db_.query(
               "SELECT owner, MAX(cycle) FROM states WHERE generation = 0 AND owner <> ? GROUP BY owner", {agent}))
        cycles[row.text(0)] = row.integer(1);
    }
    for (const auto& [owner, cycle] : cycles) {
      const auto row =
          db_.one("SELECT state FROM states WHERE owner = ? AND cycle = ? AND generation = 0", {owner, cycle});
      METAEVO_CHECK(row, "{}: agent {} has no published cycle {}", where(), owner, cycle);
      loaded.push_back({owner, nlohmann::json::parse(row->text(0))});
    }
    if (own) loaded.push_back({agent, *own});

    // Components, each once, locked to their owner unless they are the agent's own.
    std::map<int64_t, ComponentPtr> components;
    const auto fetch = [&](int64_t id) {
      if (components.count(id)) return;
      const auto row = db_.one("SELECT owner, name, tensors, origin FROM components WHERE id = ?", {id});
      METAEVO_CHECK(row, "{}: component {} is not stored", where(), id);
      auto c = component_from_blob(id, row->text(1), row->blob(2), device, where(),
                                   row->is_null(3) ? kNoOrigin : row->integer(3));
      const auto& owner = row->text(0);
      if (owner == kRootOwner)
        c->lock(kRootTask);
      else if (owner != agent)
        c->lock(owner);
      components[id] = c;
    };
    for (const auto& [name, id] : root_record.at("components").items()) fetch(id.get<int64_t>());
    for (const auto& r : loaded)
      for (const auto& p : r.state.at("paths"))
        for (const auto& [name, id] : p.at("components").items()) fetch(id.get<int64_t>());
    const auto own_multipaths = own ? own->value("multipaths", nlohmann::json::array()) : nlohmann::json::array();
    for (const auto& m : own_multipaths) {
      fetch(m.at("id").get<int64_t>());
      for (const auto& p : m.at("paths"))
        for (const auto& [name, id] : p.at("components").items()) fetch(id.get<int64_t>());
    }
    if (own)
      for (const auto& [id, locks] : own->at("locks").items())
        for (const auto& lock : locks) components.at(std::stoll(id))->lock(lock.get<std::string>());

    out.root = path_from_record(root_record, components, where());
    std::map<int64_t, PathPtr> paths{{out.root->id, out.root}};
    std::vector<std::pair<PathPtr, nlohmann::json>> parents;
    for (const auto& r : loaded)
      for (const auto& record : r.state.at("paths")) {
        auto p = path_from_record(record, components, where());
        paths[p->id] = p;
        parents.emplace_back(p, record.at("parent"));
        if (!record.at("retained").get<bool>()) continue;
        if (r.owner == agent) continue;
        out.published[r.owner].push_back(p);
      }
    // A parent retired by its owner since (not in its latest publication) falls back to the root.
    for (auto& [p, parent] : parents) {
      const auto it = parent.is_null() ? paths.end() : paths.find(parent.get<int64_t>());
      p->parent = it != paths.end() ? it->second : out.root;
      if (!parent.is_null() && it == paths.end()) out.retired_parents[p->id] = parent.get<int64_t>();
    }
    if (own) {
      AgentState s;
      s.cycle = own->at("cycle");
      s.generation = own->at("generation");
      s.next_id = own->at("next_id");
      s.view = own->at("view").get<std::map<std::string, int64_t>>();
      for (const auto& record : own->at("paths"))
        if (record.at("retained").get<bool>()) s.paths.push_back(paths.at(record.at("id").get<int64_t>()));
      for (const auto& m : own_multipaths)
        s.multipaths.push_back(
            multipath_from_record(m, components, components.at(m.at("id").get<int64_t>())->tensors(), where()));
      out.own = std::move(s);
    }
    out.cycles = std::move(cycles);
    return out;
  });
}

std::vector<Publication> AgentStore::publications(bool latest_only) {
  return db_.read([&] {
    std::vector<Publication> out;
    const std::string sql =
        latest_only ? "SELECT s.owner, s.cycle, s.state FROM states s WHERE s.generation = 0 AND s.cycle = (SELECT "
                      "MAX(cycle) FROM states t WHERE t.owner = s.owner AND t.generation = 0) ORDER BY s.owner"
                    : "SELECT owner, cycle, state FROM states WHERE generation = 0 ORDER BY owner, cycle";
    for (const auto& row : db_.query(sql)) {
      nlohmann::json retained = nlohmann::json::array();
      const auto state = nlohmann::json::parse(row.text(2));  // a local: the loop must not outlive it
      for (const auto& p : state.at("paths"))
        if (p.at("retained").get<bool>()) retained.push_back(p);
      for (const auto& m : state.value("multipaths", nlohmann::json::array())) retained.push_back(m);
      out.push_back({row.text(0), row.integer(1), retained});
    }
    return out;
  });
}

}  // namespace metaevo::munet
