// `metaevo tune`: multi-fidelity hyperparameter search. Every process started on the same output
// directory (by hand, by a job array, or as the ranks of mpirun) is a worker of the one study in
// its study.db; a killed worker's running trial is continued by the next worker that looks.
//   metaevo tune --config F        create or join the study, work until it is done
//   metaevo tune status --output D  leaderboard and resource spent
//   metaevo tune export --output D --table T   full learning curves as a curve table
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <regex>

#include "commands.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/hpo/curve_table.h"
#include "metaevo/hpo/tuner.h"
#include "metaevo/report/charts.h"
#include "metaevo/run/settings.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

struct TuneArgs {
  std::string config;
  std::vector<std::string> overrides;
  std::string output;
  std::string table;
  int top = 10;
};

/// The settings a study is defined by: anything else (threads, output) may differ between workers.
const std::vector<std::string> kStudyKeys = {"objective", "space", "scheduler", "sampler", "tuner"};

/// The same settings as text, kept in the study for a person (and `tune export`) to read.
std::string study_settings(const Config& config) {
  std::string text;
  if (config.has("seed")) text += "seed: " + YAML::Dump(config.node()["seed"]) + "\n";
  for (const auto& key : kStudyKeys)
    if (config.has(key)) text += key + ": " + YAML::Dump(config.node()[key]) + "\n";
  return text;
}

std::string study_path(const std::string& output) {
  const auto path = (fs::path(output) / "study.db").string();
  return path;
}

/// Trials with results, most epochs first, then the best value (in the scheduler's sense).
std::vector<int64_t> leaders(const std::vector<hpo::TrialState>& trials) {
  std::vector<int64_t> ids;
  for (size_t i = 1; i < trials.size(); ++i)
    if (trials[i].summary.resource > 0) ids.push_back(int64_t(i));
  std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
    const auto &x = trials[a].summary, &y = trials[b].summary;
    return x.resource != y.resource ? x.resource > y.resource : x.value > y.value;
  });
  return ids;
}

void write_leaderboard(const std::string& output, const hpo::Tuner& tuner, const std::string& scheduler) {
  const auto& trials = tuner.trials();
  const auto ids = leaders(trials);
  std::string csv = "rank,trial,resource,value,test,config\n";
  nlohmann::json rows = nlohmann::json::array();
  for (size_t r = 0; r < ids.size(); ++r) {
    const auto& t = trials[ids[r]];
    csv += fmt::format("{},{},{},{},{},\"{}\"\n", r + 1, ids[r], t.summary.resource, t.values.back(), t.tests.back(),
                       std::regex_replace(t.summary.config.dump(), std::regex("\""), "\"\""));
    rows.push_back({{"trial", ids[r]}, {"resource", t.summary.resource}, {"value", t.values.back()}, {"test", t.tests.back()},
                    {"config", t.summary.config}});
  }
  nlohmann::json summary = {{"scheduler", scheduler},
                            {"trials", trials.size() - 1},
                            {"epochs", tuner.epochs_reported()},
                            {"seconds", tuner.seconds_reported()},
                            {"max_resource", tuner.scheduler().max_resource()},
                            {"leaderboard", rows}};
  write_file_atomic((fs::path(output) / "leaderboard.csv").string(), csv);
  write_file_atomic((fs::path(output) / "results.json").string(), summary.dump(2) + "\n");

}

/// report.html of a study, from its database alone (so `tune status` writes the same page): the
/// leaderboard, the incumbent against the epochs spent, and the leaders' learning curves.
std::string write_tune_report(hpo::Store& store, const std::string& output, const std::string& config) {
  const bool maximize = store.setting("direction").value_or("maximize") == "maximize";
  const auto rows = store.trials();
  std::map<int64_t, const hpo::TrialRow*> by_id;
  for (const auto& t : rows) by_id[t.id] = &t;
  std::vector<hpo::TrialState> seen(rows.size() + 1);
  std::map<int64_t, std::vector<double>> tests;
  std::vector<report::Point> incumbent;
  int64_t spent = 0, best = 0;
  double seconds = 0;
  for (const auto& e : store.events_after(0)) {
    if (e.kind != "result" || e.trial >= int64_t(seen.size())) continue;
    auto& t = seen[e.trial];
    t.values.push_back(e.value);
    tests[e.trial].push_back(e.test);
    t.summary = {by_id.count(e.trial) ? by_id[e.trial]->config : nlohmann::json(), e.resource, maximize ? e.value : -e.value};
    seconds += e.seconds;
    // Only the incumbent's own result can make it worse: then look at everyone again.
    const auto& b = seen[best].summary;
    if (e.trial == best) best = hpo::best_trial(seen);
    else if (best == 0 || t.summary.resource > b.resource || (t.summary.resource == b.resource && t.summary.value > b.value))
      best = e.trial;
    incumbent.push_back({double(++spent), seen[best].values.back(), "incumbent"});
  }
  const auto ids = leaders(seen);
  report::Report page;
  page.title = "metaevo tune: " + output;
  page.results = {{"trials", rows.size()}, {"epochs spent", spent}, {"seconds of training", seconds},
                  {"direction", maximize ? "maximize" : "minimize"}};
  if (!ids.empty())
    page.results["best trial"] = {{"trial", ids[0]}, {"epochs", seen[ids[0]].summary.resource},
                                  {"value", seen[ids[0]].values.back()}, {"test", tests[ids[0]].back()}};
  page.rows_title = "Leaderboard (most epochs first, then value)";
  std::vector<report::Point> curves;
  for (size_t r = 0; r < ids.size() && r < 20; ++r) {
    const auto id = ids[r];
    page.rows.push_back({{"rank", r + 1}, {"trial", id}, {"epochs", seen[id].summary.resource},
                         {"value", seen[id].values.back()}, {"test", tests[id].back()},
                         {"state", by_id.count(id) ? by_id[id]->state : ""}, {"config", seen[id].summary.config.dump()}});
    if (r < 10)
      for (size_t e = 0; e < seen[id].values.size(); ++e)
        curves.push_back({double(e + 1), seen[id].values[e], fmt::format("trial {}", id)});
  }
  const auto direction = maximize ? "higher" : "lower";
  page.charts.push_back(report::line_chart("the incumbent (best at the largest resource reached) against the resource spent",
                                           "epochs spent (all trials)", report::with_direction("value", direction),
                                           incumbent));
  page.charts.push_back(report::line_chart("learning curves of the 10 leading trials", "epoch",
                                           report::with_direction("value", direction), curves));
  page.config = config;
  return report::write(page, (fs::path(output) / "report.html").string());
}

int run_tune(const Common& common, const TuneArgs& args) {
  auto config = Config::load(args.config);
  for (const auto& o : args.overrides) config.set(o);
  start_runtime(common, &config);
  const auto configured_output = config.get<std::string>("output", "runs/tune");
  const std::string output = args.output.empty() ? configured_output : args.output;
  const auto seed = run::read_seed(config);
  auto objective = hpo::make_objective(config.section("objective"));
  auto space = config.has("space") ? hpo::SearchSpace::from_config(config.section("space")) : objective->default_space();
  const auto scheduler_options = read_options<hpo::SchedulerOptions>(config.section("scheduler"));
  const auto sampler_options = read_options<hpo::SamplerOptions>(config.section("sampler"));
  const auto tuner_options = read_options<hpo::TunerOptions>(config.section("tuner"));
  config.check_all_used();

  fs::create_directories(output);
  hpo::Store store(study_path(output));
  const auto settings = study_settings(config);
  store.open_study(run::settings_fingerprint(config, kStudyKeys), settings, objective->maximize() ? "maximize" : "minimize");
  auto& comm = dist::world();
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  const auto worker = fmt::format("{}:{}:{}", host, ::getpid(), comm.rank());
  spdlog::info("study {}: worker {} ({} scheduler, {} sampler, up to {} trials)", store.path(), worker,
               scheduler_options.name, sampler_options.name, tuner_options.max_trials);
  hpo::Tuner tuner(store, *objective, space, hpo::make_scheduler(scheduler_options), hpo::make_sampler(sampler_options),
                   tuner_options, seed, (fs::path(output) / "trials").string(), worker);
  tuner.run();
  write_leaderboard(output, tuner, scheduler_options.name);
  spdlog::info("wrote {}", write_tune_report(store, output, config.dump()));
  const auto best = hpo::best_trial(tuner.trials());
  if (best > 0) {
    const auto& t = tuner.trials()[best];
    spdlog::info("done: {} trials, {} epochs; best trial {} ({} epochs): value {:.4f}, test {:.4f}, {}", tuner.trials().size() - 1,
                 tuner.epochs_reported(), best, t.summary.resource, t.values.back(), t.tests.back(), t.summary.config.dump());
  }
  return 0;
}

int run_status(const TuneArgs& args) {
  const auto path = study_path(args.output);
  METAEVO_CHECK(fs::exists(path), "{}: no study here (expected {})", args.output, path);
  hpo::Store store(path);
  const auto trials = store.trials();
  std::map<std::string, int> states;
  for (const auto& t : trials) ++states[t.state];
  const auto results = store.events_after(0);
  int64_t epochs = 0;
  double seconds = 0;
  std::map<int64_t, std::pair<double, double>> last;  // trial -> (value, test) at its last epoch
  for (const auto& e : results) {
    if (e.kind != "result") continue;
    ++epochs;
    seconds += e.seconds;
    last[e.trial] = {e.value, e.test};
  }
  std::string by_state;
  for (const auto& [state, n] : states) by_state += fmt::format("{}{} {}", by_state.empty() ? "" : ", ", n, state);
  std::cout << fmt::format("study {}: {} trials ({}), {} epochs, {:.1f} s of training\n", path, trials.size(), by_state, epochs,
                           seconds);
  std::vector<const hpo::TrialRow*> ranked;
  for (const auto& t : trials)
    if (last.count(t.id)) ranked.push_back(&t);
  std::sort(ranked.begin(), ranked.end(), [&](auto* a, auto* b) {
    return a->resource != b->resource ? a->resource > b->resource : last[a->id].first > last[b->id].first;
  });
  std::cout << fmt::format("{:>4} {:>6} {:>8} {:>9} {:>9} {:>8}  {}\n", "rank", "trial", "epochs", "value", "test", "state",
                           "config");
  for (size_t r = 0; r < ranked.size() && int(r) < args.top; ++r) {
    const auto* t = ranked[r];
    std::cout << fmt::format("{:>4} {:>6} {:>8} {:>9.4f} {:>9.4f} {:>8}  {}\n", r + 1, t->id, t->resource, last[t->id].first,
                             last[t->id].second, t->state, t->config.dump());
  }
  std::cout << "wrote " << write_tune_report(store, args.output, store.setting("settings").value_or("")) << "\n";
  return 0;
}

int run_export(const TuneArgs& args) {
  const auto path = study_path(args.output);
  METAEVO_CHECK(fs::exists(path), "{}: no study here (expected {})", args.output, path);
  hpo::Store store(path);
  std::map<int64_t, hpo::CurveTable::Row> rows;
  for (const auto& t : store.trials()) rows[t.id].config = t.config;
  for (const auto& e : store.events_after(0)) {
    if (e.kind != "result") continue;
    auto& row = rows.at(e.trial);
    METAEVO_CHECK(int(row.value.size()) == e.resource - 1, "{}: trial {}: epoch {} out of order", path, e.trial, e.resource);
    row.value.push_back(e.value);
    row.test.push_back(e.test);
    row.seconds.push_back(e.seconds);
  }
  hpo::CurveTable table;
  for (const auto& [_, row] : rows) table.epochs = std::max(table.epochs, int(row.value.size()));
  for (auto& [_, row] : rows)
    if (int(row.value.size()) == table.epochs) table.rows.push_back(std::move(row));
  METAEVO_CHECK(!table.rows.empty(), "{}: no trial has results", path);
  table.source = fmt::format("metaevo tune export of {}: {} complete trials; settings:\n{}", path, table.rows.size(),
                             store.setting("settings").value_or(""));
  table.save(args.table);
  std::cout << fmt::format("{}: {} configurations x {} epochs\n", args.table, table.rows.size(), table.epochs);
  return 0;
}

}  // namespace

void add_tune_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<TuneArgs>();
  auto* tune = app.add_subcommand("tune", "multi-fidelity hyperparameter search (ASHA, PASHA, Hyperband) as a study worker");
  tune->add_option("--config", args->config, "YAML or JSON configuration");
  tune->add_option("--set", args->overrides, "override a config key: key.path=value (repeatable)");
  tune->add_option("--output", args->output, "study directory (default: config 'output' or runs/tune)");
  tune->callback([&common, &action, args, tune] {
    if (!tune->get_subcommands().empty()) return;
    if (args->config.empty()) throw CLI::RequiredError("--config");
    action = [&common, args] { return run_tune(common, *args); };
  });
  auto* status = tune->add_subcommand("status", "print a study's leaderboard and the resource spent");
  status->add_option("--output", args->output, "study directory")->required();
  status->add_option("--top", args->top, "rows of the leaderboard")->check(CLI::PositiveNumber);
  status->callback([&action, args] { action = [args] { return run_status(*args); }; });
  auto* exp = tune->add_subcommand("export", "write the full learning curves of a study as a curve table (JSON)");
  exp->add_option("--output", args->output, "study directory")->required();
  exp->add_option("--table", args->table, "curve table file to write")->required();
  exp->callback([&action, args] { action = [args] { return run_export(*args); }; });
}

}  // namespace metaevo::cli
