#include "metaevo/munet/agents/agent.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

#include "metaevo/core/philox.h"
#include "metaevo/munet/path_record.h"
#include "metaevo/run/fault.h"
#include "metaevo/run/metrics_log.h"
#include "metaevo/run/progress.h"
#include "metaevo/run/settings.h"

namespace metaevo::munet {

namespace fs = std::filesystem;

void AgentOptions::validate() const {
  require(cycles >= 1, "cycles", "must be >= 1, got {}", cycles);
  require(generations >= 1, "generations", "must be >= 1, got {}", generations);
  require(max_population >= 1, "max_population", "must be >= 1, got {}", max_population);
  require(budget_s >= 0, "budget_s", "must be >= 0, got {}", budget_s);
}

std::string agent_id(const std::string& agent_class, const std::string& task) { return agent_class + "/" + task; }

nlohmann::json agent_system_identity(const EvolveSettings& s) {
  return {{"seed", s.seed}, {"vit", to_json(s.vit)}, {"score", to_json(s.score)}, {"root", to_json(s.root)}};
}

void prepare_agent_system(AgentStore& store, const EvolveSettings& s, const std::string& output) {
  const auto identity = agent_system_identity(s);
  store.check_settings(run::fingerprint(identity), identity);
  if (store.has_root()) return;
  fs::create_directories(output);
  Population population(s.vit, s.space(), s.mutation, s.seed, s.device);
  make_root(population, s, (fs::path(output) / "pretrain.json").string());
  // Agents started at once may all make it; the first stored is everyone's.
  if (!store.put_root(*population.root())) spdlog::info("{}: another agent stored the root first", store.where());
}

namespace {

/// The owner of the first path in `path`'s ancestry that `agent` does not own (empty: the root).
std::string builds_on(const Path& path, const std::string& agent, const AgentView& view, AgentStore& store) {
  const Path* at = &path;
  while (at->parent && store.owner_of(at->parent->id) == agent) at = at->parent.get();
  int64_t parent = at->parent ? at->parent->id : view.root->id;
  if (const auto it = view.retired_parents.find(at->id); it != view.retired_parents.end()) parent = it->second;
  const auto owner = store.owner_of(parent);
  return owner == kRootOwner ? "" : owner;
}

}  // namespace

AgentRun run_agent(const EvolveSettings& s, const AgentOptions& o, const std::string& agent_class,
                   const AgentClass& method, const data::Splits& splits, AgentStore& store, const std::string& output) {
  o.validate();
  s.train.validate();
  const auto& task = splits.name;
  const auto id = agent_id(agent_class, task);
  const int64_t number = store.register_agent(id);
  fs::create_directories(output);
  AgentState state;
  state.next_id = number << kOwnerShift;
  if (auto own = store.load(id, s.device).own) state = std::move(*own);
  if (state.cycle > 0 || state.generation > 0)
    spdlog::info("{}: continuing after {} cycles and {} generations", id, state.cycle, state.generation);
  // The log before the store: a kill between the two redoes the publication, and the resumed log
  // drops the record the store does not hold.
  run::MetricsLog log((fs::path(output) / "publications.jsonl").string(), "cycle", state.cycle);
  const uint64_t key = mix64(s.seed, hash64(id));
  const run::RunClock clock;
  run::Progress progress("generation", o.cycles * o.generations, 5, o.budget_s);
  progress.start(state.cycle * o.generations + state.generation, 0);
  AgentRun out;
  out.cycles = state.cycle;
  while (state.cycle < o.cycles) {
    if (state.generation == 0 && o.budget_s > 0 && clock.elapsed_s() >= o.budget_s) {
      spdlog::info("{}: time budget of {} s spent after {} cycles", id, o.budget_s, state.cycle);
      break;
    }
    // A cycle in progress goes on with the publications it started from.
    const auto view = state.generation > 0 ? store.load(id, s.device, state.view) : store.load(id, s.device);
    Population population(s.vit, method.space(s), method.mutation(s), s.seed, s.device);
    auto paths = view.published;  // other agents' paths, under their agent ids
    if (view.own) paths[task] = view.own->paths;
    population.restore(view.root, paths, state.next_id);
    state.view = view.cycles;
    const Scorer scorer(s.score, *view.root, s.vit);
    population.start_task(task);
    AgentSearch search{s, splits, id, store, population, scorer, state, o.max_population, ""};
    for (int64_t g = state.generation; g < o.generations; ++g) {
      Rng rng(mix64(key, uint64_t(state.cycle * o.generations + g)));
      search.label = fmt::format("{} cycle {} generation {}/{}", id, state.cycle + 1, g + 1, o.generations);
      method.generation(search, rng);
      state.generation = g + 1;
      state.next_id = population.peek_next_id();
      store.save(id, state);
      run::crash_point("checkpoint");
      progress.update(
          state.cycle * o.generations + state.generation, clock.elapsed_s(),
          fmt::format("{} cycle {}: best validation {:.4f}", id, state.cycle + 1, method.best_quality(search)));
    }
    // The end of the cycle: the best own model, measured on the test split, published.
    AgentState published{state.cycle + 1, 0, {}, 0, state.view, {}};
    nlohmann::json record{{"cycle", published.cycle}, {"agent", id}, {"task", task}, {"path", nullptr}};
    record.update(method.finish(search, published));
    published.next_id = population.peek_next_id();
    if (!published.paths.empty()) out.best = published.paths.front();
    log.append(record);
    store.save(id, published);
    run::crash_point("published");
    progress.update(
        published.cycle * o.generations, clock.elapsed_s(),
        record["path"].is_null()
            ? fmt::format("{} cycle {} published: no own path beat the task's published ones", id, published.cycle)
            : fmt::format("{} cycle {} published: path {}, validation {:.4f}, test {:.4f}", id, published.cycle,
                          record["path"].get<int64_t>(), record["validation_accuracy"].get<double>(),
                          record["test_accuracy"].get<double>()),
        /*force=*/true);
    state = std::move(published);
    out.cycles = state.cycle;
  }
  return out;
}

nlohmann::json PublicationCheck::to_json() const {
  return {{"published", published},   {"logged", logged},         {"lost", lost},        {"unlogged", unlogged},
          {"duplicated", duplicated}, {"mismatched", mismatched}, {"problems", problems}};
}

PublicationCheck check_publications(AgentStore& store, const std::map<std::string, std::string>& logs) {
  PublicationCheck out;
  // (agent, cycle) -> the retained path's id (null: none) and test accuracy.
  std::map<std::pair<std::string, int64_t>, nlohmann::json> stored, logged;
  for (const auto& p : store.publications()) {
    ++out.published;
    const auto path = p.paths.empty() ? nlohmann::json{{"path", nullptr}}
                                      : nlohmann::json{{"path", p.paths[0].at("id")},
                                                       {"test_accuracy", p.paths[0].at("test_quality")}};
    if (!stored.emplace(std::pair{p.agent, p.cycle}, path).second) {
      ++out.duplicated;
      out.problems.push_back(fmt::format("{} cycle {} is published twice", p.agent, p.cycle));
    }
  }
  for (const auto& [agent, file] : logs)
    for (const auto& r : run::read_metrics(file).records) {
      ++out.logged;
      const int64_t cycle = r.at("cycle");
      nlohmann::json path{{"path", r.at("path")}};
      if (!r.at("path").is_null()) path["test_accuracy"] = r.at("test_accuracy");
      if (!logged.emplace(std::pair{agent, cycle}, path).second) {
        ++out.duplicated;
        out.problems.push_back(fmt::format("{} cycle {} is logged twice in {}", agent, cycle, file));
      }
    }
  for (const auto& [key, path] : logged) {
    const auto it = stored.find(key);
    if (it == stored.end()) {
      ++out.lost;
      out.problems.push_back(fmt::format("{} cycle {} is logged but not in the store", key.first, key.second));
    } else if (it->second != path) {
      ++out.mismatched;
      out.problems.push_back(fmt::format("{} cycle {}: the log has {}, the store {}", key.first, key.second,
                                         path.dump(), it->second.dump()));
    }
  }
  for (const auto& [key, path] : stored)
    if (logs.count(key.first) && !logged.count(key)) {
      ++out.unlogged;
      out.problems.push_back(fmt::format("{} cycle {} is in the store but not in its log", key.first, key.second));
    }
  return out;
}

nlohmann::json agent_system_summary(AgentStore& store, const ScoreOptions& score) {
  const auto view = store.load("", torch::kCPU);
  const auto settings = store.settings();
  const auto vit = from_json<VitOptions>(settings.at("vit"), store.where() + ": settings");
  const Scorer scorer(score, *view.root, vit);
  std::map<std::string, std::pair<std::string, PathPtr>> best;  // task -> (agent, path)
  std::map<std::string, std::set<std::string>> agents;          // task -> agents that published for it
  for (const auto& [agent, paths] : view.published)
    for (const auto& p : paths) {
      agents[p->task].insert(agent);
      auto& slot = best[p->task];
      if (!slot.second || scorer(*p) > scorer(*slot.second)) slot = {agent, p};
    }
  // A multipath model (whose score is its validation accuracy, as the reference's: no size penalty)
  // competes for its task with the best single path.
  std::map<std::string, nlohmann::json> multipath;  // task -> its row
  for (const auto& pub : store.publications(/*latest_only=*/true))
    for (const auto& m : pub.paths) {
      if (!m.contains("options")) continue;  // a path
      const auto task = m.at("task").get<std::string>();
      agents[task].insert(pub.agent);
      const double quality = m.at("quality");
      const auto it = best.find(task);
      if (it != best.end() && quality <= scorer(*it->second.second)) continue;
      if (multipath.count(task) && quality <= multipath[task].at("validation_accuracy").get<double>()) continue;
      std::vector<int64_t> components;
      for (const auto& p : m.at("paths"))
        for (const auto& [name, id] : p.at("components").items()) components.push_back(id.get<int64_t>());
      const auto main_owner = store.owner_of(m.at("paths").at(0).at("id").get<int64_t>());
      multipath[task] = {{"task", task},
                         {"agent", pub.agent},
                         {"path", m.at("id")},
                         {"validation_accuracy", quality},
                         {"test_accuracy", m.at("test_quality")},
                         {"accounted_params", nullptr},
                         {"uses", owners_besides(components, pub.agent, store)},
                         {"clones", nlohmann::json::array()},
                         {"builds_on", main_owner == kRootOwner ? "" : main_owner}};
    }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [task, entry] : best) {
    if (multipath.count(task)) {
      auto row = multipath[task];
      row["agents"] = agents[task];
      rows.push_back(row);
      continue;
    }
    const auto& [agent, p] = entry;
    rows.push_back({{"task", task},
                    {"agent", agent},
                    {"path", p->id},
                    {"validation_accuracy", p->quality},
                    {"test_accuracy", p->test_quality},
                    {"accounted_params", accounted_params(*p)},
                    {"agents", agents[task]},
                    {"uses", used_agents(*p, agent, store)},
                    {"clones", cloned_agents(*p, agent, store)},
                    {"builds_on", builds_on(*p, agent, view, store)}});
  }
  return rows;
}

nlohmann::json agent_contributions(AgentStore& store, const nlohmann::json& summary) {
  std::map<std::string, nlohmann::json> agents;
  for (const auto& p : store.publications()) {
    auto& a = agents[p.agent];
    a["agent"] = p.agent;
    a["cycles"] = p.cycle;  // ordered by cycle: the last one stays
    a["test_accuracy"] = p.paths.empty() ? nlohmann::json() : p.paths[0].at("test_quality");
    a["wins"] = false;
    a["used_by"] = nlohmann::json::array();
  }
  for (const auto& row : summary) {
    const auto winner = row.at("agent").get<std::string>();
    if (agents.count(winner)) agents[winner]["wins"] = true;
    std::set<std::string> helpers = row.at("uses");
    for (const auto& helper : row.at("clones")) helpers.insert(helper.get<std::string>());
    if (!row.at("builds_on").get<std::string>().empty()) helpers.insert(row.at("builds_on").get<std::string>());
    for (const auto& helper : helpers)
      if (agents.count(helper)) agents[helper]["used_by"].push_back(row.at("task"));
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [name, a] : agents) out.push_back(std::move(a));
  return out;
}

}  // namespace metaevo::munet
