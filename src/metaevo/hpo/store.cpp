#include "metaevo/hpo/store.h"

#include <signal.h>

#include <chrono>

namespace metaevo::hpo {

double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
  id INTEGER PRIMARY KEY, config TEXT NOT NULL, state TEXT NOT NULL, resource INTEGER NOT NULL DEFAULT 0,
  milestone INTEGER NOT NULL, worker TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, trial INTEGER NOT NULL REFERENCES trials(id), kind TEXT NOT NULL,
  resource INTEGER NOT NULL, milestone INTEGER NOT NULL DEFAULT 0, value REAL, test REAL, seconds REAL,
  decision TEXT, worker TEXT NOT NULL, time REAL NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS one_result_per_epoch ON events(trial, resource) WHERE kind = 'result';
CREATE TABLE IF NOT EXISTS workers (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, heartbeat REAL NOT NULL);
)sql";

constexpr int kSchemaVersion = 1;

TrialRow read_trial(SQLite::Statement& q) {
  TrialRow row;
  row.id = q.getColumn(0).getInt64();
  row.config = nlohmann::json::parse(q.getColumn(1).getString());
  row.state = q.getColumn(2).getString();
  row.resource = q.getColumn(3).getInt();
  row.milestone = q.getColumn(4).getInt();
  row.worker = q.getColumn(5).getString();
  return row;
}

}  // namespace

Store::Store(const std::string& path) try
    : path_(path), db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 600000) {
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  db_.exec("PRAGMA foreign_keys=ON");
  SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
  db_.exec(kSchema);
  txn.commit();
} catch (const SQLite::Exception& e) {
  fail("{}: cannot open the study database: {}", path, e.what());
}

void Store::open_study(const std::string& settings_fingerprint, const std::string& settings_text,
                       const std::string& direction) {
  SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
  if (auto stored = setting("fingerprint")) {
    METAEVO_CHECK(*stored == settings_fingerprint,
                  "{}: this study was created with other settings (fingerprint {} here, {} stored); use another output "
                  "directory",
                  path_, settings_fingerprint, *stored);
    const auto version = setting("schema_version");
    METAEVO_CHECK(version && std::stoi(*version) == kSchemaVersion, "{}: unsupported schema version {}", path_,
                  version.value_or("(none)"));
  } else {
    SQLite::Statement insert(db_, "INSERT INTO study(key, value) VALUES (?, ?)");
    for (const auto& [key, value] :
         std::vector<std::pair<std::string, std::string>>{{"fingerprint", settings_fingerprint},
                                                          {"settings", settings_text},
                                                          {"schema_version", std::to_string(kSchemaVersion)},
                                                          {"direction", direction}}) {
      insert.bind(1, key);
      insert.bind(2, value);
      insert.exec();
      insert.reset();
    }
  }
  txn.commit();
}

std::optional<std::string> Store::setting(const std::string& key) {
  SQLite::Statement q(db_, "SELECT value FROM study WHERE key = ?");
  q.bind(1, key);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

std::unique_ptr<SQLite::Transaction> Store::write_transaction() {
  return std::make_unique<SQLite::Transaction>(db_, SQLite::TransactionBehavior::IMMEDIATE);
}

std::vector<Event> Store::events_after(int64_t id) {
  SQLite::Statement q(db_,
                      "SELECT id, trial, kind, resource, milestone, value, test, seconds, decision, worker FROM events "
                      "WHERE id > ? ORDER BY id");
  q.bind(1, id);
  std::vector<Event> out;
  while (q.executeStep()) {
    Event e;
    e.id = q.getColumn(0).getInt64();
    e.trial = q.getColumn(1).getInt64();
    e.kind = q.getColumn(2).getString();
    e.resource = q.getColumn(3).getInt();
    e.milestone = q.getColumn(4).getInt();
    e.value = q.getColumn(5).isNull() ? std::nan("") : q.getColumn(5).getDouble();
    e.test = q.getColumn(6).isNull() ? std::nan("") : q.getColumn(6).getDouble();
    e.seconds = q.getColumn(7).isNull() ? 0 : q.getColumn(7).getDouble();
    e.decision = q.getColumn(8).getString();
    e.worker = q.getColumn(9).getString();
    out.push_back(std::move(e));
  }
  return out;
}

int64_t Store::append(const Event& e) {
  SQLite::Statement q(
      db_,
      "INSERT INTO events(trial, kind, resource, milestone, value, test, seconds, decision, worker, time) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  q.bind(1, e.trial);
  q.bind(2, e.kind);
  q.bind(3, e.resource);
  q.bind(4, e.milestone);
  auto bind_real = [&](int column, double v) { std::isfinite(v) ? q.bind(column, v) : q.bind(column); };
  bind_real(5, e.value);
  bind_real(6, e.test);
  bind_real(7, e.seconds);
  e.decision.empty() ? q.bind(8) : q.bind(8, e.decision);
  q.bind(9, e.worker);
  q.bind(10, unix_time());
  q.exec();
  return db_.getLastInsertRowid();
}

int64_t Store::add_trial(const Assignment& config, int milestone, const std::string& worker) {
  SQLite::Statement q(db_,
                      "INSERT INTO trials(config, state, resource, milestone, worker, created, updated) "
                      "VALUES (?, 'running', 0, ?, ?, ?, ?)");
  const double now = unix_time();
  q.bind(1, config.dump());
  q.bind(2, milestone);
  q.bind(3, worker);
  q.bind(4, now);
  q.bind(5, now);
  q.exec();
  return db_.getLastInsertRowid();
}

void Store::update_trial(int64_t trial, const std::string& state, int resource, int milestone,
                         const std::string& worker) {
  SQLite::Statement q(db_,
                      "UPDATE trials SET state = ?, resource = ?, milestone = ?, worker = ?, updated = ? WHERE id = ?");
  q.bind(1, state);
  q.bind(2, resource);
  q.bind(3, milestone);
  q.bind(4, worker);
  q.bind(5, unix_time());
  q.bind(6, trial);
  q.exec();
}

int64_t Store::trial_count() { return db_.execAndGet("SELECT COUNT(*) FROM trials").getInt64(); }

TrialRow Store::trial(int64_t id) {
  SQLite::Statement q(db_, "SELECT id, config, state, resource, milestone, worker FROM trials WHERE id = ?");
  q.bind(1, id);
  METAEVO_CHECK(q.executeStep(), "{}: no trial {}", path_, id);
  return read_trial(q);
}

std::vector<TrialRow> Store::trials() {
  SQLite::Statement q(db_, "SELECT id, config, state, resource, milestone, worker FROM trials ORDER BY id");
  std::vector<TrialRow> out;
  while (q.executeStep()) out.push_back(read_trial(q));
  return out;
}

void Store::heartbeat(const std::string& worker, const std::string& host, int64_t pid) {
  SQLite::Statement q(db_, "INSERT OR REPLACE INTO workers(name, host, pid, heartbeat) VALUES (?, ?, ?, ?)");
  q.bind(1, worker);
  q.bind(2, host);
  q.bind(3, pid);
  q.bind(4, unix_time());
  q.exec();
}

std::optional<TrialRow> Store::orphan(const std::string& host, double timeout_s) {
  SQLite::Statement q(db_,
                      "SELECT t.id, t.config, t.state, t.resource, t.milestone, t.worker, w.host, w.pid, w.heartbeat "
                      "FROM trials t LEFT JOIN workers w ON w.name = t.worker WHERE t.state = 'running' ORDER BY t.id");
  const double now = unix_time();
  while (q.executeStep()) {
    const bool known = !q.getColumn(6).isNull();
    bool gone = !known;
    if (known && q.getColumn(6).getString() == host)
      gone = ::kill(pid_t(q.getColumn(7).getInt64()), 0) != 0 && errno == ESRCH;
    else if (known)
      gone = now - q.getColumn(8).getDouble() > timeout_s;
    if (gone) return read_trial(q);
  }
  return std::nullopt;
}

}  // namespace metaevo::hpo
