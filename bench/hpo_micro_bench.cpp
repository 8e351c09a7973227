// Scheduler decisions with a large study: a next_job + on_job + on_result cycle when 10,000 trials
// already have results. The target is under 1 ms per decision.
//   build/bench/metaevo_micro_bench --benchmark_filter=Scheduler --benchmark_format=json
#include <benchmark/benchmark.h>

#include "metaevo/hpo/scheduler.h"
#include "metaevo/hpo/space.h"

namespace {

using namespace metaevo::hpo;

/// A scheduler that has seen `trials` trials, each run through the jobs it handed out, with
/// noisy values that rise with epochs.
std::unique_ptr<Scheduler> filled(const std::string& name, int64_t trials, int64_t& next_id, Draws& draws) {
  auto s = make_scheduler({name, {{"max_t", 27}}});
  while (next_id <= trials) {
    Job job = s->next_job(true);
    if (job.kind == Job::Kind::kStart) job.trial = next_id++;
    s->on_job(job);
    for (int e = job.from + 1; e <= job.milestone; ++e)
      if (s->on_result(job.trial, e, 0.5 + 0.01 * e + 0.05 * draws.normal()) != Decision::kContinue) break;
  }
  return s;
}

void SchedulerDecision(benchmark::State& state, const std::string& name) {
  Draws draws(1, 2);
  int64_t next_id = 1;
  auto s = filled(name, state.range(0), next_id, draws);
  for (auto _ : state) {
    Job job = s->next_job(true);
    if (job.kind == Job::Kind::kStart) job.trial = next_id++;
    s->on_job(job);
    for (int e = job.from + 1; e <= job.milestone; ++e)
      if (s->on_result(job.trial, e, 0.5 + 0.01 * e + 0.05 * draws.normal()) != Decision::kContinue) break;
  }
  state.counters["trials"] = double(next_id - 1);
}

BENCHMARK_CAPTURE(SchedulerDecision, asha_promotion, "asha_promotion")->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(SchedulerDecision, pasha, "pasha")->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(SchedulerDecision, asha_stopping, "asha_stopping")->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
