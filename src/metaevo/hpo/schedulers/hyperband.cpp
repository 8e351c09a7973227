// Synchronous successive halving and Hyperband (Li et al. 2018). Bracket s (s = s_max, s_max - 1,
// ... for `brackets` brackets, then again) starts n = ceil((s_max + 1) / (s + 1) * eta^s) trials at
// the rung level s_max - s; each stage waits until all its trials reported, then resumes the top
// floor(n_i / eta) at the next level. brackets = 1 is plain synchronous successive halving. Trials
// that are not promoted stay paused. Unlike ASHA, workers idle while a stage's stragglers finish.
#include <cmath>

#include "metaevo/hpo/schedulers/rung_scheduler.h"

namespace metaevo::hpo {
namespace {

struct HyperbandOptions : RungOptions {
  int brackets = 1;
  template <class V>
  void visit(V& v) {
    RungOptions::visit(v);
    v("brackets", brackets, "successive-halving brackets (1 = synchronous successive halving)");
  }
  void validate() const {
    RungOptions::validate();
    require(brackets >= 1, "brackets", "must be >= 1, got {}", brackets);
  }
};

class Hyperband : public RungScheduler {
 public:
  explicit Hyperband(const HyperbandOptions& options) : RungScheduler(options), brackets_(options.brackets) {
    s_max_ = int(rungs_.size()) - 1;
    begin_bracket(0);
  }
  std::string name() const override { return "hyperband"; }

  Job next_job(bool can_start) const override {
    if (stage_index_ == 0) {
      if (started_ < stage_size(0) && can_start) return Job{Job::Kind::kStart, -1, 0, level(0)};
    } else if (handed_ < queue_.size()) {
      return Job{Job::Kind::kResume, queue_[handed_], level(stage_index_ - 1), level(stage_index_)};
    }
    return idle();
  }

  void on_job(const Job& job) override {
    RungScheduler::on_job(job);
    if (job.kind == Job::Kind::kStart)
      ++started_;
    else
      ++handed_;
  }

  Decision on_result(int64_t trial, int resource, double value) override {
    const auto it = running_.find(trial);
    METAEVO_CHECK(it != running_.end(), "trial {} reported a result but is not running", trial);
    if (resource < it->second) return Decision::kContinue;
    running_.erase(it);
    stage_.add(trial, value);
    const size_t expected = stage_index_ == 0 ? stage_size(0) : queue_.size();
    if (stage_.size() == expected) advance();
    return resource >= options_.max_t ? Decision::kStop : Decision::kPause;
  }

 private:
  int bracket_s() const { return s_max_ - bracket_ % std::min(brackets_, s_max_ + 1); }
  int level(int stage) const { return rungs_[s_max_ - bracket_s() + stage].level(); }
  size_t stage_size(int stage) const {
    const int s = bracket_s();
    const double n = std::ceil(double(s_max_ + 1) / double(s + 1) * std::pow(options_.eta, s) - 1e-9);
    return std::max<size_t>(1, size_t(std::floor(n / std::pow(options_.eta, stage) + 1e-9)));
  }

  void begin_bracket(int bracket) {
    bracket_ = bracket;
    stage_index_ = 0;
    started_ = handed_ = 0;
    queue_.clear();
    stage_ = Rung(level(0));
  }

  void advance() {
    if (stage_index_ == bracket_s()) return begin_bracket(bracket_ + 1);
    queue_.clear();
    const size_t keep = std::min(stage_.size(), stage_size(stage_index_ + 1));
    for (size_t i = 0; i < keep; ++i) queue_.push_back(stage_.entries()[i].trial);
    ++stage_index_;
    handed_ = 0;
    stage_ = Rung(level(stage_index_));
  }

  int brackets_;
  int s_max_ = 0;
  int bracket_ = 0, stage_index_ = 0;
  size_t started_ = 0, handed_ = 0;
  std::vector<int64_t> queue_;
  Rung stage_{0};
};

const Registrar<SchedulerRegistry> hyperband_registration(
    "hyperband", [](const Choice& c) { return std::make_unique<Hyperband>(read_choice<HyperbandOptions>(c)); },
    variant_doc<HyperbandOptions>("synchronous successive halving in brackets (Li et al. 2018)"));

}  // namespace
}  // namespace metaevo::hpo
