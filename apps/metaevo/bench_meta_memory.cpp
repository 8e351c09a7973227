// `metaevo bench meta-memory`: peak memory and time of the meta-gradient of an inner-loop
// meta-objective (K steps of fine-tuning on the support set, then the query loss), by autodiff
// through the K steps and by ES, for several K. Each row runs in a fresh process (this binary
// again), so every peak is its own; one JSON line per row. The default episode is 5-way 5-shot:
// with one shot, each support image is its own prototype, the support loss underflows to zero and
// the inner loop would not move.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/datasets.h"
#include "metaevo/data/episodes.h"
#include "metaevo/meta/inner_loop.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/models/zoo.h"

namespace metaevo::cli {
namespace {

struct MemoryArgs {
  std::vector<int64_t> ks{1, 5, 10, 20, 50, 100};
  std::vector<std::string> methods{"es", "autodiff"};
  int64_t ways = 5, shots = 5, queries = 15, channels = 64, pairs = 8;
  double sigma = 0.01, alpha = 0.01;
  uint64_t seed = 1;
  std::string data_dir;
  bool child = false;  // one row, in this process
};

int run_row(const Common& common, const MemoryArgs& a) {
  Common one = common;
  one.threads = 1;
  one.log_level = "warn";
  start_runtime(one);
  const auto splits = data::load_dataset("omniglot-vinyals", data::data_dir_for("omniglot-vinyals", a.data_dir));
  const data::EpisodeSampler sampler(splits.test, {a.ways, a.shots, a.queries}, a.seed);
  const auto episode = sampler.episode(0);
  meta::Params theta;
  for (const auto& p : models::make_conv4(1, a.channels, a.seed)->parameters()) theta.push_back(p.detach().clone());
  const meta::InnerLoopOptions o{a.ks.front(), a.alpha};
  const std::string method = a.methods.front();
  const double baseline = current_rss_mb();
  const auto start = std::chrono::steady_clock::now();
  const auto grad = method == "autodiff" ? meta::meta_gradient_autodiff(theta, episode, a.ways, o)
                                         : meta::meta_gradient_es(theta, episode, a.ways, o, a.pairs, a.sigma, a.seed);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double norm = 0;
  for (const auto& g : grad) norm += g.pow(2).sum().item<double>();
  nlohmann::json row = {{"k", o.steps},
                        {"method", method},
                        // Above what the process held before the meta-gradient (data, model, LibTorch).
                        {"peak_mb", peak_rss_mb() - baseline},
                        {"process_peak_mb", peak_rss_mb()},
                        {"seconds", seconds},
                        {"grad_norm", std::sqrt(norm)},
                        {"ways", a.ways},
                        {"shots", a.shots},
                        {"queries", a.queries},
                        {"channels", a.channels},
                        {"es_pairs", method == "es" ? a.pairs : 0}};
  std::cout << row.dump() << std::endl;
  return 0;
}

int run_table(const Common& common, const MemoryArgs& a) {
  // popen runs a shell, whose /proc/self/exe is the shell: resolve this binary first.
  const auto self = std::filesystem::read_symlink("/proc/self/exe").string();
  for (const auto& method : a.methods) {
    METAEVO_CHECK(method == "es" || method == "autodiff", "--methods: unknown '{}' (es, autodiff)", method);
    for (const auto k : a.ks) {
      const auto command = fmt::format(
          "'{}' bench meta-memory --child --ks {} --methods {} --ways {} --shots {} --queries {} "
          "--channels {} --pairs {} --sigma {} --alpha {} --seed {}{}",
          self, k, method, a.ways, a.shots, a.queries, a.channels, a.pairs, a.sigma, a.alpha, a.seed,
          a.data_dir.empty() ? "" : " --data-dir '" + a.data_dir + "'");
      FILE* child = ::popen(command.c_str(), "r");
      METAEVO_CHECK(child, "bench meta-memory: cannot start '{}'", command);
      std::string out;
      char buffer[4096];
      while (std::fgets(buffer, sizeof(buffer), child)) out += buffer;
      const int status = ::pclose(child);
      METAEVO_CHECK(status == 0 && !out.empty(), "bench meta-memory: the row k={} method={} failed (status {})", k,
                    method, status);
      std::cout << out << std::flush;
    }
  }
  return 0;
}

}  // namespace

void add_bench_meta_memory(CLI::App* bench, Common& common, Action& action) {
  auto a = std::make_shared<MemoryArgs>();
  auto* cmd = bench->add_subcommand("meta-memory", "meta-gradient memory of ES vs autodiff as the inner loop grows");
  cmd->add_option("--ks", a->ks, "inner-loop lengths K")->check(CLI::PositiveNumber);
  cmd->add_option("--methods", a->methods, "es and/or autodiff");
  cmd->add_option("--ways", a->ways, "classes per episode")->check(CLI::PositiveNumber);
  cmd->add_option("--shots", a->shots, "support images per class")->check(CLI::PositiveNumber);
  cmd->add_option("--queries", a->queries, "query images per class")->check(CLI::PositiveNumber);
  cmd->add_option("--channels", a->channels, "conv4 channels")->check(CLI::PositiveNumber);
  cmd->add_option("--pairs", a->pairs, "ES: antithetic pairs")->check(CLI::PositiveNumber);
  cmd->add_option("--sigma", a->sigma, "ES: perturbation scale")->check(CLI::PositiveNumber);
  cmd->add_option("--alpha", a->alpha, "inner step size")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->seed, "episode and initialisation seed");
  cmd->add_option("--data-dir", a->data_dir, "Omniglot folder");
  cmd->add_flag("--child", a->child, "run the first K and method only, in this process")->group("");
  cmd->callback([&common, &action, a] {
    action = [&common, a] { return a->child ? run_row(common, *a) : run_table(common, *a); };
  });
}

}  // namespace metaevo::cli
