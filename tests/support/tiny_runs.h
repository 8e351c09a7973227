#pragma once
// A tiny run of every long command (seconds each), for the tests that drive them through the CLI:
// kill-and-resume, and the reports rendered in a browser.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "data_dirs.h"
#include "metaevo/core/atomic_file.h"
#include "omniglot.h"
#include "process.h"

namespace metaevo::testing {

struct TinyRun {
  std::string name;
  std::vector<std::string> words;                    // the subcommand
  std::string config;                                // YAML
  bool resume_flag = true;                           // tune workers rejoin their study without --resume
  std::vector<std::string> state_dicts, json_files;  // compared after the run
  std::string json_key;                              // compare only this key of each JSON file (empty: all)
  std::function<std::string()> missing;              // why the command cannot run here (empty: it can)
  std::string device_key = "";                       // the config key of its device (empty: CPU only)
};

inline std::string omniglot_yaml() { return "\"" + omniglot_dir() + "\""; }

inline std::string no_omniglot() { return has_omniglot() ? "" : "Omniglot is not at " + omniglot_dir(); }
inline std::string no_fashion() {
  return std::filesystem::exists(fashion_dir()) ? "" : "Fashion-MNIST is not at " + fashion_dir();
}
inline std::string no_mnist() {
  return std::filesystem::exists(mnist_dir()) ? ""
                                              : "MNIST is not at " + mnist_dir() + " (scripts/setup.sh fetches it)";
}

inline const std::map<std::string, TinyRun>& tiny_runs() {
  static const std::map<std::string, TinyRun> all = [] {
    std::map<std::string, TinyRun> c;
    c["es"] = {"es",
               {"es"},
               "seed: 3\nthreads: 1\n"
               "problem: {type: classification, dataset: fashion-mnist, batch: 64, model: {type: mlp, hidden: [16], "
               "input_pool: 4}}\n"
               "strategy: {name: openai_es, population: 16, sigma: 0.05, optimizer: {name: adam, lr: 0.02}}\n"
               "run: {generations: 9, checkpoint_every: 3, report_every: 3, log_every_s: 100}\n",
               true,
               {"weights.pt"},
               {"result.json"},
               "final",
               no_fashion};
    const std::string few_shot = "problem: {type: few_shot, data_dir: " + omniglot_yaml() +
                                 ", ways: 3, shots: 1, queries: 2, episodes: 1, channels: 4, val_episodes: 4}\n"
                                 "test: {ways: [3], shots: [1], queries: 2, episodes: 4}\n";
    c["meta_es"] = {"meta_es",
                    {"meta"},
                    "seed: 3\nthreads: 1\ntrainer: es\n" + few_shot +
                        "strategy: {name: openai_es, population: 8, sigma: 0.05}\n"
                        "run: {generations: 9, checkpoint_every: 3, report_every: 3, log_every_s: 100}\n",
                    true,
                    {"weights.pt"},
                    {"test.json"},
                    "",
                    no_omniglot};
    c["meta_backprop"] = {"meta_backprop",
                          {"meta"},
                          "seed: 3\nthreads: 1\ntrainer: backprop\n" + few_shot +
                              "backprop: {lr: 0.005, episodes: 12, val_every: 3, checkpoint_every: 2}\n",
                          true,
                          {"weights.pt"},
                          {"test.json"},
                          "",
                          no_omniglot};
    c["mlo"] = {"mlo",
                {"mlo"},
                "seed: 3\nthreads: 1\n"
                "program: {type: weight_decay, dataset: synthetic, features: 20, informative: 5, classes: 2, "
                "train_size: 50, valid_size: 50, test_size: 100, init_decay: 0.01}\n"
                "problems:\n  model: {optimizer: {name: sgd, lr: 0.1}, unroll_steps: 5, hypergradient: {name: cg, "
                "iterations: 2}}\n"
                "  decay: {optimizer: {name: adam, lr: 0.05}}\n"
                "engine: {train_iters: 60, valid_step: 10, log_step: 0, checkpoint_every: 10}\n",
                true,
                {},
                {"result.json"},
                "test_acc",
                {}};
    c["tune"] = {"tune",
                 {"tune"},
                 "seed: 3\nthreads: 1\n"
                 "objective: {type: image_classifier, dataset: fashion-mnist, model: mlp, train_size: 300, "
                 "validation_size: 200}\n"
                 "space:\n  lr: {type: float, low: 0.01, high: 0.3, log: true}\n"
                 "  width: {type: categorical, choices: [8, 16]}\n"
                 "scheduler: {name: asha_promotion, max_t: 3}\n"
                 "tuner: {max_trials: 4, poll_s: 0.01}\n",
                 false,
                 {},
                 {"results.json"},
                 "leaderboard",
                 no_fashion};
    c["evolve"] = {"evolve",
                   {"evolve"},
                   "seed: 3\nthreads: 1\n"
                   "vit: {channels: 1, image_size: 32, patch: 16, width: 16, depth: 2, heads: 2, mlp_dim: 32}\n"
                   "train: {batch_size: 32, validations: 2, batches_between_validations: 3, validation_batches: 2}\n"
                   "evolution: {children: 2}\n"
                   "task_iterations: 1\n"
                   "tasks: [mnist-rot:90, mnist-perm:1, mnist]\n"
                   "data: {mnist: \"" +
                       mnist_dir() + "\"}\n",
                   true,
                   {},
                   {"results.json"},
                   "",
                   no_mnist};
    c["agents"] = {"agents",
                   {"agents"},
                   "seed: 3\nthreads: 1\n"
                   "vit: {channels: 1, image_size: 32, patch: 16, width: 16, depth: 2, heads: 2, mlp_dim: 32}\n"
                   "train: {batch_size: 32, validations: 2, batches_between_validations: 3, validation_batches: 2}\n"
                   "agent: {cycles: 2, generations: 1, max_population: 2}\n"
                   "agents: {classes: [munet, finetune], parallel: 2}\n"
                   "tasks: [mnist-rot:90, mnist-perm:1]\n"
                   "data: {mnist: \"" +
                       mnist_dir() + "\"}\n",
                   true,
                   {},
                   {"agents.json"},
                   "",
                   no_mnist};
    c["grow"] = {"grow",
                 {"grow"},
                 "seed: 3\nthreads: 1\n"
                 "data: {dataset: fashion-mnist, train_size: 256, valid_size: 128}\n"
                 "model: {kind: vit, image_size: 28, patch: 14, outputs: 10, hidden: 8, heads: 1, key_dim: 4, "
                 "value_dim: 4, mlp_dim: 8, layers: 1}\n"
                 "train: {steps: 12, batch_size: 16, eval_every: 4}\n"
                 "schedule: [{at: 6, hidden: 12, mlp_dim: 16}, {at: 10, layers: 2}]\n",
                 true,
                 {"weights.pt"},
                 {"result.json"},
                 "",
                 no_fashion};
    c["route"] = {"route",
                  {"route"},
                  "seed: 2\nthreads: 1\n"
                  "data: {tasks: [omniglot-mt:Greek, omniglot-mt:Braille], data_dir: " +
                      omniglot_yaml() +
                      "}\n"
                      "train: {steps: 6, eval_every: 2}\n"
                      "program: {type: gumbel_matrix, batch_size: 8, lr: 0.01, temperature_init: 2,\n"
                      "  net: {filters: 8, groups: 2, layers: 3, downsample: [0, 1]}}\n",
                  true,
                  {},
                  {"result.json"},
                  "",
                  no_omniglot};
    c["route_continual"] = {"route_continual",
                            {"route"},
                            "seed: 2\nthreads: 1\n"
                            "data: {tasks: [mnist-perm:1, mnist-perm:2], data_dir: \"" +
                                mnist_dir() +
                                "\"}\n"
                                "train: {steps: 8, eval_every: 2}\n"
                                "program: {type: routing_network, layers: 2, experts: 3, width: 8, batch_size: 8,\n"
                                "  replay_per_task: 10, replay_batch: 4, cotrain_steps: 2}\n",
                            true,
                            {},
                            {"result.json"},
                            "",
                            no_mnist};
    for (const auto* name : {"es", "meta_es", "meta_backprop"}) c[name].device_key = "problem.device";
    c["mlo"].device_key = "program.device";
    c["evolve"].device_key = "device";
    return c;
  }();
  return all;
}

/// Runs `run` into `out` (its config beside it as OUT.yaml, its stderr as OUT.stderr), with `extra`
/// arguments; returns as wait_for does.
inline int run_tiny(const TinyRun& run, const std::filesystem::path& out, bool resume,
                    const std::vector<std::string>& env = {}, const std::vector<std::string>& extra = {}) {
  const auto config = out.string() + ".yaml";
  write_file_atomic(config, run.config);
  std::vector<std::string> argv{METAEVO_BINARY};
  argv.insert(argv.end(), run.words.begin(), run.words.end());
  argv.insert(argv.end(), {"--config", config, "--output", out.string(), "--log-level", "warn"});
  if (resume && run.resume_flag) argv.push_back("--resume");
  argv.insert(argv.end(), extra.begin(), extra.end());
  return wait_for(spawn(argv, env, out.string() + ".stderr"), 600);
}

}  // namespace metaevo::testing
