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
on the same problem. The three driver runs must end on bitwise the same center. Every setting runs
`--repeats` times, interleaved. Prints one JSON line.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_bindings.py --generations 20
"""
import argparse
import json
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

import metaevo
from metaevo import _metaevo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from python_es_baseline import load_split  # noqa: E402


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
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_grad_enabled(False)

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

    def plain_pytorch():
        out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "python_es_baseline.py"),
                              "--mode", "bmm", "--population", str(args.population), "--batch", str(args.batch),
                              "--generations", str(args.generations)], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        return r["seconds"], None

    runs = {"native": native, "py_calls_cpp": lambda: through_python(_metaevo._bench_mlp_fitness),
            "py_torch": lambda: through_python(torch_fitness), "plain_pytorch_es": plain_pytorch}
    seconds = {name: [] for name in runs}
    centers = {}
    for _ in range(args.repeats):
        for name, run in runs.items():
            s, center = run()
            seconds[name].append(round(s, 4))
            if center is not None:
                centers[name] = center
    per_gen = {name: min(v) / args.generations for name, v in seconds.items()}
    evals = args.population * args.generations
    print(json.dumps({
        "benchmark": "python_bindings",
        "population": args.population, "batch": args.batch, "hidden": args.hidden, "generations": args.generations,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "s_per_generation_best": {k: round(v, 5) for k, v in per_gen.items()},
        "callback_overhead_fraction": {
            "py_calls_cpp": round(per_gen["py_calls_cpp"] / per_gen["native"] - 1, 4),
            "py_torch": round(per_gen["py_torch"] / per_gen["native"] - 1, 4)},
        "same_center": all(torch.equal(c, centers["native"]) for c in centers.values()),
        "evals_per_s_best": {k: round(args.population / v, 1) for k, v in per_gen.items()},
        "metaevo_python_vs_plain_pytorch": round(per_gen["plain_pytorch_es"] / per_gen["py_torch"], 3),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
