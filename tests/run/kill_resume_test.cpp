// Every long-running command, killed with SIGKILL at several points (just after a checkpoint, and
// half-way through a metrics line), then continued, ends bitwise equal to an uninterrupted run:
// same weights, same results, same metrics records. The kills come from METAEVO_CRASH_AT
// (run/fault.h), so each lands at an exact place.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>

#include "../support/omniglot.h"
#include "../support/process.h"
#include "../support/weights.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/run/metrics_log.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

const std::string kMnist = METAEVO_SOURCE_DIR "/data/mnist";
const std::string kFashion = "/usr/share/datasets/fashion-mnist";

struct Command {
  std::string name;
  std::vector<std::string> words;  // the subcommand
  std::string config;              // YAML
  bool resume_flag = true;         // tune workers rejoin their study without --resume
  std::vector<std::string> state_dicts, json_files;  // compared after the run
  std::string json_key;            // compare only this key of each JSON file (empty: all)
  std::function<std::string()> missing;  // why the command cannot run here (empty: it can)
};

std::string omniglot_yaml() { return "\"" + omniglot_dir() + "\""; }

std::string no_omniglot() { return has_omniglot() ? "" : "Omniglot is not at " + omniglot_dir(); }
std::string no_fashion() { return fs::exists(kFashion) ? "" : "Fashion-MNIST is not at " + kFashion; }
std::string no_mnist() { return fs::exists(kMnist) ? "" : "MNIST is not at " + kMnist + " (scripts/setup.sh fetches it)"; }

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> all = [] {
    std::map<std::string, Command> c;
    c["es"] = {"es", {"es"},
               "seed: 3\nthreads: 1\n"
               "problem: {type: classification, dataset: fashion-mnist, batch: 64, model: {type: mlp, hidden: [16], input_pool: 4}}\n"
               "strategy: {name: openai_es, population: 16, sigma: 0.05, optimizer: {name: adam, lr: 0.02}}\n"
               "run: {generations: 9, checkpoint_every: 3, report_every: 3, log_every_s: 100}\n",
               true, {"weights.pt"}, {"result.json"}, "final", no_fashion};
    const std::string few_shot = "problem: {type: few_shot, data_dir: " + omniglot_yaml() +
                                 ", ways: 3, shots: 1, queries: 2, episodes: 1, channels: 4, val_episodes: 4}\n"
                                 "test: {ways: [3], shots: [1], queries: 2, episodes: 4}\n";
    c["meta_es"] = {"meta_es", {"meta"},
                    "seed: 3\nthreads: 1\ntrainer: es\n" + few_shot +
                        "strategy: {name: openai_es, population: 8, sigma: 0.05}\n"
                        "run: {generations: 9, checkpoint_every: 3, report_every: 3, log_every_s: 100}\n",
                    true, {"weights.pt"}, {"test.json"}, "", no_omniglot};
    c["meta_backprop"] = {"meta_backprop", {"meta"},
                          "seed: 3\nthreads: 1\ntrainer: backprop\n" + few_shot +
                              "backprop: {lr: 0.005, episodes: 12, val_every: 3, checkpoint_every: 2}\n",
                          true, {"weights.pt"}, {"test.json"}, "", no_omniglot};
    c["mlo"] = {"mlo", {"mlo"},
                "seed: 3\nthreads: 1\n"
                "program: {type: weight_decay, dataset: synthetic, features: 20, informative: 5, classes: 2, "
                "train_size: 50, valid_size: 50, test_size: 100, init_decay: 0.01}\n"
                "problems:\n  model: {optimizer: sgd, lr: 0.1, unroll_steps: 5, hypergradient: cg, cg_iterations: 2}\n"
                "  decay: {optimizer: adam, lr: 0.05}\n"
                "engine: {train_iters: 60, valid_step: 10, log_step: 0, checkpoint_every: 10}\n",
                true, {}, {"result.json"}, "test_acc", {}};
    c["tune"] = {"tune", {"tune"},
                 "seed: 3\nthreads: 1\n"
                 "objective: {type: image_classifier, dataset: fashion-mnist, model: mlp, train_size: 300, validation_size: 200}\n"
                 "space:\n  lr: {type: float, low: 0.01, high: 0.3, log: true}\n"
                 "  width: {type: categorical, choices: [8, 16]}\n"
                 "scheduler: {name: asha_promotion, max_t: 3}\n"
                 "tuner: {max_trials: 4, poll_s: 0.01}\n",
                 false, {}, {"results.json"}, "leaderboard", no_fashion};
    c["evolve"] = {"evolve", {"evolve"},
                   "seed: 3\nthreads: 1\n"
                   "vit: {channels: 1, image_size: 32, patch: 16, width: 16, depth: 2, heads: 2, mlp_dim: 32}\n"
                   "train: {batch_size: 32, validations: 2, batches_between_validations: 3, validation_batches: 2}\n"
                   "evolution: {children: 2}\n"
                   "task_iterations: 1\n"
                   "tasks: [mnist-rot:90, mnist-perm:1, mnist]\n"
                   "data: {mnist: \"" + kMnist + "\"}\n",
                   true, {}, {"results.json"}, "", no_mnist};
    return c;
  }();
  return all;
}

struct KillPoint {
  std::string command, crash_at;
};

void PrintTo(const KillPoint& p, std::ostream* os) { *os << p.command << " killed at " << p.crash_at; }

std::string name_of(const ::testing::TestParamInfo<KillPoint>& info) {
  auto n = info.param.command + "_" + info.param.crash_at;
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

class KillResume : public ::testing::TestWithParam<KillPoint> {
 protected:
  static fs::path root() { return fs::temp_directory_path() / "metaevo_kill_resume"; }

  static int run(const Command& c, const fs::path& out, bool resume, const std::vector<std::string>& env = {}) {
    const auto config = out.string() + ".yaml";
    metaevo::write_file_atomic(config, c.config);
    std::vector<std::string> argv{METAEVO_BINARY};
    argv.insert(argv.end(), c.words.begin(), c.words.end());
    argv.insert(argv.end(), {"--config", config, "--output", out.string(), "--log-level", "warn"});
    if (resume && c.resume_flag) argv.push_back("--resume");
    return wait_for(spawn(argv, env, out.string() + ".stderr"), 600);
  }

  // The uninterrupted run of each command, made once per test process.
  static fs::path whole(const Command& c) {
    static std::map<std::string, fs::path> done;
    if (!done.count(c.name)) {
      const auto out = root() / (c.name + "_whole");
      fs::remove_all(out);
      const int code = run(c, out, false);
      EXPECT_EQ(code, 0) << metaevo::read_file(out.string() + ".stderr");
      done[c.name] = out;
    }
    return done[c.name];
  }
};

// Records without the fields that measure time.
std::vector<nlohmann::json> untimed(const metaevo::run::Metrics& m) {
  std::vector<nlohmann::json> out;
  for (auto r : m.records) {
    for (const char* key : {"elapsed_s", "seconds"}) r.erase(key);
    out.push_back(r);
  }
  return out;
}

TEST_P(KillResume, EndsBitwiseEqualToAnUninterruptedRun) {
  const auto& c = commands().at(GetParam().command);
  if (c.missing && !c.missing().empty()) GTEST_SKIP() << c.missing();
  fs::create_directories(root());
  const auto reference = whole(c);
  const auto out = root() / name_of({GetParam(), 0});
  fs::remove_all(out);

  const int killed = run(c, out, false, {"METAEVO_CRASH_AT=" + GetParam().crash_at});
  ASSERT_EQ(killed, 128 + SIGKILL) << "the run was not killed at " << GetParam().crash_at << ": "
                                   << metaevo::read_file(out.string() + ".stderr");
  const auto metrics = out / "metrics.jsonl";
  if (GetParam().crash_at.rfind("metrics", 0) == 0) {
    const auto text = metaevo::read_file(metrics.string());
    ASSERT_FALSE(text.empty() || text.back() == '\n') << "the kill did not tear a metrics line";
  }
  ASSERT_EQ(run(c, out, true), 0) << metaevo::read_file(out.string() + ".stderr");

  for (const auto& file : c.state_dicts)
    EXPECT_TRUE(equal_state_dicts((reference / file).string(), (out / file).string())) << file;
  for (const auto& file : c.json_files) {
    auto a = nlohmann::json::parse(metaevo::read_file((reference / file).string()));
    auto b = nlohmann::json::parse(metaevo::read_file((out / file).string()));
    if (!c.json_key.empty()) {
      a = a.at(c.json_key);
      b = b.at(c.json_key);
    }
    EXPECT_EQ(a, b) << file;
  }
  if (fs::exists(reference / "metrics.jsonl")) {
    const auto a = metaevo::run::read_metrics((reference / "metrics.jsonl").string());
    const auto b = metaevo::run::read_metrics(metrics.string());
    EXPECT_EQ(a.x_key, b.x_key);
    EXPECT_FALSE(a.records.empty());
    EXPECT_EQ(untimed(a), untimed(b));
    const auto text = metaevo::read_file(metrics.string());
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), int64_t(a.records.size()) + 1) << "a torn line was kept";
  }
}

INSTANTIATE_TEST_SUITE_P(EveryLongCommand, KillResume,
                         ::testing::Values(KillPoint{"es", "checkpoint:2"}, KillPoint{"es", "metrics:5"},
                                           KillPoint{"meta_es", "checkpoint:2"}, KillPoint{"meta_es", "metrics:5"},
                                           KillPoint{"meta_backprop", "checkpoint:2"},
                                           KillPoint{"meta_backprop", "metrics:3"}, KillPoint{"mlo", "checkpoint:2"},
                                           KillPoint{"mlo", "metrics:4"}, KillPoint{"tune", "checkpoint:2"},
                                           KillPoint{"tune", "checkpoint:5"}, KillPoint{"evolve", "checkpoint:1"},
                                           KillPoint{"evolve", "metrics:2"}),
                         name_of);

}  // namespace
