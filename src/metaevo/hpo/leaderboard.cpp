#include "metaevo/hpo/leaderboard.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "metaevo/core/atomic_file.h"
#include "metaevo/core/csv.h"

namespace metaevo::hpo {

std::vector<int64_t> leaders(const std::vector<TrialState>& trials) {
  std::vector<int64_t> ids;
  for (size_t i = 1; i < trials.size(); ++i)
    if (trials[i].summary.resource > 0) ids.push_back(int64_t(i));
  std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
    const auto &x = trials[a].summary, &y = trials[b].summary;
    return x.resource != y.resource ? x.resource > y.resource : x.value > y.value;
  });
  return ids;
}

Standings read_standings(Store& store) {
  Standings s;
  s.maximize = store.setting("direction").value_or("maximize") == "maximize";
  s.rows = store.trials();
  s.trials.resize(s.rows.size() + 1);
  for (const auto& row : s.rows) {
    ++s.states[row.state];
    if (row.id < int64_t(s.trials.size())) s.trials[size_t(row.id)].summary.config = row.config;
  }
  int64_t best = 0;
  for (const auto& e : store.events_after(0)) {
    if (e.kind != "result" || e.trial >= int64_t(s.trials.size())) continue;
    auto& t = s.trials[size_t(e.trial)];
    t.values.push_back(e.value);
    t.tests.push_back(e.test);
    t.seconds += e.seconds;
    t.summary.resource = e.resource;
    t.summary.value = s.maximize ? e.value : -e.value;
    ++s.epochs;
    s.seconds += e.seconds;
    // Only the incumbent's own result can make it worse: then look at everyone again.
    const auto& b = s.trials[size_t(best)].summary;
    if (e.trial == best)
      best = best_trial(s.trials);
    else if (best == 0 || t.summary.resource > b.resource ||
             (t.summary.resource == b.resource && t.summary.value > b.value))
      best = e.trial;
    s.incumbent.push_back(s.trials[size_t(best)].values.back());
  }
  s.ranked = leaders(s.trials);
  return s;
}

void write_leaderboard(const Standings& standings, const std::string& scheduler, int max_resource,
                       const std::string& output) {
  namespace fs = std::filesystem;
  std::string csv = "rank,trial,resource,value,test,config\n";
  nlohmann::json rows = nlohmann::json::array();
  for (size_t r = 0; r < standings.ranked.size(); ++r) {
    const auto id = standings.ranked[r];
    const auto& t = standings.trials[size_t(id)];
    csv += fmt::format("{},{},{},{},{},{}\n", r + 1, id, t.summary.resource, t.values.back(), t.tests.back(),
                       csv_field(t.summary.config.dump()));
    rows.push_back({{"trial", id},
                    {"resource", t.summary.resource},
                    {"value", t.values.back()},
                    {"test", t.tests.back()},
                    {"config", t.summary.config}});
  }
  const nlohmann::json summary = {{"scheduler", scheduler},       {"trials", standings.rows.size()},
                                  {"epochs", standings.epochs},   {"seconds", standings.seconds},
                                  {"max_resource", max_resource}, {"leaderboard", rows}};
  write_file_atomic((fs::path(output) / "leaderboard.csv").string(), csv);
  write_file_atomic((fs::path(output) / "results.json").string(), summary.dump(2) + "\n");
}

}  // namespace metaevo::hpo
