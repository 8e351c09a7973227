// Distributed ES under mpirun: 1 and 2 ranks end bitwise equal, a failing rank ends the job, and a
// job with a SIGKILLed rank resumes from its checkpoint to the uninterrupted result.
#include "../support/mpi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/process.h"
#include "../support/scratch_dir.h"
#include "../support/weights.h"
#include "metaevo/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

class Mpi : public ScratchDirTest {
 protected:
  Mpi() : ScratchDirTest("metaevo_mpi_") {}
  // `metaevo es` under mpirun with `ranks` processes (or without mpirun when ranks == 0).
  std::vector<std::string> es_argv(int ranks, std::vector<std::string> args) {
    args.insert(args.begin(), "es");
    return mpi_argv(ranks, args);
  }
  int run_es(int ranks, const std::vector<std::string>& args, double timeout_s = 300) {
    return wait_for(spawn(es_argv(ranks, args), kMpiEnv, (dir_ / "stderr.txt").string()), timeout_s);
  }
  std::string stderr_text() { return metaevo::read_file((dir_ / "stderr.txt").string()); }
  // The final weights of a fresh run of `config` on `ranks` (0: without mpirun) in folder `name`.
  torch::Tensor center_of_run(int ranks, const std::string& config, const std::string& name) {
    const auto output = (dir_ / name).string();
    fs::remove_all(output);
    EXPECT_EQ(run_es(ranks, {"--config", config, "--output", output}), 0) << stderr_text();
    return center(output);
  }
  // Every final weight, flattened in name order.
  torch::Tensor center(const std::string& output) {
    std::vector<torch::Tensor> parts;
    for (const auto& [name, t] : load_state_dict(output + "/weights.pt")) parts.push_back(t.flatten());
    return torch::cat(parts);
  }
};

struct Case {
  std::string name, strategy;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class MpiSameResult : public Mpi, public ::testing::WithParamInterface<Case> {};

// Uneven shards: 10 members in chunks of 4 give rank 0 one chunk and rank 1 two.
TEST_P(MpiSameResult, OneAndTwoRanksGiveBitwiseEqualParameters) {
  SKIP_WITHOUT_MPI();
  const auto data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) GTEST_SKIP() << data << " not found (apt-get install dataset-fashion-mnist)";
  const auto config = write("run.yaml",
                            "seed: 3\nthreads: 1\n"
                            "problem: {type: classification, dataset: fashion-mnist, batch: 32, eval_chunk: 4,"
                            " model: {type: mlp, hidden: [8]}}\n"
                            "strategy: " +
                                GetParam().strategy +
                                "\n"
                                "run: {generations: 6, report_every: 0, log_every_s: 100}\n");
  const auto one = (dir_ / "one").string(), two = (dir_ / "two").string();
  ASSERT_EQ(run_es(0, {"--config", config, "--output", one}), 0) << stderr_text();
  ASSERT_EQ(run_es(2, {"--config", config, "--output", two}), 0) << stderr_text();
  EXPECT_TRUE(torch::equal(center(one), center(two)));
  EXPECT_FALSE(torch::equal(center(one), torch::zeros_like(center(one))));
}

INSTANTIATE_TEST_SUITE_P(
    Strategies, MpiSameResult,
    ::testing::Values(Case{"OpenAiEs", "{name: openai_es, population: 10, sigma: 0.05}"},
                      Case{"Pgpe", "{name: pgpe, population: 10, sigma: 0.05, optimizer: {name: clipup, lr: 0.05}}"},
                      Case{"Snes", "{name: snes, population: 10, sigma: 0.05}"}),
    [](const auto& info) { return info.param.name; });

// With `update: all_reduce` the ranks split the update's noise sums: equal to rounding.
TEST_F(Mpi, AllReduceUpdateMatchesOneProcess) {
  SKIP_WITHOUT_MPI();
  const auto data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) GTEST_SKIP() << data << " not found (apt-get install dataset-fashion-mnist)";
  for (const std::string strategy :
       {"{name: openai_es, population: 16, sigma: 0.05, low_rank: 2}", "{name: snes, population: 16, sigma: 0.05}"}) {
    const auto config = write("run.yaml",
                              "seed: 3\nthreads: 1\n"
                              "problem: {type: classification, dataset: fashion-mnist, batch: 64,"
                              " eval_chunk: 4, model: {type: mlp, hidden: [16]}}\n"
                              "strategy: " +
                                  strategy +
                                  "\n"
                                  "run: {generations: 10, report_every: 0, log_every_s: 100, update: all_reduce}\n");
    const auto one = (dir_ / "one").string(), two = (dir_ / "two").string();
    fs::remove_all(one);
    fs::remove_all(two);
    ASSERT_EQ(run_es(0, {"--config", config, "--output", one}), 0) << stderr_text();
    ASSERT_EQ(run_es(2, {"--config", config, "--output", two}), 0) << stderr_text();
    EXPECT_TRUE(torch::allclose(center(one), center(two), 1e-5, 1e-6))
        << strategy << ": max difference " << (center(one) - center(two)).abs().max().item<float>();
    EXPECT_FALSE(torch::equal(center(one), center(two) * 0)) << strategy;
  }
}

// With `update: sliced` each rank builds the update of its slice of the parameters and the slices
// are all-gathered: 2 and 3 ranks end as one process does, bitwise where each coordinate's
// arithmetic is the same (full-rank noise, elementwise rules), within 1e-6 where sums are split
// (low-rank segments reduced over the ranks' perturbations, ClipUp's global norms). A run sliced
// over 2 ranks resumes on 3.
TEST_F(Mpi, SlicedUpdateMatchesOneProcessAtTwoAndThreeRanks) {
  SKIP_WITHOUT_MPI();
  const auto data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) GTEST_SKIP() << data << " not found (apt-get install dataset-fashion-mnist)";
  struct Sliced {
    std::string strategy;
    bool bitwise;
  };
  for (const auto& [strategy, bitwise] :
       {Sliced{"{name: openai_es, population: 10, sigma: 0.05}", true},
        Sliced{"{name: snes, population: 10, sigma: 0.05}", true},
        Sliced{"{name: pgpe, population: 10, sigma: 0.05, low_rank: 2, optimizer: {name: clipup, lr: 0.05}}", false}}) {
    const auto config = write("run.yaml",
                              "seed: 3\nthreads: 1\n"
                              "problem: {type: classification, dataset: fashion-mnist, batch: 32, eval_chunk: 4,"
                              " model: {type: mlp, hidden: [8]}}\n"
                              "strategy: " +
                                  strategy +
                                  "\n"
                                  "run: {generations: 4, checkpoint_every: 1, report_every: 0, log_every_s: 100,"
                                  " update: sliced}\n");
    const auto one = center_of_run(0, config, "one");
    for (const int ranks : {2, 3}) {
      const auto many = center_of_run(ranks, config, "many");
      if (bitwise)
        EXPECT_TRUE(torch::equal(one, many))
            << strategy << ", " << ranks << " ranks: max difference " << (one - many).abs().max().item<float>();
      else
        EXPECT_TRUE(torch::allclose(one, many, 0, 1e-6))
            << strategy << ", " << ranks << " ranks: max difference " << (one - many).abs().max().item<float>();
    }
    EXPECT_FALSE(torch::equal(one, one * 0)) << strategy;
    if (!bitwise || strategy.find("snes") != std::string::npos) continue;
    // Two generations on 2 ranks, the last two resumed on 3.
    const auto resumed = (dir_ / "resumed").string();
    fs::remove_all(resumed);
    ASSERT_EQ(run_es(2, {"--config", config, "--output", resumed, "--set", "run.generations=2"}), 0) << stderr_text();
    ASSERT_EQ(run_es(3, {"--config", config, "--output", resumed, "--resume"}), 0) << stderr_text();
    EXPECT_TRUE(torch::equal(one, center(resumed))) << strategy << ": resumed on another number of ranks";
  }
}

// The sliced mode is what runs: its ranks gather the center and Adam's two moments, 4 x 3 x
// params bytes from each rank to each peer per generation, beyond the fitness traffic both modes share.
TEST_F(Mpi, SlicedUpdateGathersTheStateEveryGeneration) {
  SKIP_WITHOUT_MPI();
  const auto data = "/usr/share/datasets/fashion-mnist";
  if (!fs::exists(data)) GTEST_SKIP() << data << " not found (apt-get install dataset-fashion-mnist)";
  std::map<std::string, nlohmann::json> line;
  for (const std::string update : {"replicated", "sliced"}) {
    const auto out = (dir_ / (update + ".json")).string();
    const pid_t job = spawn(mpi_argv(3, {"--threads", "1", "bench", "es", "--hidden", "8", "--population", "12",
                                         "--batch", "16", "--generations", "2", "--update", update}),
                            kMpiEnv, (dir_ / "stderr.txt").string(), out);
    ASSERT_EQ(wait_for(job, 300), 0) << stderr_text();
    line[update] = nlohmann::json::parse(metaevo::read_file(out));
  }
  const double params = line["sliced"]["params"];
  EXPECT_EQ(params, 784 * 8 + 8 + 8 * 10 + 10);
  EXPECT_DOUBLE_EQ(
      line["sliced"]["bytes_per_generation"].get<double>() - line["replicated"]["bytes_per_generation"].get<double>(),
      4 * 3 * params * (3 - 1));
}

TEST_F(Mpi, MoreRanksThanMembers) {
  SKIP_WITHOUT_MPI();
  const auto config = write("run.yaml",
                            "seed: 2\nthreads: 1\n"
                            "problem: {type: function, function: sphere, dim: 5, x0: 1}\n"
                            "strategy: {name: openai_es, population: 2, sigma: 0.1}\n"
                            "run: {generations: 5, report_every: 0, log_every_s: 100}\n");
  const auto one = (dir_ / "one").string(), three = (dir_ / "three").string();
  ASSERT_EQ(run_es(0, {"--config", config, "--output", one}), 0) << stderr_text();
  ASSERT_EQ(run_es(3, {"--config", config, "--output", three}), 0) << stderr_text();
  EXPECT_TRUE(torch::equal(center(one), center(three)));
}

TEST_F(Mpi, FailingRankEndsTheJob) {
  SKIP_WITHOUT_MPI();
  const auto config = write("run.yaml",
                            "seed: 2\nthreads: 1\n"
                            "problem: {type: function, function: sphere, dim: 5, x0: 1}\n"
                            "strategy: {name: openai_es, population: 8, sigma: 0.1}\n"
                            "run: {generations: 100000, report_every: 0, log_every_s: 100}\n");
  const auto bad = write("bad.yaml",
                         "seed: 2\nthreads: 1\n"
                         "problem: {type: function, function: sphere, dim: 5, x0: 1}\n"
                         "strategy: {name: openai_es, population: 8, sigma: -0.1}\n"
                         "run: {generations: 100000, report_every: 0, log_every_s: 100}\n");
  // Rank 0 starts the long run and waits for rank 1 in its first collective; rank 1 fails on
  // its configuration. The job must end promptly with the error, not hang.
  const auto output = (dir_ / "out").string();
  std::vector<std::string> argv{kMpirun, "-np", "1", METAEVO_BINARY, "es", "--config", config, "--output", output,
                                ":",     "-np", "1", METAEVO_BINARY, "es", "--config", bad,    "--output", output};
  const int code = wait_for(spawn(argv, kMpiEnv, (dir_ / "stderr.txt").string()), 120);
  EXPECT_NE(code, -2) << "the job hung";
  EXPECT_NE(code, 0);
  EXPECT_NE(stderr_text().find("metaevo: error: "), std::string::npos) << stderr_text();
  EXPECT_NE(stderr_text().find("sigma"), std::string::npos) << stderr_text();
}

// The process of the job whose OMPI_COMM_WORLD_RANK is `rank` (a direct child of mpirun).
pid_t rank_pid(pid_t mpirun, int rank) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line) || line.rfind(')') == std::string::npos) continue;
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    char state;
    pid_t parent = 0;
    rest >> state >> parent;
    if (parent != mpirun) continue;
    std::ifstream environ(entry.path() / "environ");
    std::string var;
    while (std::getline(environ, var, '\0'))
      if (var == "OMPI_COMM_WORLD_RANK=" + std::to_string(rank)) return pid_t(std::stoi(name));
  }
  return 0;
}

TEST_F(Mpi, KilledRankEndsTheJobAndTheRunResumes) {
  SKIP_WITHOUT_MPI();
  const auto config = write("run.yaml",
                            "seed: 5\nthreads: 1\n"
                            "problem: {type: function, function: rosenbrock, dim: 30, x0: 0.1}\n"
                            "strategy: {name: cmaes, sigma: 0.3}\n"
                            "run: {generations: 1500, checkpoint_every: 1, report_every: 0, log_every_s: 100}\n");
  const auto whole = (dir_ / "whole").string(), killed = (dir_ / "killed").string();
  ASSERT_EQ(run_es(0, {"--config", config, "--output", whole}), 0) << stderr_text();

  const pid_t job =
      spawn(es_argv(2, {"--config", config, "--output", killed}), kMpiEnv, (dir_ / "stderr.txt").string());
  const auto checkpoint = fs::path(killed) / "checkpoint.pt";
  ASSERT_EQ(wait_for(job, 120, [&] { return fs::exists(checkpoint); }), -1) << stderr_text();
  pid_t victim = 0;
  for (int i = 0; i < 200 && !victim; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(10)))
    victim = rank_pid(job, 1);
  ASSERT_NE(victim, 0) << "rank 1 not found among mpirun's children";
  kill(victim, SIGKILL);
  const int code = wait_for(job, 60);
  EXPECT_NE(code, -2) << "rank 0 hung after rank 1 was killed";
  EXPECT_NE(code, 0);
  ASSERT_FALSE(fs::exists(fs::path(killed) / "result.json")) << "the run finished before it was killed";

  ASSERT_EQ(run_es(2, {"--config", config, "--output", killed, "--resume"}), 0) << stderr_text();
  EXPECT_TRUE(torch::equal(center(whole), center(killed)));
}

}  // namespace
