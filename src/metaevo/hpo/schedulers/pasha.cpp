#include "metaevo/hpo/schedulers/pasha.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace metaevo::hpo {

bool soft_ranking_consistent(const Rung& upper, const Rung& lower, double epsilon) {
  std::vector<Rung::Entry> up, low;
  for (const auto& e : upper.entries())
    if (lower.contains(e.trial)) up.push_back(e);
  for (const auto& e : lower.entries())
    if (upper.contains(e.trial)) low.push_back(e);
  if (low.size() < 2) epsilon = 0;
  for (size_t i = 0; i < low.size(); ++i) {
    if (up[i].trial == low[i].trial) continue;
    bool tied = false;
    for (size_t j = i; j-- > 0 && std::abs(low[j].value - low[i].value) <= epsilon;)
      tied |= low[j].trial == up[i].trial;
    for (size_t j = i + 1; j < low.size() && std::abs(low[j].value - low[i].value) <= epsilon; ++j)
      tied |= low[j].trial == up[i].trial;
    if (!tied) return false;
  }
  return true;
}

void RankingNoise::add(int64_t trial, int epoch, double value) {
  auto& mine = curves_[trial];
  if (int(mine.size()) != epoch - 1) return;  // out of order (a re-run epoch): already counted
  mine.push_back(value);
  auto sign = [](double d) { return (d > 0) - (d < 0); };
  auto& peers = reported_[epoch];
  for (int64_t other : peers) {
    const auto& theirs = curves_[other];
    const int now = sign(mine[epoch - 1] - theirs[epoch - 1]);
    if (now == 0) continue;
    // Walking back: first an epoch with the reverse order, then one before it with today's order.
    // The curves have crossed and crossed back by this epoch, so their gap here is noise-sized.
    bool reversed = false, earlier = false;
    for (int t = epoch - 2; t >= 0 && !earlier; --t) {
      const int then = sign(mine[t] - theirs[t]);
      if (!reversed)
        reversed = then == -now;
      else
        earlier = then == now;
    }
    if (earlier) gaps_[epoch].push_back(std::abs(mine[epoch - 1] - theirs[epoch - 1]));
  }
  peers.push_back(trial);
}

double RankingNoise::epsilon(int lo, int hi, double fallback) const {
  std::vector<double> window;
  for (auto it = gaps_.upper_bound(lo); it != gaps_.end() && it->first <= hi; ++it)
    window.insert(window.end(), it->second.begin(), it->second.end());
  if (window.empty()) return fallback;
  // Called after every result: select the two order statistics instead of sorting the window.
  const double pos = 0.9 * double(window.size() - 1);
  const auto i = size_t(pos);
  std::nth_element(window.begin(), window.begin() + i, window.end());
  if (i + 1 == window.size()) return window[i];
  const double next = *std::min_element(window.begin() + i + 1, window.end());
  return window[i] + (pos - double(i)) * (next - window[i]);
}

size_t RankingNoise::gaps() const {
  size_t n = 0;
  for (const auto& [_, g] : gaps_) n += g.size();
  return n;
}

Pasha::Pasha(const RungOptions& options) : AshaPromotion(options), cap_(std::min<size_t>(1, rungs_.size() - 1)) {}

Decision Pasha::on_result(int64_t trial, int resource, double value) {
  const Decision decision = AshaPromotion::on_result(trial, resource, value);
  noise_.add(trial, resource, value);
  if (cap_ + 1 < rungs_.size()) {
    const Rung& upper = rungs_[cap_];
    const Rung& lower = rungs_[cap_ - 1];
    // No trial has gone past the cap, so the window ends there.
    epsilon_ = noise_.epsilon(rungs_.front().level(), upper.level(), epsilon_);
    if (!upper.empty() && !lower.empty() && !soft_ranking_consistent(upper, lower, epsilon_)) {
      ++cap_;
      spdlog::debug("pasha: rankings at {} and {} disagree (epsilon {:.4g} from {} gaps): maximum resource now {}",
                    lower.level(), upper.level(), epsilon_, noise_.gaps(), rungs_[cap_].level());
    }
  }
  return decision;
}

namespace {
const Registrar<SchedulerRegistry> pasha_registration(
    "pasha", [](const Choice& c) { return std::make_unique<Pasha>(read_choice<RungOptions>(c)); },
    variant_doc<RungOptions>("ASHA that grows its maximum resource only while rankings change (Bohdal et al. 2023)"));
}

}  // namespace metaevo::hpo
