#include "metaevo/mlo/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <set>

#include "metaevo/core/serialize.h"
#include "metaevo/run/progress.h"

namespace metaevo::mlo {
namespace {

run::EarlyStopping early_stopping(const EngineOptions& o) {
  return {o.early_stopping ? o.early_stopping_metric : "", o.early_stopping_mode, o.early_stopping_tolerance};
}

}  // namespace

void EngineOptions::validate() const {
  // The stop rule reads 0 as no limit, and an mlo run has no other budget.
  require(train_iters >= 1, "train_iters", "must be >= 1, got {}", train_iters);
  require(valid_step >= 0, "valid_step", "must be >= 0 (0 = only at the end), got {}", valid_step);
  require(log_step >= 0, "log_step", "must be >= 0 (0 = none), got {}", log_step);
  require(checkpoint_every >= 0, "checkpoint_every", "must be >= 0 (0 = none), got {}", checkpoint_every);
  require(early_stopping_mode == "min" || early_stopping_mode == "max", "early_stopping_mode",
          "must be min or max, got '{}'", early_stopping_mode);
  require(early_stopping_tolerance >= 1, "early_stopping_tolerance", "must be >= 1, got {}", early_stopping_tolerance);
}

Engine::Engine(std::vector<std::shared_ptr<Problem>> problems, Dependencies dependencies, EngineOptions options,
               uint64_t seed)
    : problems_(std::move(problems)),
      deps_(std::move(dependencies)),
      o_((options.validate(), std::move(options))),
      seed_(seed),
      stop_(o_.train_iters, 0, early_stopping(o_)) {
  for (auto& p : problems_) {
    METAEVO_CHECK(by_name_.emplace(p->name(), p.get()).second, "problems: '{}' appears twice", p->name());
    p->engine_ = this;
  }
  std::set<std::string> uppers;
  for (const auto* edges : {&deps_.u2l, &deps_.l2u})
    for (const auto& [from, tos] : *edges) {
      problem(from);
      for (const auto& to : tos) {
        problem(to);
        METAEVO_CHECK(to != from, "dependencies: '{}' depends on itself", from);
        if (edges == &deps_.l2u) uppers.insert(to);
      }
    }
  for (auto& p : problems_)
    if (!uppers.count(p->name())) leaves_.push_back(p.get());

  // Paths from each problem back to itself: one u2l edge down, then l2u edges up (depth-first).
  std::function<void(Problem*, Problem*, std::vector<Problem*>&)> walk = [&](Problem* at, Problem* target,
                                                                             std::vector<Problem*>& path) {
    path.push_back(at);
    if (at == target && path.size() > 1) {
      paths_[target->name()].push_back(path);
    } else if (std::count(path.begin(), path.end(), at) == 1 || at == target) {
      auto it = deps_.l2u.find(at->name());
      if (it != deps_.l2u.end())
        for (const auto& up : it->second) walk(&problem(up), target, path);
    }
    path.pop_back();
  };
  for (auto& p : problems_) {
    auto it = deps_.u2l.find(p->name());
    if (it == deps_.u2l.end()) continue;
    for (const auto& low : it->second) {
      std::vector<Problem*> path{p.get()};
      walk(&problem(low), p.get(), path);
    }
  }
  // ES and iterative differentiation replay or keep a lower problem's own steps, which must then be
  // plain gradient steps: a problem with lower problems of its own steps on hypergradients.
  for (const auto& [name, list] : paths_)
    for (const auto& path : list)
      for (size_t i = 1; i + 1 < path.size(); ++i) {
        const auto& m = path[i]->options().hypergradient.name;
        METAEVO_CHECK(
            !(path[i]->method().needs_graph() || path[i]->method().needs_snapshot()) || paths(path[i]->name()).empty(),
            "{}.hypergradient: '{}' needs a lowest-level problem, but '{}' has lower problems", path[i]->name(), m,
            path[i]->name());
      }
  for (auto& p : problems_) {
    auto it = deps_.l2u.find(p->name());
    if (it != deps_.l2u.end())
      for (const auto& up : it->second) ready_[{p->name(), up}] = false;
  }
}

void Engine::distribute(dist::Communicator& comm) {
  bool es = false;
  for (const auto& p : problems_) es = es || p->method().needs_snapshot();
  parallel_ = DataParallel(comm, !es);
  const int shares = parallel_.shares();
  if (shares == 1) return;
  for (const auto& p : problems_) {
    const int64_t batch = p->batch_size();
    if (batch == 0)
      fail("problems.{}: does not split its batches, so it cannot run on {} processes", p->name(), shares);
    if (batch < shares)
      fail("problems.{}: a batch of {} examples cannot be split over {} processes", p->name(), batch, shares);
  }
}

Problem& Engine::problem(const std::string& name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    std::string names;
    for (const auto& [n, _] : by_name_) names += (names.empty() ? "" : ", ") + n;
    fail("dependencies: unknown problem '{}' (problems: {})", name, names);
  }
  return *it->second;
}

const std::vector<std::vector<Problem*>>& Engine::paths(const std::string& name) const {
  static const std::vector<std::vector<Problem*>> none;
  auto it = paths_.find(name);
  return it == paths_.end() ? none : it->second;
}

bool Engine::ready(Problem& p) const {
  for (const auto& [edge, done] : ready_)
    if (edge.second == p.name() && !done) return false;
  return true;
}

void Engine::step(Problem& p) {
  if (!ready(p)) return;
  for (auto& [edge, done] : ready_)
    if (edge.second == p.name()) done = false;
  descend(p);
  if (p.count_ % p.steps_per_loop() != 0) return;
  if (p.count_ > p.o_.warmup_steps) {
    auto it = deps_.l2u.find(p.name());
    if (it != deps_.l2u.end())
      for (const auto& up : it->second) {
        ready_[{p.name(), up}] = true;
        step(problem(up));
      }
  }
  // The unroll's graph has been used by the upper problems: the next loop starts from leaves.
  if (p.differentiable()) {
    p.params_ = detach_params(p.params_);
    p.optimizer_.state() = p.optimizer_.state().detached();
  }
}

void Engine::descend(Problem& p) {
  const double gas = double(p.o_.gradient_accumulation);
  if (p.count_ % p.steps_per_loop() == 0) {
    if (p.method().needs_snapshot()) p.loop_start_ = p.snapshot();
    p.on_inner_loop_start();
  }
  const int64_t step = p.count_++;
  // A lower problem whose unroll is in the graph is cut from it while the loss is computed, so
  // the direct gradient stays direct: the path through the unroll is its method's to add.
  const auto& my_paths = paths(p.name());
  std::map<Problem*, Params> unrolled;
  for (const auto& path : my_paths)
    if (path[1]->differentiable() && !unrolled.count(path[1])) {
      unrolled[path[1]] = path[1]->params_;
      path[1]->params_ = detach_params(path[1]->params_);
    }
  const auto loss = p.loss(step);

  // One backward pass for the direct gradient and for the upper loss's gradient on every lower
  // problem that starts a path.
  Params wrt = p.params_;
  std::map<Problem*, size_t> offset;
  for (const auto& path : my_paths)
    if (offset.emplace(path[1], wrt.size()).second)
      wrt.insert(wrt.end(), path[1]->params_.begin(), path[1]->params_.end());
  auto grads = p.scaled_gradient(loss, wrt, /*create_graph=*/p.differentiable());
  // Summed over the processes with the loss (for the log) in the same message.
  grads.push_back(loss.detach().reshape({1}));
  grads = parallel_.all_reduce(grads, p.differentiable());
  p.last_loss_ = grads.back().item<double>();
  grads.pop_back();
  // Unscaled after the sum, so every process sees the same verdict on it.
  const bool finite = p.unscale(grads);
  Params grad(grads.begin(), grads.begin() + int64_t(p.params_.size()));
  for (auto& [lower, params] : unrolled) lower->params_ = params;
  for (const auto& path : my_paths) {
    if (!finite) break;  // a skipped fp16 step has no use for the paths' hypergradients
    const auto at = grads.begin() + int64_t(offset[path[1]]);
    Params v(at, at + int64_t(path[1]->params_.size()));
    for (size_t i = 1; i + 1 < path.size(); ++i) {
      EdgeContext context;
      context.upper_step = step;
      context.seed = seed_;
      if (path.size() == 3)
        context.upper_loss = [this, &p, step, gas] {
          // Whole on this process only when batches are not split (ES, its one reader, sees to it).
          METAEVO_CHECK(parallel_.shares() == 1, "{}: the upper loss of a split batch is a share of it", p.name());
          torch::NoGradGuard no_grad;
          return p.loss(step).item<double>() / gas;
        };
      v = path[i]->method().vjp(*path[i], *path[i + 1], v, context);
    }
    for (size_t j = 0; j < grad.size(); ++j) grad[j] = grad[j] + v[j];
  }
  p.apply_gradient(grad, finite);
}

void Engine::train_step() {
  for (auto* leaf : leaves_) step(*leaf);
  ++iteration_;
}

bool Engine::at_loop_boundaries() const {
  for (const auto& p : problems_)
    if (p->count() % p->steps_per_loop() != 0 || !p->accumulated_.empty()) return false;
  return true;
}

nlohmann::json Engine::validate() {
  const run::RunClock clock;
  nlohmann::json record = validate_ ? validate_() : nlohmann::json::object();
  validation_seconds_ += clock.elapsed_s();
  record["iteration"] = iteration_;
  for (const auto& p : problems_) record["train_loss/" + p->name()] = p->last_loss();
  try {
    stop_.observe(record);
  } catch (const Error& e) {
    fail("engine.{}", e.what());
  }
  history_.push_back(record);
  if (sink_) sink_(record);
  return record;
}

nlohmann::json Engine::run() {
  // The clock is this process's: an mlo run has no time budget, so elapsed time is not kept.
  const run::RunClock clock;
  run::Progress progress("iteration", o_.train_iters);
  progress.start(iteration_, 0);
  int64_t last_checkpoint = iteration_;
  while (stop_.reason(iteration_, 0).empty()) {
    train_step();
    if (o_.log_step > 0 && iteration_ % o_.log_step == 0) {
      std::string losses;
      for (const auto& p : problems_)
        losses +=
            fmt::format("{}{} {:.4f} (step {})", losses.empty() ? "" : " | ", p->name(), p->last_loss(), p->count());
      progress.update(iteration_, clock.elapsed_s(), losses, /*force=*/true);
    }
    if (o_.valid_step > 0 && iteration_ % o_.valid_step == 0) validate();
    if (o_.checkpoint_every > 0 && iteration_ - last_checkpoint >= o_.checkpoint_every && at_loop_boundaries()) {
      save_checkpoint();
      last_checkpoint = iteration_;
    }
  }
  if (history_.empty() || history_.back()["iteration"].get<int64_t>() != iteration_) validate();
  if (at_loop_boundaries()) save_checkpoint();
  return history_.back();
}

void Engine::save_checkpoint() const {
  if (parallel_.rank() != 0) return;  // every process holds the same state
  checkpointer_.save([&](torch::serialize::OutputArchive& archive) { write_state(archive); });
}

void Engine::write_state(torch::serialize::OutputArchive& archive) const {
  write_scalar(archive, "iteration", double(iteration_));
  stop_.save(archive);
  write_string(archive, "history", history_.dump());
  for (const auto& [edge, done] : ready_)
    write_scalar(archive, "ready/" + edge.first + "/" + edge.second, done ? 1 : 0);
  for (const auto& p : problems_) {
    const std::string k = "problem/" + p->name() + "/";
    const auto& s = p->optimizer_.state();
    write_scalar(archive, k + "count", double(p->count_));
    write_scalar(archive, k + "last_loss", p->last_loss_);
    write_scalar(archive, k + "optimizer_steps", double(s.steps));
    write_scalar(archive, k + "accumulated", double(p->accumulated_.size()));
    if (p->scaler_.active()) {
      write_scalar(archive, k + "loss_scale", p->scaler_.state().scale);
      write_scalar(archive, k + "loss_scale_finite_steps", double(p->scaler_.state().finite_steps));
    }
    for (size_t i = 0; i < p->params_.size(); ++i) {
      archive.write(k + "param/" + std::to_string(i), p->params_[i].detach());
      if (!s.first.empty()) archive.write(k + "first/" + std::to_string(i), s.first[i].detach());
      if (!s.second.empty()) archive.write(k + "second/" + std::to_string(i), s.second[i].detach());
      if (!p->accumulated_.empty()) archive.write(k + "accumulated/" + std::to_string(i), p->accumulated_[i].detach());
    }
  }
}

bool Engine::resume() {
  const bool found = checkpointer_.load([&](torch::serialize::InputArchive& archive) {
    iteration_ = int64_t(read_scalar(archive, "iteration"));
    stop_.load(archive);
    history_ = nlohmann::json::parse(read_string(archive, "history"));
    for (auto& [edge, done] : ready_) done = read_scalar(archive, "ready/" + edge.first + "/" + edge.second) != 0;
    for (const auto& p : problems_) {
      const std::string k = "problem/" + p->name() + "/";
      p->count_ = int64_t(read_scalar(archive, k + "count"));
      p->last_loss_ = read_scalar(archive, k + "last_loss");
      auto& s = p->optimizer_.state();
      s.steps = int64_t(read_scalar(archive, k + "optimizer_steps"));
      const bool accumulated = read_scalar(archive, k + "accumulated") > 0;
      if (p->scaler_.active())
        p->scaler_.set_state(
            {read_scalar(archive, k + "loss_scale"), int64_t(read_scalar(archive, k + "loss_scale_finite_steps"))});
      const bool adam = p->optimizer_.adam();
      Params params, first, second, acc;
      for (size_t i = 0; i < p->params_.size(); ++i) {
        auto like = [&] { return torch::empty_like(p->params_[i].detach()); };
        params.push_back(like());
        read_tensor(archive, k + "param/" + std::to_string(i), params.back());
        if (s.steps > 0) {
          first.push_back(like());
          read_tensor(archive, k + "first/" + std::to_string(i), first.back());
          if (adam) {
            second.push_back(like());
            read_tensor(archive, k + "second/" + std::to_string(i), second.back());
          }
        }
        if (accumulated) {
          acc.push_back(like());
          read_tensor(archive, k + "accumulated/" + std::to_string(i), acc.back());
        }
      }
      p->params_ = detach_params(params);
      s.first = first;
      s.second = second;
      p->accumulated_ = acc;
      p->loop_start_.reset();
    }
  });
  if (parallel_.processes() > 1) {
    // Each process reads the checkpoint itself: they must all have found the same one.
    const auto at = parallel_.communicator()->all_gather({found ? double(iteration_) : -1.0});
    if (std::adjacent_find(at.begin(), at.end(), std::not_equal_to<>()) != at.end())
      fail(
          "{}: the processes found different checkpoints (iteration per process, -1 for none: {}); they must "
          "share the output folder",
          checkpointer_.path(), fmt::join(at, ", "));
  }
  if (found) spdlog::info("resumed {} at iteration {}", checkpointer_.path(), iteration_);
  return found;
}

}  // namespace metaevo::mlo
