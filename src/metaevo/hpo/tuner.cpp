#include "metaevo/hpo/tuner.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/core/philox.h"

namespace metaevo::hpo {

namespace fs = std::filesystem;

namespace {
std::string hostname() {
  char name[256] = {0};
  ::gethostname(name, sizeof(name) - 1);
  return name;
}
}  // namespace

Tuner::Tuner(Store& store, Objective& objective, SearchSpace space, Choice scheduler, std::unique_ptr<Sampler> sampler,
             TunerOptions options, uint64_t seed, std::string trials_dir, std::string worker)
    : store_(store),
      objective_(objective),
      space_(std::move(space)),
      scheduler_choice_(std::move(scheduler)),
      scheduler_(make_scheduler(scheduler_choice_)),
      sampler_(std::move(sampler)),
      options_(options),
      seed_(seed),
      trials_dir_(std::move(trials_dir)),
      worker_(std::move(worker)),
      host_(hostname()),
      maximize_(objective.maximize()),
      trials_(1) {}

void Tuner::forget() {
  scheduler_ = make_scheduler(scheduler_choice_);
  trials_.assign(1, TrialState{});
  order_.clear();
  seen_ = epochs_ = 0;
  seconds_ = 0;
}

void Tuner::sync() {
  for (const auto& event : store_.events_after(seen_)) {
    replay(event);
    seen_ = event.id;
  }
}

void Tuner::replay(const Event& e) {
  if (e.kind == "start") {
    METAEVO_CHECK(e.trial == int64_t(trials_.size()), "{}: event {}: trial {} starts out of order", store_.where(),
                  e.id, e.trial);
    TrialState state;
    state.summary.config = store_.trial(e.trial).config;
    trials_.push_back(std::move(state));
    scheduler_->on_job(Job{Job::Kind::kStart, e.trial, 0, e.milestone});
  } else if (e.kind == "resume") {
    scheduler_->on_job(Job{Job::Kind::kResume, e.trial, e.resource, e.milestone});
  } else if (e.kind == "result") {
    const Decision decision = apply_result(e);
    // Same log, same scheduler, same decisions: anything else means the settings changed under
    // the study or the scheduler is not deterministic, and continuing would corrupt it.
    METAEVO_CHECK(decision_name(decision) == e.decision,
                  "{}: event {}: replaying trial {} epoch {} gives '{}' where the log says '{}'", store_.where(), e.id,
                  e.trial, e.resource, decision_name(decision), e.decision);
  } else if (e.kind == "fail") {
    scheduler_->on_failure(e.trial);
  } else if (e.kind != "adopt") {
    fail("{}: event {}: unknown kind '{}'", store_.where(), e.id, e.kind);
  }
}

Event Tuner::event(const char* kind, int64_t trial, int resource, int milestone) const {
  Event e;
  e.kind = kind;
  e.trial = trial;
  e.resource = resource;
  e.milestone = milestone;
  e.worker = worker_;
  return e;
}

Decision Tuner::apply_result(const Event& e) {
  const Decision decision = scheduler_->on_result(e.trial, e.resource, scheduler_value(e.value));
  auto& t = trials_.at(e.trial);
  t.values.push_back(e.value);
  t.tests.push_back(e.test);
  t.seconds += e.seconds;
  t.summary.resource = e.resource;
  t.summary.value = scheduler_value(e.value);
  t.decisions.push_back(decision);
  ++epochs_;
  seconds_ += e.seconds;
  order_.emplace_back(e.trial, e.resource);
  return decision;
}

std::optional<Tuner::Claim> Tuner::claim() {
  for (;;) {
    std::optional<Claim> claimed;
    std::string adopted_from;
    bool done = false;
    store_.write(
        [&] {
          claimed.reset();
          adopted_from.clear();
          done = false;
          sync();
          store_.heartbeat(worker_, host_, ::getpid());
          if (auto orphan = store_.orphan(worker_, host_, options_.orphan_timeout_s)) {
            store_.append(event("adopt", orphan->id, orphan->resource, orphan->milestone));
            store_.update_trial(orphan->id, "running", orphan->resource, orphan->milestone, worker_);
            adopted_from = orphan->worker;
            claimed = Claim{Job{Job::Kind::kResume, orphan->id, orphan->resource, orphan->milestone}, orphan->config,
                            orphan->resource};
            return;
          }
          const int64_t started = int64_t(trials_.size()) - 1;
          Job job = scheduler_->next_job(started < options_.max_trials);
          if (job.kind == Job::Kind::kStart) {
            std::vector<const TrialSummary*> history;
            history.reserve(trials_.size());
            for (size_t i = 1; i < trials_.size(); ++i) history.push_back(&trials_[i].summary);
            Draws draws(seed_, uint64_t(started + 1));
            Assignment config = sampler_->suggest(space_, history, draws);
            job.trial = store_.add_trial(config, job.milestone, worker_);
            store_.append(event("start", job.trial, 0, job.milestone));
            claimed = Claim{job, std::move(config), 0};
          } else if (job.kind == Job::Kind::kResume) {
            store_.append(event("resume", job.trial, job.from, job.milestone));
            store_.update_trial(job.trial, "running", job.from, job.milestone, worker_);
            claimed = Claim{job, trials_.at(job.trial).summary.config, job.from};
          }
          done = job.kind == Job::Kind::kDone;
        },
        [this] { forget(); });
    if (claimed) {
      // Applied through the log like everyone else's events, so this worker's state cannot drift.
      sync();
      if (!adopted_from.empty())
        spdlog::info("trial {}: its worker '{}' is gone; continuing it from epoch {}", claimed->job.trial, adopted_from,
                     claimed->reported);
      return claimed;
    }
    if (done) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.poll_s));
  }
}

std::optional<Decision> Tuner::report(const Claim& claim, int epoch, const EpochMetrics& m,
                                      const std::optional<std::string>& checkpoint) {
  const int64_t id = claim.job.trial;
  return store_.write(
      [&]() -> std::optional<Decision> {
        sync();
        const auto row = store_.trial(id);
        if (row.worker != worker_) {
          spdlog::warn("trial {} was taken over by '{}'; dropping this worker's copy", id, row.worker);
          return std::nullopt;
        }
        // Already in the log: this worker's commit went through although its reply was lost.
        const auto& logged = trials_.at(id).decisions;
        if (int(logged.size()) >= epoch) return logged[size_t(epoch - 1)];
        if (row.state != "running") return std::nullopt;
        Event result = event("result", id, epoch, 0);
        result.value = m.value;
        result.test = m.test;
        result.seconds = m.seconds;
        const Decision decision = apply_result(result);
        result.decision = decision_name(decision);
        // The write lock is held since sync(): this event directly follows the ones applied.
        seen_ = store_.append(result);
        const char* state = decision == Decision::kContinue ? "running"
                            : decision == Decision::kPause  ? "paused"
                                                            : "stopped";
        store_.update_trial(id, state, epoch, claim.job.milestone, worker_);
        store_.heartbeat(worker_, host_, ::getpid());
        if (checkpoint) store_.put_checkpoint(id, epoch, *checkpoint);
        return decision;
      },
      [this] { forget(); });
}

void Tuner::fail_trial(int64_t trial, const std::string& why) {
  spdlog::error("trial {} failed: {}", trial, why);
  store_.write(
      [&] {
        sync();
        const auto row = store_.trial(trial);
        if (row.state == "failed") return;  // recorded by a commit whose reply was lost
        store_.append(event("fail", trial, 0, 0));
        store_.update_trial(trial, "failed", row.resource, 0, worker_);
      },
      [this] { forget(); });
  sync();
}

void Tuner::run_job(const Claim& claim) {
  const int64_t id = claim.job.trial;
  const bool in_database = options_.checkpoints == "database" || (options_.checkpoints == "auto" && store_.shared());
  const bool in_folder = !in_database && options_.checkpoints != "auto";
  const auto dir = fs::path(in_folder ? options_.checkpoints : trials_dir_) / std::to_string(id);
  const auto file = (dir / "checkpoint.pt").string();
  // The database's copy is the one that matches the log, whoever trained the trial last.
  if (in_database) {
    if (const auto stored = store_.checkpoint(id))
      write_file_atomic(file, stored->second);
    else
      fs::remove(file);
  }
  try {
    auto run = objective_.open(claim.config, mix64(seed_, uint64_t(id)), file);
    // A checkpoint behind the log (lost with a crash before it was written): retrain silently.
    while (run->epoch() < claim.reported) run->train_epoch();
    for (int epoch = claim.reported + 1; epoch <= claim.job.milestone; ++epoch) {
      // A checkpoint ahead of the log (a crash between saving and reporting) re-reports its epoch.
      EpochMetrics m;
      if (run->epoch() >= epoch) {
        m = run->recorded(epoch);
      } else {
        m = run->train_epoch();
        run->save();
      }
      // An objective with nothing to save writes no file.
      const bool saved = in_database && fs::exists(file);
      const auto decision = report(claim, epoch, m, saved ? std::optional(read_file(file)) : std::nullopt);
      if (!decision) return;
      spdlog::info("trial {} epoch {}: {:.4f} -> {} | trials {}/{}, epochs {}", id, epoch, m.value,
                   decision_name(*decision), trials_.size() - 1, options_.max_trials, epochs_);
      if (*decision != Decision::kContinue) return;
    }
  } catch (const storage::Unavailable&) {
    throw;  // the study is unreachable: nothing can be recorded, the trial stays as the log has it
  } catch (const Error& e) {
    // The objective's own failure (bad data, a configuration it refuses): the study goes on. Any
    // other exception is a programming error and ends the worker with its message.
    fail_trial(id, e.what());
  }
}

void Tuner::run() {
  while (auto job = claim()) run_job(*job);
  sync();
}

int64_t best_trial(const std::vector<TrialState>& trials) {
  int64_t best = 0;
  for (size_t i = 1; i < trials.size(); ++i) {
    const auto& s = trials[i].summary;
    if (s.resource == 0) continue;
    const auto& b = trials[best].summary;
    if (best == 0 || s.resource > b.resource || (s.resource == b.resource && s.value > b.value)) best = int64_t(i);
  }
  return best;
}

}  // namespace metaevo::hpo
