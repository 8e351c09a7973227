#include "metaevo/hpo/simulator.h"

#include <algorithm>
#include <numeric>
#include <queue>

namespace metaevo::hpo {

SimulationResult simulate(const CurveTable& table, Scheduler& scheduler, const SimulationOptions& o) {
  std::vector<size_t> order(table.rows.size());
  std::iota(order.begin(), order.end(), size_t(0));
  Draws draws(o.seed, 0);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[draws.below(i)]);

  struct Trial {
    size_t row;
    int epoch = 0, milestone = 0;
  };
  std::vector<Trial> trials;
  // (finish time, sequence) -> trial index; the sequence breaks ties in a fixed order.
  using Finish = std::tuple<double, int64_t, size_t>;
  std::priority_queue<Finish, std::vector<Finish>, std::greater<Finish>> running;
  int64_t sequence = 0;
  double now = 0;
  SimulationResult result;
  const double sign = table.maximize ? 1.0 : -1.0;

  auto schedule_epoch = [&](size_t t) {
    running.emplace(now + table.rows[trials[t].row].seconds[trials[t].epoch], sequence++, t);
  };
  int idle = o.workers;
  auto hand_out = [&]() {
    while (idle > 0) {
      Job job = scheduler.next_job(int(trials.size()) < o.max_trials);
      if (job.kind == Job::Kind::kWait || job.kind == Job::Kind::kDone) return;
      if (job.kind == Job::Kind::kStart) {
        job.trial = int64_t(trials.size());
        trials.push_back(Trial{order[trials.size() % order.size()]});
      }
      METAEVO_CHECK(job.milestone <= table.epochs, "the scheduler's max_t ({}) exceeds the table's {} epochs",
                    job.milestone, table.epochs);
      scheduler.on_job(job);
      trials[job.trial].milestone = job.milestone;
      schedule_epoch(size_t(job.trial));
      --idle;
    }
  };

  hand_out();
  while (!running.empty()) {
    const auto [time, seq, t] = running.top();
    running.pop();
    now = time;
    Trial& trial = trials[t];
    const double value = table.rows[trial.row].value[trial.epoch];
    ++trial.epoch;
    ++result.epochs;
    const Decision decision = scheduler.on_result(int64_t(t), trial.epoch, sign * value);
    if (decision == Decision::kContinue && trial.epoch < trial.milestone) {
      schedule_epoch(t);
      continue;
    }
    ++idle;
    hand_out();
  }
  result.seconds = now;
  result.trials = int(trials.size());
  result.max_resource = scheduler.max_resource();

  const Trial* best = nullptr;
  for (const auto& t : trials) {
    if (t.epoch == 0) continue;
    const double v = sign * table.rows[t.row].value[t.epoch - 1];
    if (!best || t.epoch > best->epoch ||
        (t.epoch == best->epoch && v > sign * table.rows[best->row].value[best->epoch - 1]))
      best = &t;
  }
  if (best) {
    const auto& row = table.rows[best->row];
    result.best_row = best->row;
    result.best_resource = best->epoch;
    result.best_value = row.value[best->epoch - 1];
    result.best_final_value = row.value.back();
    result.best_final_test = row.test.back();
  }
  return result;
}

}  // namespace metaevo::hpo
