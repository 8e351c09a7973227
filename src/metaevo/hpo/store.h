#pragma once
// A study in a database (storage/: a SQLite file, or PostgreSQL for several hosts): its settings,
// its trials (configuration, state, resource reached), an append-only event log (trial started
// or resumed, every reported epoch with the decision taken) and, where hosts share nothing else,
// the trials' checkpoints. The log is the truth: replaying it rebuilds any scheduler's state, so
// workers share one study through the database alone, and a killed tuner resumes where it
// stopped. Every decision is taken inside one write transaction holding the study's write lock,
// so two workers never decide on the same state, and a unique index refuses a second copy of any
// (trial, epoch) result.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "metaevo/hpo/space.h"
#include "metaevo/storage/database.h"

namespace metaevo::hpo {

struct Event {
  int64_t id = 0;
  int64_t trial = 0;
  std::string kind;                         // start | resume | adopt | result | fail
  int resource = 0;                         // result: the epoch; start/resume/adopt: the resource the trial starts from
  int milestone = 0;                        // start/resume/adopt: where the trial pauses next
  double value = 0, test = 0, seconds = 0;  // result (value in the objective's own sense)
  std::string decision;                     // result: continue | pause | stop
  std::string worker;
};

struct TrialRow {
  int64_t id = 0;
  Assignment config;
  std::string state;  // running | paused | stopped | failed
  int resource = 0;   // last reported epoch
  int milestone = 0;
  std::string worker;
};

/// The study tables and their migrations.
const storage::Schema& study_schema();

class Store {
 public:
  /// Opens or creates the study at `location` (a SQLite path or a postgresql:// URL).
  explicit Store(const std::string& location);
  /// Where the study is, as it may be shown (a path, or a URL without its password).
  const std::string& where() const { return db_.where(); }
  /// True when several hosts may share the study (a server): checkpoints then travel through it.
  bool shared() const { return db_.shared(); }
  storage::Database& database() { return db_; }

  /// Creates the study, or checks that an existing one was made with the same settings.
  /// `direction` ("maximize" | "minimize", the objective's) is kept for readers of the study.
  void open_study(const std::string& settings_fingerprint, const std::string& settings_text,
                  const std::string& direction = "maximize");
  std::optional<std::string> setting(const std::string& key);

  /// A decision: `body` runs in one transaction holding the study's write lock, again (after
  /// `rewind`) if the database asks for a retry or the connection drops (storage/database.h).
  template <class F>
  auto write(F&& body, const std::function<void()>& rewind = {}) -> decltype(body()) {
    return db_.write(std::forward<F>(body), rewind);
  }
  /// Several reads from one snapshot.
  template <class F>
  auto read(F&& body) -> decltype(body()) {
    return db_.read(std::forward<F>(body));
  }

  std::vector<Event> events_after(int64_t id);
  int64_t append(const Event& event);

  /// Numbers trials 1, 2, ... in the order they are added (under the write lock).
  int64_t add_trial(const Assignment& config, int milestone, const std::string& worker);
  void update_trial(int64_t trial, const std::string& state, int resource, int milestone, const std::string& worker);
  int64_t trial_count();
  TrialRow trial(int64_t id);
  std::vector<TrialRow> trials();

  /// Registers or refreshes this worker's heartbeat.
  void heartbeat(const std::string& worker, const std::string& host, int64_t pid);
  /// A running trial nobody is training: its worker's process no longer exists (on this host) or
  /// has been silent for `timeout_s` (elsewhere), or it is `me`, which is idle when it asks (its
  /// claim committed although the worker never heard back).
  std::optional<TrialRow> orphan(const std::string& me, const std::string& host, double timeout_s);

  /// A trial's checkpoint as of `epoch`, replacing the one stored before.
  void put_checkpoint(int64_t trial, int epoch, const std::string& bytes);
  /// The stored checkpoint (its epoch and bytes), if any.
  std::optional<std::pair<int, std::string>> checkpoint(int64_t trial);

 private:
  storage::Database db_;
};

/// Seconds since the epoch (wall clock), as stored in the database.
double unix_time();

}  // namespace metaevo::hpo
