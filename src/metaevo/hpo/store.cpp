#include "metaevo/hpo/store.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cmath>

namespace metaevo::hpo {

double unix_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const storage::Schema& study_schema() {
  static const storage::Schema schema{"hpo-study", {R"sql(
CREATE TABLE study (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE trials (
  id {key}, config TEXT NOT NULL, state TEXT NOT NULL, resource BIGINT NOT NULL DEFAULT 0,
  milestone BIGINT NOT NULL, worker TEXT NOT NULL, created DOUBLE PRECISION NOT NULL,
  updated DOUBLE PRECISION NOT NULL);
CREATE INDEX trials_by_state ON trials(state);
CREATE TABLE events (
  id {serial}, trial BIGINT NOT NULL REFERENCES trials(id), kind TEXT NOT NULL, resource BIGINT NOT NULL,
  milestone BIGINT NOT NULL DEFAULT 0, value DOUBLE PRECISION, test DOUBLE PRECISION, seconds DOUBLE PRECISION,
  decision TEXT, worker TEXT NOT NULL, time DOUBLE PRECISION NOT NULL);
CREATE UNIQUE INDEX one_result_per_epoch ON events(trial, resource) WHERE kind = 'result';
CREATE TABLE workers (name TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, heartbeat DOUBLE PRECISION NOT NULL);
CREATE TABLE checkpoints (trial BIGINT PRIMARY KEY REFERENCES trials(id), epoch BIGINT NOT NULL, bytes {blob} NOT NULL);
)sql"}};
  return schema;
}

namespace {

constexpr const char* kTrialColumns = "id, config, state, resource, milestone, worker";

TrialRow read_trial(const storage::Row& r) {
  TrialRow row;
  row.id = r.integer(0);
  row.config = nlohmann::json::parse(r.text(1));
  row.state = r.text(2);
  row.resource = int(r.integer(3));
  row.milestone = int(r.integer(4));
  row.worker = r.text(5);
  return row;
}

/// NULL for a value that is not finite (a diverged trial), as the schema records it.
storage::Value finite_or_null(double v) { return std::isfinite(v) ? storage::Value(v) : storage::Value(); }

}  // namespace

Store::Store(const std::string& location) try : db_(location, study_schema()) {
} catch (const Error& e) {
  fail("study {}", e.what());
}

void Store::open_study(const std::string& settings_fingerprint, const std::string& settings_text,
                       const std::string& direction) {
  write([&] {
    if (auto stored = setting("fingerprint")) {
      METAEVO_CHECK(*stored == settings_fingerprint,
                    "{}: this study was created with other settings (fingerprint {} here, {} stored); use another "
                    "output directory or database",
                    where(), settings_fingerprint, *stored);
      return;
    }
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"fingerprint", settings_fingerprint}, {"settings", settings_text}, {"direction", direction}})
      db_.query("INSERT INTO study(key, value) VALUES (?, ?)", {key, value});
  });
}

std::optional<std::string> Store::setting(const std::string& key) {
  const auto row = db_.one("SELECT value FROM study WHERE key = ?", {key});
  if (!row) return std::nullopt;
  return row->text(0);
}

std::vector<Event> Store::events_after(int64_t id) {
  std::vector<Event> out;
  for (const auto& r : db_.query("SELECT id, trial, kind, resource, milestone, value, test, seconds, decision, worker "
                                 "FROM events WHERE id > ? ORDER BY id",
                                 {id})) {
    Event e;
    e.id = r.integer(0);
    e.trial = r.integer(1);
    e.kind = r.text(2);
    e.resource = int(r.integer(3));
    e.milestone = int(r.integer(4));
    e.value = r.real(5);
    e.test = r.real(6);
    e.seconds = r.is_null(7) ? 0 : r.real(7);
    e.decision = r.is_null(8) ? "" : r.text(8);
    e.worker = r.text(9);
    out.push_back(std::move(e));
  }
  return out;
}

int64_t Store::append(const Event& e) {
  return db_
      .query(
          "INSERT INTO events(trial, kind, resource, milestone, value, test, seconds, decision, worker, time) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
          {e.trial, e.kind, e.resource, e.milestone, finite_or_null(e.value), finite_or_null(e.test),
           finite_or_null(e.seconds), e.decision.empty() ? storage::Value() : storage::Value(e.decision), e.worker,
           unix_time()})
      .front()
      .integer(0);
}

int64_t Store::add_trial(const Assignment& config, int milestone, const std::string& worker) {
  // Numbered here rather than by the database: a rolled-back insert must not leave a gap, since
  // the log replays trials in the order 1, 2, ...
  const double now = unix_time();
  return db_
      .query(
          "INSERT INTO trials(id, config, state, resource, milestone, worker, created, updated) "
          "SELECT COALESCE(MAX(id), 0) + 1, ?, 'running', 0, ?, ?, ?, ? FROM trials RETURNING id",
          {config.dump(), milestone, worker, now, now})
      .front()
      .integer(0);
}

void Store::update_trial(int64_t trial, const std::string& state, int resource, int milestone,
                         const std::string& worker) {
  db_.query("UPDATE trials SET state = ?, resource = ?, milestone = ?, worker = ?, updated = ? WHERE id = ?",
            {state, resource, milestone, worker, unix_time(), trial});
}

int64_t Store::trial_count() { return db_.one("SELECT COUNT(*) FROM trials")->integer(0); }

TrialRow Store::trial(int64_t id) {
  const auto row = db_.one(fmt::format("SELECT {} FROM trials WHERE id = ?", kTrialColumns), {id});
  METAEVO_CHECK(row, "{}: no trial {}", where(), id);
  return read_trial(*row);
}

std::vector<TrialRow> Store::trials() {
  std::vector<TrialRow> out;
  for (const auto& r : db_.query(fmt::format("SELECT {} FROM trials ORDER BY id", kTrialColumns)))
    out.push_back(read_trial(r));
  return out;
}

void Store::heartbeat(const std::string& worker, const std::string& host, int64_t pid) {
  db_.query(
      "INSERT INTO workers(name, host, pid, heartbeat) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
      "host = excluded.host, pid = excluded.pid, heartbeat = excluded.heartbeat",
      {worker, host, pid, unix_time()});
}

std::optional<TrialRow> Store::orphan(const std::string& me, const std::string& host, double timeout_s) {
  const double now = unix_time();
  for (const auto& r : db_.query("SELECT t.id, t.config, t.state, t.resource, t.milestone, t.worker, w.host, w.pid, "
                                 "w.heartbeat FROM trials t LEFT JOIN workers w ON w.name = t.worker "
                                 "WHERE t.state = 'running' ORDER BY t.id")) {
    bool gone = r.text(5) == me || r.is_null(6);
    if (!gone && r.text(6) == host)
      gone = ::kill(pid_t(r.integer(7)), 0) != 0 && errno == ESRCH;
    else if (!gone)
      gone = now - r.real(8) > timeout_s;
    if (gone) return read_trial(r);
  }
  return std::nullopt;
}

void Store::put_checkpoint(int64_t trial, int epoch, const std::string& bytes) {
  db_.query(
      "INSERT INTO checkpoints(trial, epoch, bytes) VALUES (?, ?, ?) ON CONFLICT(trial) DO UPDATE SET "
      "epoch = excluded.epoch, bytes = excluded.bytes",
      {trial, epoch, storage::Blob{bytes}});
}

std::optional<std::pair<int, std::string>> Store::checkpoint(int64_t trial) {
  const auto row = db_.one("SELECT epoch, bytes FROM checkpoints WHERE trial = ?", {trial});
  if (!row) return std::nullopt;
  return std::make_pair(int(row->integer(0)), row->blob(1));
}

}  // namespace metaevo::hpo
