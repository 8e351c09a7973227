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
#include "metaevo/report/html.h"
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

void write_leaderboard(const std::string& output, const hpo::Tuner& tuner, const std::string& scheduler) {
  const auto& trials = tuner.trials();
  std::vector<int64_t> ids;
  for (size_t i = 1; i < trials.size(); ++i)
    if (trials[i].summary.resource > 0) ids.push_back(int64_t(i));
  std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
    const auto &x = trials[a].summary, &y = trials[b].summary;
    return x.resource != y.resource ? x.resource > y.resource : x.value > y.value;
  });
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

  // The picture: the leaders' learning curves, and the best result against the epochs spent.
  report::Chart curves{"learning curves of the 10 best trials", "epoch", "value", {}};
  for (size_t r = 0; r < ids.size() && r < 10; ++r) {
    report::Series s{fmt::format("trial {}", ids[r]), {}, trials[ids[r]].values};
    for (size_t e = 1; e <= s.y.size(); ++e) s.x.push_back(double(e));
    curves.series.push_back(std::move(s));
  }
  report::Chart anytime{"best value at the largest resource reached, against epochs spent", "epochs spent", "value", {}};
  anytime.series.push_back({"best so far", {}, {}});
  int64_t spent = 0, best = 0;
  std::vector<hpo::TrialState> seen(trials.size());
  for (const auto& [trial, epoch] : tuner.result_order()) {
    auto& t = seen[trial];
    t.values.push_back(trials[trial].values[epoch - 1]);
    t.summary = {{}, epoch, tuner.scheduler_value(t.values.back())};
    const auto& b = seen[best].summary;
    // Only the incumbent's own result can make it worse: then look at everyone again.
    if (trial == best) best = hpo::best_trial(seen);
    else if (best == 0 || t.summary.resource > b.resource || (t.summary.resource == b.resource && t.summary.value > b.value))
      best = trial;
    anytime.series[0].x.push_back(double(++spent));
    anytime.series[0].y.push_back(seen[best].values.back());
  }
  summary.erase("leaderboard");
  write_file_atomic((fs::path(output) / "report.html").string(),
                    report::html_page("metaevo tune: " + output, summary, {curves, anytime}));
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
  store.open_study(run::settings_fingerprint(config, kStudyKeys), settings);
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
