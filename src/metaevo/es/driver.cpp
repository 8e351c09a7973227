#include "metaevo/es/driver.h"

#include <chrono>
#include <cmath>

#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/es/sharding.h"
#include "metaevo/run/progress.h"

namespace metaevo::es {
namespace {

/// Adds the seconds `f` takes to `total`.
template <class F>
auto timed(double& total, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  struct Add {
    double& total;
    std::chrono::steady_clock::time_point t0;
    ~Add() { total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); }
  } add{total, t0};
  return f();
}

bool better(double a, double b, Sense sense) {
  if (std::isnan(b)) return !std::isnan(a);
  return sense == Sense::kMinimize ? a < b : a > b;
}

}  // namespace

void DriverOptions::validate() const {
  require(generations >= 0, "generations", "must be >= 0, got {}", generations);
  require(time_budget_s >= 0, "time_budget_s", "must be >= 0, got {}", time_budget_s);
  require(max_evals >= 0, "max_evals", "must be >= 0, got {}", max_evals);
  require(generations > 0 || time_budget_s > 0 || max_evals > 0 || !std::isnan(target), "generations",
          "no stop criterion: set generations, time_budget_s, max_evals or target");
  require(report_every >= 0, "report_every", "must be >= 0, got {}", report_every);
  require(checkpoint_every >= 1, "checkpoint_every", "must be >= 1, got {}", checkpoint_every);
  require(log_every_s >= 0, "log_every_s", "must be >= 0, got {}", log_every_s);
  require(update == "replicated" || update == "all_reduce" || update == "sliced", "update",
          "must be replicated, all_reduce or sliced, got '{}'", update);
}

Driver::Driver(Strategy& strategy, Problem& problem, DriverOptions options)
    : strategy_(strategy),
      problem_(problem),
      o_((options.validate(), std::move(options))),
      stop_(o_.generations, o_.time_budget_s) {}

void Driver::distribute(dist::Communicator& comm) {
  comm_ = &comm;
  if (o_.update == "replicated" || comm.size() == 1) return;
  UpdateSharing sharing;
  sharing.split = o_.update == "sliced" ? UpdateSharing::Split::kParameters : UpdateSharing::Split::kNoise;
  sharing.rank = comm.rank();
  sharing.size = comm.size();
  sharing.all_reduce = [&comm, this](torch::Tensor& t) {
    auto values = t.to(torch::kFloat64).contiguous();
    std::vector<double> v(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
    timed(comm_s_, [&] { comm.all_reduce_sum(v); });
    t.copy_(torch::tensor(v, torch::kFloat64).view_as(t));
  };
  const auto check = [](const torch::Tensor& t) {
    METAEVO_CHECK(t.is_contiguous() && t.scalar_type() == torch::kFloat32 && t.device().is_cpu(),
                  "update sharing: needs a contiguous float32 CPU tensor");
  };
  sharing.all_gather = [&comm, this, check](torch::Tensor& t, const std::vector<int64_t>& counts) {
    check(t);
    timed(comm_s_, [&] { comm.all_gather(t.data_ptr<float>(), counts); });
  };
  sharing.reduce_scatter = [&comm, this, check](torch::Tensor& t, const std::vector<int64_t>& counts) {
    check(t);
    timed(comm_s_, [&] { comm.reduce_scatter_sum(t.data_ptr<float>(), counts); });
  };
  strategy_.share_update(std::move(sharing));
}

torch::Tensor Driver::evaluate(const Population& pop) {
  if (!comm_) return problem_.evaluate(pop, 0, pop.size);
  const auto [begin, end] = shard(pop.size, problem_.eval_chunk(), comm_->rank(), comm_->size());
  std::vector<double> local;
  if (end > begin) {
    auto f = problem_.evaluate(pop, begin, end).to(torch::kFloat64).contiguous();
    local.assign(f.data_ptr<double>(), f.data_ptr<double>() + f.numel());
  }
  return torch::tensor(timed(comm_s_, [&] { return comm_->all_gather(local); }), torch::kFloat64);
}

void Driver::save_checkpoint() const {
  checkpointer_.save([&](torch::serialize::OutputArchive& archive) {
    write_string(archive, "strategy_name", strategy_.name());
    torch::serialize::OutputArchive strategy;
    strategy_.save(strategy);
    archive.write("strategy", strategy);
    archive.write(
        "run", torch::tensor({double(state_.generation), double(state_.evals), state_.elapsed_s, state_.best_fitness},
                             torch::kFloat64));
  });
}

bool Driver::resume() {
  // Rank 0 reads the file and sends it, so the other processes need not see the same disk.
  const auto bytes = primary() ? checkpointer_.read_bytes() : std::nullopt;
  std::string message = bytes ? "1" + *bytes : "0";
  if (comm_) comm_->broadcast(message);
  if (message[0] != '1') return false;
  checkpointer_.load_bytes(message.substr(1), [&](torch::serialize::InputArchive& archive) {
    if (read_string(archive, "strategy_name") != strategy_.name())
      fail("holds strategy '{}', not '{}'", read_string(archive, "strategy_name"), strategy_.name());
    torch::serialize::InputArchive strategy;
    if (!archive.try_read("strategy", strategy)) fail("missing entry 'strategy'");
    strategy_.load(strategy);
    torch::Tensor run;
    read_tensor(archive, "run", run);
    METAEVO_CHECK(run.numel() == 4, "entry 'run' has {} values, expected 4", run.numel());
    auto r = run.to(torch::kFloat64);
    state_ = {int64_t(r[0].item<double>()), int64_t(r[1].item<double>()), r[2].item<double>(), r[3].item<double>()};
  });
  resumed_ = true;
  return true;
}

std::string Driver::stop_reason(double elapsed_s) const {
  const auto common = stop_.reason(state_.generation, elapsed_s);
  if (!common.empty()) return common == "steps" ? "generations" : common;
  if (o_.max_evals > 0 && state_.evals >= o_.max_evals) return "max_evals";
  if (!std::isnan(o_.target) && !std::isnan(state_.best_fitness) &&
      !better(o_.target, state_.best_fitness, problem_.sense()))
    return "target";
  auto reason = strategy_.stop_reason();
  return reason.empty() ? "" : "strategy: " + reason;
}

RunResult Driver::run() {
  using Clock = std::chrono::steady_clock;
  const run::RunClock clock(state_.elapsed_s);
  auto elapsed = [&] { return clock.elapsed_s(); };
  for (auto& o : observers_) o->on_start(state_, resumed_);
  // Problems parallelise over members themselves (each chunk single-threaded); OpenBLAS's own
  // pool would compete with them for the same cores, and its threads spin between calls.
  SingleThreadedBlas blas;

  // Clocks differ between processes: all follow rank 0's decision.
  auto agreed_stop_reason = [&] {
    std::string reason = stop_reason(elapsed());
    if (comm_) timed(comm_s_, [&] { comm_->broadcast(reason); });
    return reason;
  };
  std::string reason;
  double update_s = 0;
  while ((reason = agreed_stop_reason()).empty()) {
    const auto t0 = Clock::now();
    Population pop = strategy_.ask();
    torch::Tensor fitness;
    try {
      fitness = evaluate(pop);
    } catch (const Interrupted&) {
      // Before tell: the strategy still holds the last complete generation.
      if (primary()) save_checkpoint();
      for (auto& o : observers_) o->on_finish(state_, "interrupted");
      throw;
    }
    METAEVO_CHECK(fitness.dim() == 1 && fitness.size(0) == pop.size,
                  "evaluation returned {} values for a population of {}", fitness.numel(), pop.size);
    const auto t_tell = Clock::now();
    const double comm_before = comm_s_;
    strategy_.tell(pop, fitness);
    update_s += std::chrono::duration<double>(Clock::now() - t_tell).count() - (comm_s_ - comm_before);

    GenerationStats stats;
    auto valid = fitness.masked_select(~torch::isnan(fitness));
    const bool minimize = problem_.sense() == Sense::kMinimize;
    if (valid.numel() > 0) {
      stats.best = (minimize ? valid.min() : valid.max()).item<double>();
      stats.worst = (minimize ? valid.max() : valid.min()).item<double>();
      stats.mean = valid.mean().item<double>();
      if (better(stats.best, state_.best_fitness, problem_.sense())) state_.best_fitness = stats.best;
    } else {
      stats.best = stats.worst = stats.mean = std::numeric_limits<double>::quiet_NaN();
    }
    state_.generation += 1;
    state_.evals += pop.size;
    state_.elapsed_s = elapsed();
    stats.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (primary() && o_.report_every > 0 && state_.generation % o_.report_every == 0)
      stats.report = problem_.report(strategy_.center());
    stats.state = state_;
    // Observers first: a kill between the two re-runs this generation on resume, and observers
    // drop records from generations the checkpoint does not cover.
    for (auto& o : observers_) o->on_generation(stats, strategy_);
    if (primary() && state_.generation % o_.checkpoint_every == 0) save_checkpoint();
  }
  if (primary()) save_checkpoint();
  RunResult result{
      state_,   reason, strategy_.center(), primary() ? problem_.report(strategy_.center()) : nlohmann::json::object(),
      update_s, comm_s_};
  for (auto& o : observers_) o->on_finish(state_, reason);
  return result;
}

}  // namespace metaevo::es
