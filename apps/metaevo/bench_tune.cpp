// `metaevo bench tune-table`: schedulers compared on a recorded curve table in simulated time,
// averaged over seeds (each seed draws its own subset and order of configurations). Prints one
// JSON line. The accuracy of a run is that of the configuration it selects, after the table's
// full epochs: what a user gets by training the winner to the end.
#include <cmath>
#include <iostream>

#include "commands.h"
#include "metaevo/hpo/simulator.h"

namespace metaevo::cli {
namespace {

struct BenchTuneArgs {
  std::string table = "bench/hpo/fashion-mlp-curves.json";
  std::vector<std::string> schedulers{"asha_promotion", "pasha", "asha_stopping", "hyperband", "fifo"};
  int seeds = 20;
  int workers = 4;
  int max_trials = 100;
  int r_min = 1;
  double eta = 3;
};

struct Stat {
  std::vector<double> xs;
  void add(double x) { xs.push_back(x); }
  double mean() const {
    double s = 0;
    for (double x : xs) s += x;
    return s / double(xs.size());
  }
  double sd() const {
    const double m = mean();
    double s = 0;
    for (double x : xs) s += (x - m) * (x - m);
    return xs.size() > 1 ? std::sqrt(s / double(xs.size() - 1)) : 0.0;
  }
  nlohmann::json json() const { return {{"mean", mean()}, {"sd", sd()}}; }
};

nlohmann::json simulate_all(const hpo::CurveTable& table, const std::string& scheduler, const BenchTuneArgs& a) {
  Stat test, value, epochs, seconds, max_resource;
  for (int seed = 0; seed < a.seeds; ++seed) {
    nlohmann::json settings{{"max_t", table.epochs}};
    if (scheduler != "fifo") settings.update({{"r_min", a.r_min}, {"eta", a.eta}});
    auto s = hpo::make_scheduler({scheduler, settings});
    const auto r = hpo::simulate(table, *s, {a.workers, a.max_trials, uint64_t(seed)});
    test.add(100 * r.best_final_test);
    value.add(100 * r.best_final_value);
    epochs.add(double(r.epochs));
    seconds.add(r.seconds);
    max_resource.add(r.max_resource);
  }
  return {{"scheduler", scheduler},  {"test_acc", test.json()},       {"val_acc", value.json()},
          {"epochs", epochs.json()}, {"sim_seconds", seconds.json()}, {"max_resource", max_resource.json()}};
}

int run_bench_tune(const BenchTuneArgs& a) {
  const auto table = hpo::CurveTable::load(a.table);
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& name : a.schedulers) rows.push_back(simulate_all(table, name, a));
  // The one-epoch baseline: every configuration trained one epoch, the best of them taken.
  hpo::CurveTable one = table;
  one.epochs = 1;
  for (auto& row : one.rows) {
    row.value.resize(1);
    row.seconds.resize(1);
    row.test = {row.test.back()};
  }
  auto baseline = simulate_all(one, "fifo", a);
  baseline["scheduler"] = "one_epoch";
  rows.push_back(baseline);
  // Speed-up in total epochs against promotion ASHA (PASHA's reference), where both ran.
  for (auto& row : rows)
    for (const auto& ref : rows)
      if (ref["scheduler"] == "asha_promotion")
        row["speedup_epochs"] = ref["epochs"]["mean"].get<double>() / row["epochs"]["mean"].get<double>();
  nlohmann::json out = {{"benchmark", "tune-table"},
                        {"table", a.table},
                        {"configurations", table.rows.size()},
                        {"epochs", table.epochs},
                        {"seeds", a.seeds},
                        {"workers", a.workers},
                        {"max_trials", a.max_trials},
                        {"r_min", a.r_min},
                        {"eta", a.eta},
                        {"results", rows}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

void add_bench_tune(CLI::App* bench, Action& action) {
  auto a = std::make_shared<BenchTuneArgs>();
  auto* cmd = bench->add_subcommand("tune-table", "schedulers compared on a recorded curve table, over seeds");
  cmd->add_option("--table", a->table, "curve table (JSON)");
  cmd->add_option("--schedulers", a->schedulers, "schedulers to compare");
  cmd->add_option("--seeds", a->seeds, "runs per scheduler")->check(CLI::PositiveNumber);
  cmd->add_option("--workers", a->workers, "simulated workers")->check(CLI::PositiveNumber);
  cmd->add_option("--max-trials", a->max_trials, "configurations per run")->check(CLI::PositiveNumber);
  cmd->add_option("--r-min", a->r_min, "minimum resource")->check(CLI::PositiveNumber);
  cmd->add_option("--eta", a->eta, "reduction factor")->check(CLI::Range(1.0001, 100.0));
  cmd->callback([&action, a] { action = [a] { return run_bench_tune(*a); }; });
}

}  // namespace metaevo::cli
