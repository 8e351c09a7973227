// Data-parallel problems: shares of a batch, the refusals before any step, and, under mpirun, one
// process against two and three on the reweighting program with every hypergradient method (within
// 1e-5; bitwise for ES, which splits its perturbations instead), and resuming a two-process
// checkpoint on three processes.
#include "metaevo/mlo/data_parallel.h"

#include <gtest/gtest.h>

#include "../support/errors.h"
#include "../support/mpi.h"
#include "../support/process.h"
#include "../support/scratch_dir.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/mlo/engine.h"

namespace metaevo::mlo {
namespace {

using namespace metaevo::testing;

/// One process of a job of `size` (its collectives are never reached by these tests).
class OneOf : public dist::Communicator {
 public:
  OneOf(int rank, int size) : rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_size() const override { return size_; }
  void broadcast(std::string&, int) override { ADD_FAILURE() << "unexpected collective"; }
  std::vector<double> all_gather(const std::vector<double>& local) override {
    ADD_FAILURE() << "unexpected collective";
    return local;
  }
  void all_reduce_sum(std::vector<double>&) override { ADD_FAILURE() << "unexpected collective"; }
  void all_reduce_sum(float*, int64_t) override { ADD_FAILURE() << "unexpected collective"; }
  void all_gather(float*, const std::vector<int64_t>&) override { ADD_FAILURE() << "unexpected collective"; }
  void reduce_scatter_sum(float*, const std::vector<int64_t>&) override { ADD_FAILURE() << "unexpected collective"; }
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::_Exit(code); }

 private:
  int rank_, size_;
};

TEST(DataParallelShares, TheSharesOfABatchCoverItOnceInOrder) {
  const auto batch = torch::arange(10);
  std::vector<torch::Tensor> shares;
  for (int r = 0; r < 3; ++r) {
    OneOf comm(r, 3);
    const DataParallel parallel(comm, true);
    EXPECT_EQ(parallel.shares(), 3);
    shares.push_back(parallel.share(batch));
    // A regulariser counts once over the job.
    EXPECT_EQ(parallel.once(torch::tensor(2.0)).item<double>(), r == 0 ? 2.0 : 0.0);
    // A share's term of the mean is its sum over the global batch size.
    EXPECT_DOUBLE_EQ(parallel.mean(shares.back().to(torch::kFloat64), 10).item<double>(),
                     shares.back().sum().item<double>() / 10);
  }
  EXPECT_TRUE(torch::equal(torch::cat(shares), batch));
  EXPECT_EQ(shares[0].size(0), 3);
  EXPECT_EQ(shares[2].size(0), 4);
}

TEST(DataParallelShares, OneProcessOrUnsplitKeepsTheWholeBatch) {
  const auto batch = torch::arange(10);
  OneOf comm(1, 2);
  const DataParallel unsplit(comm, false);
  EXPECT_EQ(unsplit.shares(), 1);
  EXPECT_EQ(unsplit.processes(), 2);
  EXPECT_TRUE(torch::equal(unsplit.share(batch), batch));
  EXPECT_EQ(unsplit.once(torch::tensor(2.0)).item<double>(), 2.0);
  const DataParallel one;
  EXPECT_TRUE(torch::equal(one.sum(batch), batch));
  EXPECT_TRUE(torch::equal(one.all_reduce({batch})[0], batch));
}

/// A problem with a batch of `batch` examples (0: one that does not split its batches).
class Batched : public Problem {
 public:
  Batched(const std::string& name, int64_t batch, const std::string& method)
      : Problem(name, {torch::ones({2})}, options(method)), batch_(batch) {}
  torch::Tensor training_step(int64_t) override { return params()[0].pow(2).sum(); }
  int64_t batch_size() const override { return batch_; }

 private:
  static ProblemOptions options(const std::string& method) {
    ProblemOptions o;
    o.hypergradient = {method};
    return o;
  }
  int64_t batch_;
};

Engine bilevel(int64_t lower_batch, int64_t upper_batch, const std::string& method = "darts") {
  Dependencies d;
  d.u2l = {{"upper", {"lower"}}};
  d.l2u = {{"lower", {"upper"}}};
  return Engine({std::make_shared<Batched>("lower", lower_batch, method),
                 std::make_shared<Batched>("upper", upper_batch, "darts")},
                d, EngineOptions{}, 1);
}

TEST(DataParallelEngine, MoreProcessesThanExamplesIsAOneLineError) {
  OneOf comm(0, 3);
  auto engine = bilevel(8, 2);
  EXPECT_NE(error_of([&] {
              engine.distribute(comm);
            }).find("problems.upper: a batch of 2 examples cannot be split over 3 processes"),
            std::string::npos);
}

TEST(DataParallelEngine, AProblemThatDoesNotSplitItsBatchesIsRefused) {
  OneOf comm(1, 2);
  auto engine = bilevel(0, 4);
  EXPECT_NE(error_of([&] { engine.distribute(comm); }).find("problems.lower: does not split its batches"),
            std::string::npos);
}

TEST(DataParallelEngine, EsKeepsBatchesWholeAndAnyBatchRuns) {
  OneOf comm(1, 3);
  auto engine = bilevel(0, 1, "es");
  engine.distribute(comm);
  EXPECT_EQ(engine.parallel().shares(), 1);
  EXPECT_EQ(engine.parallel().processes(), 3);
  EXPECT_EQ(engine.problem("lower").parallel().rank(), 1);
}

constexpr const char* kProgram =
    "seed: 3\nthreads: 1\n"
    "program: {type: data_reweighting, dataset: synthetic, features: 20, classes: 4, train_size: 2000,"
    " valid_size: 100, test_size: 200, hidden: 16, weight_hidden: 8, batch_size: 48, meta_batch_size: 30}\n"
    // Plain SGD for the weight net: Adam's steps barely change when every gradient is scaled, so
    // they would hide a hypergradient counted twice or not divided.
    "problems: {classifier: {optimizer: {name: sgd, lr: 0.1}, unroll_steps: 2}, reweight: {optimizer: {name: sgd, lr: "
    "1}}}\n"
    "engine: {train_iters: 12, valid_step: 0, log_step: 0, checkpoint_every: 2}\n";

class MloProcesses : public ScratchDirTest {
 protected:
  MloProcesses() : ScratchDirTest("metaevo_mlo_dp_") {}
  int mlo(int ranks, const std::string& output, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"mlo", "--config", (dir_ / "run.yaml").string(), "--output", output};
    args.insert(args.end(), extra.begin(), extra.end());
    return wait_for(spawn(mpi_argv(ranks, args), kMpiEnv, (dir_ / "stderr.txt").string()), 300);
  }
  std::string stderr_text() { return read_file((dir_ / "stderr.txt").string()); }
  /// The problems' parameters in the checkpoint of `output`, flattened.
  static torch::Tensor parameters(const std::string& output,
                                  const std::vector<std::string>& problems = {"classifier", "reweight"}) {
    torch::serialize::InputArchive archive;
    archive.load_from(output + "/checkpoint.pt");
    std::vector<torch::Tensor> parts;
    for (const auto& problem : problems)
      for (int i = 0;; ++i) {
        torch::Tensor t;
        if (!archive.try_read("problem/" + problem + "/param/" + std::to_string(i), t)) break;
        parts.push_back(t.flatten());
      }
    return torch::cat(parts);
  }
};

class MloProcessesPerMethod : public MloProcesses, public ::testing::WithParamInterface<std::string> {};

TEST_P(MloProcessesPerMethod, TwoAndThreeProcessesTakeTheStepsOfOne) {
  SKIP_WITHOUT_MPI();
  write("run.yaml", kProgram);
  const std::vector<std::string> method{"--set", "problems.classifier.hypergradient=" + GetParam()};
  const bool es = GetParam().find("es") != std::string::npos;
  const auto one = (dir_ / "one").string();
  ASSERT_EQ(mlo(0, one, method), 0) << stderr_text();
  const auto reference = parameters(one);
  for (int ranks : {2, 3}) {
    const auto output = (dir_ / std::to_string(ranks)).string();
    ASSERT_EQ(mlo(ranks, output, method), 0) << stderr_text();
    const auto got = parameters(output);
    if (es) {
      EXPECT_TRUE(torch::equal(got, reference)) << ranks << " processes";
    } else {
      EXPECT_LT((got - reference).abs().max().item<double>(), 1e-5) << ranks << " processes";
    }
  }
  // The weight net's 5 steps after its first moved it well beyond the tolerance: the comparison is
  // not of a stalled run.
  const auto first = (dir_ / "first").string();
  ASSERT_EQ(mlo(0, first, {"--set", "engine.train_iters=2"}), 0) << stderr_text();
  EXPECT_GT((parameters(first, {"reweight"}) - parameters(one, {"reweight"})).abs().max().item<double>(), 1e-4);
}

const char* const kMethodNames[] = {"darts", "itd", "cg", "neumann", "es"};

INSTANTIATE_TEST_SUITE_P(Methods, MloProcessesPerMethod,
                         ::testing::Values("darts", "itd", "{name: cg, iterations: 3}",
                                           "{name: neumann, iterations: 3}", "{name: es, pairs: 5}"),
                         [](const auto& info) { return kMethodNames[info.index]; });

TEST_F(MloProcesses, ACheckpointOfTwoProcessesResumesOnThree) {
  SKIP_WITHOUT_MPI();
  write("run.yaml", kProgram);
  const auto whole = (dir_ / "whole").string(), resumed = (dir_ / "resumed").string();
  ASSERT_EQ(mlo(0, whole), 0) << stderr_text();
  ASSERT_EQ(mlo(2, resumed, {"--set", "engine.train_iters=6"}), 0) << stderr_text();
  ASSERT_EQ(mlo(3, resumed, {"--resume"}), 0) << stderr_text();
  EXPECT_NE(stderr_text().find("resumed"), std::string::npos) << stderr_text();
  EXPECT_LT((parameters(resumed) - parameters(whole)).abs().max().item<double>(), 1e-5);
}

TEST_F(MloProcesses, MoreProcessesThanABatchFailsBeforeWritingAnything) {
  SKIP_WITHOUT_MPI();
  write("run.yaml", kProgram);
  const auto output = (dir_ / "out").string();
  EXPECT_NE(mlo(3, output, {"--set", "program.meta_batch_size=2"}), 0);
  EXPECT_NE(stderr_text().find("metaevo: error: problems.reweight: a batch of 2 examples cannot be split over 3"),
            std::string::npos)
      << stderr_text();
  EXPECT_FALSE(std::filesystem::exists(output));
}

}  // namespace
}  // namespace metaevo::mlo
