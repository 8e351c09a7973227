// `metaevo bench es ...`: throughput of ES on a supervised model (an MLP or CNN on an IDX data
// set) or on the ES ProtoNet (conv4 on 5-way 5-shot 15-query Omniglot episodes), one JSON line on
// stdout (from rank 0 when started by mpirun: the population is then sharded over the processes).
// The line carries the machine's float32 matrix-product peak measured in the same run, so that the
// model's FLOP rate reads as a fraction of what these cores can do now (their speed drifts between
// sessions).
#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <functional>
#include <iostream>
#include <limits>

#include "commands.h"
#include "metaevo/core/runtime.h"
#include "metaevo/dist/communicator.h"
#include "metaevo/es/run.h"
#include "metaevo/es/sharding.h"

namespace metaevo::cli {
namespace {

struct BenchEsArgs {
  std::string model = "mlp";
  int64_t hidden = 128;
  int64_t channels = 64;
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  std::string strategy = "openai_es";
  int64_t population = 512;
  int64_t batch = 256;
  int64_t generations = 20;
  int64_t low_rank = 0;
  int64_t eval_chunk = 0;  // 0: 16 for mlp and cnn; 1 for protonet (few_shot_problem.h says why)
  int64_t seed = 0;
  std::string device = "cpu";
  std::string update = "replicated";
};

/// The problem block: classification on an IDX data set, or the ProtoNet's few-shot episodes (one
/// validation episode: the run's closing report is timed with it, and is not what is measured).
std::string problem_block(const BenchEsArgs& a) {
  const auto chunk = a.eval_chunk > 0 ? a.eval_chunk : a.model == "protonet" ? 1 : 16;
  if (a.model == "protonet")
    return fmt::format(R"(
problem:
  type: few_shot
  data_dir: "{data_dir}"
  ways: 5
  shots: 5
  queries: 15
  channels: {channels}
  val_episodes: 1
  eval_chunk: {chunk}
  device: {device}
)",
                       fmt::arg("data_dir", a.data_dir), fmt::arg("channels", a.channels), fmt::arg("chunk", chunk),
                       fmt::arg("device", a.device));
  return fmt::format(R"(
problem:
  type: classification
  dataset: {dataset}
  data_dir: "{data_dir}"
  batch: {batch}
  eval_chunk: {chunk}
  device: {device}
  model: {{type: {model}, hidden: [{hidden}]}}
)",
                     fmt::arg("dataset", a.dataset), fmt::arg("data_dir", a.data_dir), fmt::arg("batch", a.batch),
                     fmt::arg("chunk", chunk), fmt::arg("device", a.device), fmt::arg("model", a.model),
                     fmt::arg("hidden", a.hidden));
}

/// Best of five timed rounds of `product` run once on each of `threads` threads at the same time,
/// in GFLOP/s for all of them together; `flops` per product.
double concurrent_gflops(int threads, double flops, const std::function<void()>& product) {
  auto round = [&] {
    at::parallel_for(0, threads, 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) product();
    });
  };
  round();  // warm-up: allocation, oneDNN's kernel generation
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    round();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, threads * flops / s / 1e9);
  }
  return best;
}

/// Float32 matrix-product peak of this process's threads on `device`, in GFLOP/s. On the CPU each
/// thread multiplies its own matrices, as the population's chunks do, through the BLAS (one thread
/// per product, as metaevo holds it) and through oneDNN, for which a 1x1 channels-last
/// convolution is a GEMM; the peak is the faster of the two, since the environment may pin
/// OpenBLAS to older kernels (OPENBLAS_CORETYPE) while oneDNN picks its own for the CPU. Returns
/// {peak, blas, onednn}.
std::array<double, 3> sgemm_gflops(torch::Device device) {
  if (device.is_cuda()) {
    const int64_t n = 4096;
    const auto a = torch::full({n, n}, 0.5f, torch::TensorOptions().device(device));
    const double rate = concurrent_gflops(1, 2.0 * double(n * n * n), [&] {
      torch::mm(a, a);
      torch::cuda::synchronize();  // the product runs asynchronously
    });
    return {rate, rate, std::numeric_limits<double>::quiet_NaN()};  // no oneDNN there: null in the JSON
  }
  const int threads = at::get_num_threads();
  const int64_t n = 1024, pixels = 16 * 8 * 8;
  const auto a = torch::full({n, n}, 0.5f);
  const auto channels_last = torch::TensorOptions().memory_format(torch::MemoryFormat::ChannelsLast);
  // 16 images: from a batch of 16 LibTorch takes oneDNN at any thread count (with fewer, 1x1
  // kernels on one thread go to its own im2col path, which multiplies with the BLAS).
  const auto image = torch::full({16, n, 8, 8}, 0.5f, channels_last);
  const auto kernel = torch::full({n, n, 1, 1}, 0.5f, channels_last);
  SingleThreadedBlas blas;
  const double blas_rate = concurrent_gflops(threads, 2.0 * double(n * n * n), [&] { torch::mm(a, a); });
  const double onednn_rate =
      concurrent_gflops(threads, 2.0 * double(pixels * n * n), [&] { torch::conv2d(image, kernel); });
  return {std::max(blas_rate, onednn_rate), blas_rate, onednn_rate};
}

int run_bench_es(const Common& common, const BenchEsArgs& a) {
  start_runtime(common);
  // The benchmark is an ordinary run configured in code, so it measures exactly what `metaevo es` runs.
  auto config = Config::parse(
      fmt::format(R"(
seed: {seed}
{problem}
strategy:
  name: {strategy}
  population: {population}
  low_rank: {low_rank}
run:
  generations: {generations}
  report_every: 0
  update: {update}
)",
                  fmt::arg("seed", a.seed), fmt::arg("problem", problem_block(a)), fmt::arg("strategy", a.strategy),
                  fmt::arg("population", a.population), fmt::arg("low_rank", a.low_rank),
                  fmt::arg("generations", a.generations), fmt::arg("update", a.update)),
      "metaevo bench es");
  auto run = es::make_es_run(config);
  auto& comm = dist::world();

  // One untimed generation of this process's shard first: allocator and BLAS warm-up are not
  // throughput.
  auto warm = run.strategy->ask();
  const auto [begin, end] = es::shard(warm.size, run.problem->eval_chunk(), comm.rank(), comm.size());
  if (end > begin) run.problem->evaluate(warm, begin, end);
  es::Driver driver(*run.strategy, *run.problem, run.driver);
  driver.distribute(comm);
  comm.barrier();
  const int64_t bytes_before = comm.bytes_sent();
  const auto t0 = std::chrono::steady_clock::now();
  auto result = driver.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<double> bytes{double(comm.bytes_sent() - bytes_before)};
  comm.all_reduce_sum(bytes);
  if (comm.rank() != 0) return 0;
  const double evals = double(result.state.evals);
  const double generations = double(std::max<int64_t>(1, result.state.generation));
  const double gflops = run.problem->flops_per_eval() * evals / seconds / 1e9;
  const auto [sgemm, blas_gflops, onednn_gflops] = sgemm_gflops(parse_device(a.device));
  nlohmann::json out = {{"benchmark", "es"},
                        {"strategy", a.strategy},
                        {"model", a.model},
                        {"hidden", a.hidden},
                        {"channels", a.model == "protonet" ? a.channels : 0},
                        {"dataset", a.model == "protonet" ? "omniglot-vinyals" : a.dataset},
                        {"device", a.device},
                        {"processes", comm.size()},
                        {"update", a.update},
                        {"threads", at::get_num_threads()},
                        {"params", run.problem->layout().dim()},
                        {"population", a.population},
                        {"batch", a.batch},
                        {"eval_chunk", run.problem->eval_chunk()},
                        {"low_rank", a.low_rank},
                        {"generations", result.state.generation},
                        {"seconds", seconds},
                        {"evals_per_s", evals / seconds},
                        {"generations_per_s", double(result.state.generation) / seconds},
                        // Dense-equivalent model FLOPs per second (2 x multiply-adds of the plain
                        // forward), whatever the perturbation scheme actually computed.
                        {"gflops_per_s", gflops},
                        {"sgemm_gflops_per_s", sgemm},
                        {"sgemm_fraction", gflops / sgemm},
                        {"blas_gflops_per_s", blas_gflops},
                        {"onednn_gflops_per_s", onednn_gflops},
                        // Sent by all processes together, per generation: fitness values, plus the update's
                        // partial sums (all_reduce) or slices (sliced).
                        {"bytes_per_generation", bytes[0] / generations},
                        // Rank 0's share of time in the update, which every rank repeats in
                        // replicated mode: N ranks speed up by at most 1 / (f + (1 - f) / N).
                        {"update_fraction", result.update_s / seconds},
                        // Rank 0's time per generation in its parts: evaluation (and the rest),
                        // the update's own work, and collectives (waits for other ranks included).
                        {"eval_s_per_generation", (seconds - result.update_s - result.comm_s) / generations},
                        {"update_s_per_generation", result.update_s / generations},
                        {"comm_s_per_generation", result.comm_s / generations},
                        {"peak_rss_mb", peak_rss_mb()},
                        {"test_acc", result.report.value("test_acc", 0.0)}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, Common& common, Action& action) {
  auto* bench = app.add_subcommand("bench", "benchmarks that print one JSON line");
  bench->require_subcommand(1);
  auto a = std::make_shared<BenchEsArgs>();
  auto* es = bench->add_subcommand("es", "ES throughput on a supervised model");
  es->add_option("--model", a->model, "mlp | cnn | protonet (conv4 on 5-way 5-shot 15-query Omniglot episodes)")
      ->check(CLI::IsMember({"mlp", "cnn", "protonet"}));
  es->add_option("--hidden", a->hidden, "hidden width of the mlp")->check(CLI::PositiveNumber);
  es->add_option("--channels", a->channels, "filters of each protonet conv block")->check(CLI::PositiveNumber);
  es->add_option("--dataset", a->dataset, "fashion-mnist | mnist (mlp, cnn)")
      ->check(CLI::IsMember({"fashion-mnist", "mnist"}));
  es->add_option("--data-dir", a->data_dir, "folder with the IDX files, or Omniglot's (protonet)");
  es->add_option("--strategy", a->strategy, "openai_es | pgpe | snes | sep_cmaes");
  es->add_option("--population", a->population, "members per generation")->check(CLI::PositiveNumber);
  es->add_option("--batch", a->batch, "minibatch per generation (mlp, cnn)")->check(CLI::PositiveNumber);
  es->add_option("--generations", a->generations, "timed generations")->check(CLI::PositiveNumber);
  es->add_option("--low-rank", a->low_rank, "rank of the perturbations (0 = full rank)")->check(CLI::NonNegativeNumber);
  es->add_option("--eval-chunk", a->eval_chunk, "members per batched forward (default: 16; protonet 1)")
      ->check(CLI::PositiveNumber);
  es->add_option("--seed", a->seed, "random seed")->check(CLI::NonNegativeNumber);
  es->add_option("--device", a->device, "cpu | cuda | cuda:N");
  es->add_option("--update", a->update, "under mpirun: replicated | all_reduce | sliced")
      ->check(CLI::IsMember({"replicated", "all_reduce", "sliced"}));
  es->callback([&common, &action, a] { action = [&common, a] { return run_bench_es(common, *a); }; });
  add_bench_tune(bench, action);
  add_bench_meta_memory(bench, common, action);
}

}  // namespace metaevo::cli
