// `metaevo tune`: multi-fidelity hyperparameter search. Every process started on the same study
// (by hand, by a job array, as the ranks of mpirun, or on other hosts) is a worker of it; a killed
// worker's running trial is continued by the next worker that looks. The study is the SQLite file
// study.db of the output directory, or the database --storage (or the config's `storage`) names.
//   metaevo tune --config F [--storage URL]   create or join the study, work until it is done
//   metaevo tune status --output D | --storage URL        leaderboard and resource spent
//   metaevo tune export --output D | --storage URL --table T   learning curves as a curve table
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "describe.h"
#include "metaevo/hpo/curve_table.h"
#include "metaevo/hpo/leaderboard.h"
#include "metaevo/hpo/study.h"
#include "metaevo/report/charts.h"

namespace metaevo::cli {
namespace {

namespace fs = std::filesystem;

struct TuneArgs {
  std::string config;
  std::string storage;
  std::vector<std::string> overrides;
  std::string output;
  std::string table;
  int top = 10;
};

std::string study_path(const std::string& output) { return (fs::path(output) / "study.db").string(); }

/// The study status and export read: --storage, else the study.db of --output, which must exist
/// (a store opened there would be created empty).
std::string existing_study(const TuneArgs& args) {
  if (!args.storage.empty()) return args.storage;
  METAEVO_CHECK(!args.output.empty(), "tune: give --output DIR or --storage URL");
  const auto path = study_path(args.output);
  METAEVO_CHECK(fs::exists(path), "{}: no study here (expected {})", args.output, path);
  return path;
}

/// report.html of a study from its standings (so `tune status` writes the same page): the
/// leaderboard, the incumbent against the epochs spent, and the leaders' learning curves.
std::string write_tune_report(const hpo::Standings& s, const std::string& output, const std::string& config) {
  std::map<int64_t, const hpo::TrialRow*> by_id;
  for (const auto& t : s.rows) by_id[t.id] = &t;
  report::Report page;
  page.title = "metaevo tune: " + output;
  page.results = {{"trials", s.rows.size()},
                  {"epochs spent", s.epochs},
                  {"seconds of training", s.seconds},
                  {"direction", s.maximize ? "maximize" : "minimize"}};
  if (!s.ranked.empty()) {
    const auto& best = s.trials[size_t(s.ranked[0])];
    page.results["best trial"] = {{"trial", s.ranked[0]},
                                  {"epochs", best.summary.resource},
                                  {"value", best.values.back()},
                                  {"test", best.tests.back()}};
  }
  page.rows_title = "Leaderboard (most epochs first, then value)";
  std::vector<report::Point> curves, incumbent;
  for (size_t r = 0; r < s.ranked.size() && r < 20; ++r) {
    const auto id = s.ranked[r];
    const auto& t = s.trials[size_t(id)];
    page.rows.push_back({{"rank", r + 1},
                         {"trial", id},
                         {"epochs", t.summary.resource},
                         {"value", t.values.back()},
                         {"test", t.tests.back()},
                         {"state", by_id.count(id) ? by_id[id]->state : ""},
                         {"config", t.summary.config.dump()}});
    if (r < 10)
      for (size_t e = 0; e < t.values.size(); ++e)
        curves.push_back({double(e + 1), t.values[e], fmt::format("trial {}", id)});
  }
  for (size_t i = 0; i < s.incumbent.size(); ++i) incumbent.push_back({double(i + 1), s.incumbent[i], "incumbent"});
  const auto direction = s.maximize ? "higher" : "lower";
  page.charts.push_back(
      report::line_chart("the incumbent (best at the largest resource reached) against the resource spent",
                         "epochs spent (all trials)", report::with_direction("value", direction), incumbent));
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
  const auto location = store_location(args.storage, &config, study_path(output));
  const auto outcome = hpo::run_study(
      config, [&] { return hpo::make_objective(config.section("objective")); }, location, output);
  const auto& s = outcome.standings;
  spdlog::info("wrote {}", write_tune_report(s, output, config.dump()));
  if (outcome.best > 0) {
    const auto& t = s.trials[size_t(outcome.best)];
    spdlog::info("done: {} trials, {} epochs; best trial {} ({} epochs): value {:.4f}, test {:.4f}, {}", s.rows.size(),
                 s.epochs, outcome.best, t.summary.resource, t.values.back(), t.tests.back(), t.summary.config.dump());
  }
  return 0;
}

int run_status(const TuneArgs& args) {
  hpo::Store store(existing_study(args));
  METAEVO_CHECK(store.setting("fingerprint"), "{}: no study there yet", store.where());
  const auto s = store.read([&] { return hpo::read_standings(store); });
  const auto& path = store.where();
  std::string by_state;
  for (const auto& [state, n] : s.states) by_state += fmt::format("{}{} {}", by_state.empty() ? "" : ", ", n, state);
  std::cout << fmt::format("study {}: {} trials ({}), {} epochs, {:.1f} s of training\n", path, s.rows.size(), by_state,
                           s.epochs, s.seconds);
  std::map<int64_t, std::string> state;
  for (const auto& t : s.rows) state[t.id] = t.state;
  std::cout << fmt::format("{:>4} {:>6} {:>8} {:>9} {:>9} {:>8}  {}\n", "rank", "trial", "epochs", "value", "test",
                           "state", "config");
  for (size_t r = 0; r < s.ranked.size() && int(r) < args.top; ++r) {
    const auto id = s.ranked[r];
    const auto& t = s.trials[size_t(id)];
    std::cout << fmt::format("{:>4} {:>6} {:>8} {:>9.4f} {:>9.4f} {:>8}  {}\n", r + 1, id, t.summary.resource,
                             t.values.back(), t.tests.back(), state[id], t.summary.config.dump());
  }
  if (!args.output.empty())
    std::cout << "wrote " << write_tune_report(s, args.output, store.setting("settings").value_or("")) << "\n";
  return 0;
}

int run_export(const TuneArgs& args) {
  hpo::Store store(existing_study(args));
  METAEVO_CHECK(store.setting("fingerprint"), "{}: no study there yet", store.where());
  const auto& path = store.where();
  std::map<int64_t, hpo::CurveTable::Row> rows;
  const auto [trials, events] = store.read([&] { return std::make_pair(store.trials(), store.events_after(0)); });
  for (const auto& t : trials) rows[t.id].config = t.config;
  for (const auto& e : events) {
    if (e.kind != "result") continue;
    auto& row = rows.at(e.trial);
    METAEVO_CHECK(int(row.value.size()) == e.resource - 1, "{}: trial {}: epoch {} out of order", path, e.trial,
                  e.resource);
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
  auto* tune =
      app.add_subcommand("tune", "multi-fidelity hyperparameter search (ASHA, PASHA, Hyperband) as a study worker");
  tune->add_option("--config", args->config, "YAML or JSON configuration");
  tune->add_option("--set", args->overrides, "override a config key: key.path=value (repeatable)");
  tune->add_option("--output", args->output, "study directory (default: config 'output' or runs/tune)");
  const auto storage_help =
      "the study's database: a SQLite file or postgresql://user@host:port/db (default: the config's 'storage', "
      "else OUTPUT/study.db); the password comes from PGPASSWORD, ~/.pgpass or PGSERVICE";
  tune->add_option("--storage", args->storage, storage_help);
  add_describe_flags(tune, "tune");
  tune->callback([&common, &action, args, tune] {
    if (!tune->get_subcommands().empty()) return;
    if (args->config.empty()) throw CLI::RequiredError("--config");
    action = [&common, args] { return run_tune(common, *args); };
  });
  auto* status = tune->add_subcommand("status", "print a study's leaderboard and the resource spent");
  status->add_option("--output", args->output, "study directory (also where report.html goes)");
  status->add_option("--storage", args->storage, storage_help);
  status->add_option("--top", args->top, "rows of the leaderboard")->check(CLI::PositiveNumber);
  status->callback([&action, args] { action = [args] { return run_status(*args); }; });
  auto* exp = tune->add_subcommand("export", "write the full learning curves of a study as a curve table (JSON)");
  exp->add_option("--output", args->output, "study directory");
  exp->add_option("--storage", args->storage, storage_help);
  exp->add_option("--table", args->table, "curve table file to write")->required();
  exp->callback([&action, args] { action = [args] { return run_export(*args); }; });
}

}  // namespace metaevo::cli
