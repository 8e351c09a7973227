// Micro-benchmarks of the ES hot paths: noise generation, the batched population forward and the
// update's noise sum.
//   build/bench/metaevo_micro_bench --benchmark_format=json
#include <benchmark/benchmark.h>

#include "metaevo/core/philox.h"
#include "metaevo/es/population_forward.h"
#include "metaevo/models/parameters.h"
#include "metaevo/models/zoo.h"

namespace {

using namespace metaevo;

void BM_PhiloxNormal(benchmark::State& state) {
  const int64_t n = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(philox_normal_rows({1, 2, 3, 4}, 16, n / 16));
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PhiloxNormal)->Arg(1 << 20)->Arg(1 << 24)->Unit(benchmark::kMillisecond);

// The ES bench's model: an MLP 784-128-10.
torch::nn::Sequential bench_mlp() {
  models::ModelOptions o;
  o.hidden = {128};
  return models::make_classifier(o, {1, 28, 28}, 10, 0);
}

// The MLP on a 256 minibatch, 64 members per chunk (the ES bench's shape).
void BM_PopulationForward(benchmark::State& state) {
  auto net = bench_mlp();
  es::Population pop;
  pop.size = 64;
  pop.center = models::flatten_parameters(*net);
  pop.sigma = torch::tensor(0.02f);
  pop.mirrored = true;
  pop.noise = std::make_shared<es::Noise>(0, models::parameter_layout(*net), state.range(0));
  auto x = torch::rand({256, 1, 28, 28});
  for (auto _ : state) benchmark::DoNotOptimize(es::population_forward(net, pop, 0, 64, x));
  state.SetItemsProcessed(state.iterations() * 64);
  state.SetLabel(state.range(0) ? "low-rank" : "full-rank");
}
BENCHMARK(BM_PopulationForward)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond);

// The update's noise sum at the ES bench's shape: 256 mirrored pairs of an MLP 784-128-10 (the
// weights of a population of 512), which every rank repeats in the replicated MPI mode.
void BM_WeightedSum(benchmark::State& state) {
  const es::Noise noise(0, models::parameter_layout(*bench_mlp()), state.range(0));
  const auto w = torch::randn({256});
  for (auto _ : state) benchmark::DoNotOptimize(noise.weighted_sum(0, w));
  state.SetItemsProcessed(state.iterations() * 256);
  state.SetLabel(state.range(0) ? "low-rank" : "full-rank");
}
BENCHMARK(BM_WeightedSum)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond);

// Generating the low-rank factors alone for those 256 pairs (first layer, 128 x 784).
void BM_LowRankFactors(benchmark::State& state) {
  es::Layout layout;
  layout.add("w", {128, 784});
  const es::Noise noise(0, layout, 4);
  for (auto _ : state) benchmark::DoNotOptimize(noise.factors(0, 0, 0, 256));
  state.SetItemsProcessed(state.iterations() * 256);
}
BENCHMARK(BM_LowRankFactors)->Unit(benchmark::kMillisecond);

}  // namespace
