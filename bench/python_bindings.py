#!/usr/bin/python3
"""metaevo from Python, side by side with C++ and with plain PyTorch, on the bench MLP
(784-128-10, ReLU, Fashion-MNIST, population 512, common minibatch of 256, OpenAI-ES with mirrored
sampling, centered ranks and Adam).

Per generation, the same fitness (the MLP of every member as batched products, on materialised
members) is run three ways through the same driver:
  native       the fitness in C++, no Python in the loop (metaevo._metaevo._bench_optimize_native)
  py_calls_cpp a batched Python callback that calls that same C++ fitness
  py_torch     a batched Python callback doing the same tensor operations in PyTorch
and the last is compared with bench/python_es_baseline.py --mode bmm, the plain-PyTorch ES loop
on the same problem (as PyTorch users run it, and with glibc's allocator tuned as metaevo tunes
it). The three driver runs must end on bitwise the same center. After one untimed native run,
every setting runs `--repeats` times (the plain loops `--plain-repeats`), interleaved; the best of
each is compared, and the overhead is also the median of the per-repeat (paired) ratios. A generation of
a trivial fitness (8 parameters) bounds the callback's own cost from above. The driver's
times include its first generation, the plain loop's exclude a warm-up generation. Prints one
JSON line.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_bindings.py --generations 20
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

import torch
import torch.nn.functional as F

import metaevo
from metaevo import _metaevo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_es_baseline import load_split, set_threads  # noqa: E402


def torch_fitness(members, x, y, hidden):
    """_bench_mlp_fitness in PyTorch, operation for operation."""
    p, d_in = members.size(0), x.size(1)
    w1, b1, w2, b2 = members.split([hidden * d_in, hidden, 10 * hidden, 10], dim=1)
    h = torch.relu(torch.baddbmm(b1.unsqueeze(1), x.expand(p, -1, -1), w1.view(p, hidden, d_in).transpose(1, 2)))
    logits = torch.baddbmm(b2.unsqueeze(1), h, w2.view(p, 10, hidden).transpose(1, 2))
    loss = F.cross_entropy(logits.reshape(-1, 10), y.repeat(p), reduction="none")
    return -loss.view(p, -1).mean(1).double()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=512)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--generations", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5, help="runs of each driver setting")
    ap.add_argument("--plain-repeats", type=int, default=2, help="runs of each plain-PyTorch setting")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    set_threads(args.threads)

    x_train, y_train = load_split("train")
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, x_train.size(0), (args.generations, args.batch), generator=g)
    xs, ys = x_train[idx], y_train[idx]  # one common minibatch per generation
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, args.hidden), torch.nn.ReLU(), torch.nn.Linear(args.hidden, 10))
    x0 = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    settings = {"population": args.population, "sigma": 0.02, "mirrored": True, "shaping": "centered_rank",
                "optimizer": {"name": "adam", "lr": 0.01}}

    def strategy():
        return metaevo.Strategy("openai_es", x0, seed=1, maximize=True, **settings)

    def native():
        seconds, center = _metaevo._bench_optimize_native(json.dumps(dict(settings, name="openai_es")), x0, 1, xs, ys,
                                                          args.hidden, args.generations)
        return seconds, center

    def through_python(fitness):
        calls = [0]

        def callback(members):
            gen = calls[0] % args.generations
            calls[0] += 1
            return fitness(members, xs[gen], ys[gen], args.hidden)
        result = metaevo.optimize(strategy(), callback, generations=args.generations, log_every_s=0)
        return result["elapsed_s"], result["center"]

    def plain_pytorch(env):
        out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "python_es_baseline.py"),
                              "--mode", "bmm", "--population", str(args.population), "--batch", str(args.batch),
                              "--generations", str(args.generations), "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True, env=dict(os.environ, **env))
        r = json.loads(out.stdout.strip().splitlines()[-1])
        return r["seconds"], None

    # metaevo keeps large freed blocks in the process (core/runtime.h, configure_allocator); the
    # plain loop runs once as PyTorch users run it and once with glibc tuned the same way.
    same_malloc = {"GLIBC_TUNABLES": "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1073741824:"
                                     "glibc.malloc.top_pad=67108864"}
    runs = {"native": native, "py_calls_cpp": lambda: through_python(_metaevo._bench_mlp_fitness),
            "py_torch": lambda: through_python(torch_fitness), "plain_pytorch_es": lambda: plain_pytorch({}),
            "plain_pytorch_es_same_malloc": lambda: plain_pytorch(same_malloc)}
    native()  # warm-up: the allocator's pool, the thread pool
    seconds = {name: [] for name in runs}
    centers = {}
    for repeat in range(max(args.repeats, args.plain_repeats)):
        for name, run in runs.items():
            if repeat >= (args.plain_repeats if name.startswith("plain") else args.repeats):
                continue
            s, center = run()
            seconds[name].append(round(s, 4))
            if center is not None:
                centers[name] = center
    per_gen = {name: min(v) / args.generations for name, v in seconds.items()}
    # An upper bound on the callback's own cost per generation: a whole generation (ask, the
    # callback round trip, tell) of a trivial fitness on 8 parameters, same population.
    tiny = metaevo.optimize(metaevo.Strategy("openai_es", torch.zeros(8), seed=1, population=args.population),
                            lambda x: x.sum(dim=1), generations=200, log_every_s=0)
    tiny_s = tiny["elapsed_s"] / 200
    # Paired: each repeat runs the three driver settings back to back, so a slower spell of the
    # machine slows all three; the median of the per-repeat ratios is the overhead's estimate.
    paired = {name: round(statistics.median(p / n - 1 for p, n in zip(seconds[name], seconds["native"])), 4)
              for name in ("py_calls_cpp", "py_torch")}
    print(json.dumps({
        "benchmark": "python_bindings",
        "population": args.population, "batch": args.batch, "hidden": args.hidden, "generations": args.generations,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "s_per_generation_best": {k: round(v, 5) for k, v in per_gen.items()},
        "callback_overhead_paired_median": paired,
        "callback_overhead_fraction_best": {
            "py_calls_cpp": round(per_gen["py_calls_cpp"] / per_gen["native"] - 1, 4),
            "py_torch": round(per_gen["py_torch"] / per_gen["native"] - 1, 4)},
        "trivial_fitness_generation_s": round(tiny_s, 6),
        "callback_cost_bound_fraction": round(tiny_s / per_gen["native"], 6),
        "same_center": all(torch.equal(c, centers["native"]) for c in centers.values()),
        "evals_per_s_best": {k: round(args.population / v, 1) for k, v in per_gen.items()},
        "metaevo_python_vs_plain_pytorch": round(per_gen["plain_pytorch_es"] / per_gen["py_torch"], 3),
        "metaevo_python_vs_plain_pytorch_same_malloc": round(per_gen["plain_pytorch_es_same_malloc"] / per_gen["py_torch"], 3),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
