#pragma once
// A study in SQLite: its settings, its trials (configuration, state, resource reached, checkpoint)
// and an append-only event log (trial started or resumed, every reported epoch with the decision
// taken). The log is the truth: replaying it rebuilds any scheduler's state, so worker processes
// share one study through the database alone, and a killed tuner resumes where it stopped.
// WAL mode lets readers run beside the one writer; every decision is taken inside an IMMEDIATE
// transaction, so two workers never decide on the same state, and a unique index refuses a
// second copy of any (trial, epoch) result.
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "metaevo/hpo/space.h"

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

class Store {
 public:
  /// Opens or creates the database; the busy timeout makes writers queue instead of failing.
  explicit Store(const std::string& path);
  const std::string& path() const { return path_; }

  /// Creates the study, or checks that an existing one was made with the same settings.
  /// `direction` ("maximize" | "minimize", the objective's) is kept for readers of the study.
  void open_study(const std::string& settings_fingerprint, const std::string& settings_text,
                  const std::string& direction = "maximize");
  std::optional<std::string> setting(const std::string& key);

  /// BEGIN IMMEDIATE: the write lock is taken up front, so the state read inside stays current.
  std::unique_ptr<SQLite::Transaction> write_transaction();

  std::vector<Event> events_after(int64_t id);
  int64_t append(const Event& event);

  int64_t add_trial(const Assignment& config, int milestone, const std::string& worker);
  void update_trial(int64_t trial, const std::string& state, int resource, int milestone, const std::string& worker);
  int64_t trial_count();
  TrialRow trial(int64_t id);
  std::vector<TrialRow> trials();

  /// Registers or refreshes this worker's heartbeat.
  void heartbeat(const std::string& worker, const std::string& host, int64_t pid);
  /// A running trial whose worker is gone: on this host its process no longer exists; elsewhere
  /// it has been silent for `timeout_s`.
  std::optional<TrialRow> orphan(const std::string& host, double timeout_s);

 private:
  std::string path_;
  SQLite::Database db_;
};

/// Seconds since the epoch (wall clock), as stored in the database.
double unix_time();

}  // namespace metaevo::hpo
