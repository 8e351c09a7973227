#!/usr/bin/python3
"""Plain-PyTorch OpenAI-ES baseline that the C++ engine is compared against.

Same shape as the C++ benchmark: MLP 784-128-10 (ReLU) on Fashion-MNIST,
mirrored sampling, centered-rank shaping, Adam. Prints one JSON line.

Run with Debian's interpreter (that is where python3-torch lives):
    /usr/bin/python3 bench/python_es_baseline.py --generations 20 [--mode bmm]
(--device cuda --data-dir DIR on a GPU machine: bench/gpu.sh).
"""
import argparse
import ctypes
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

try:  # torch 1.13 ships vmap as the separate functorch package
    from functorch import make_functional, vmap
    HAVE_VMAP = True
except ImportError:
    HAVE_VMAP = False

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def set_threads(n):
    """Runs torch's own loops and its BLAS on n threads. torch.set_num_threads leaves Debian's
    pthreads OpenBLAS on its own pool (as many threads as cores), so a peer told to use 1 thread
    would still multiply matrices on all of them: metaevo holds OpenBLAS to its thread count."""
    torch.set_num_threads(n)
    blas = ctypes.CDLL("libblas.so.3")  # the handle torch already loaded
    if hasattr(blas, "openblas_set_num_threads"):
        blas.openblas_set_num_threads(n)


def load_idx(name, header, data_dir):
    with gzip.open(os.path.join(data_dir, name), "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load_split(prefix, data_dir=DATA_DIR):
    x = load_idx(f"{prefix}-images-idx3-ubyte.gz", 16, data_dir).reshape(-1, 784)
    y = load_idx(f"{prefix}-labels-idx1-ubyte.gz", 8, data_dir)
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=512)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--generations", type=int, default=20)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--mode", choices=["vmap", "bmm"], default="vmap" if HAVE_VMAP else "bmm")
    ap.add_argument("--sigma", type=float, default=0.02)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--data-dir", default=DATA_DIR, help="Fashion-MNIST's (or MNIST's) gzipped IDX files")
    args = ap.parse_args()
    if args.mode == "vmap" and not HAVE_VMAP:
        ap.error("functorch is not importable; use --mode bmm")
    assert args.population % 2 == 0, "mirrored sampling needs an even population"

    device = torch.device(args.device)
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.set_grad_enabled(False)  # ES never backpropagates

    x_train, y_train = (t.to(device) for t in load_split("train", args.data_dir))
    x_test, y_test = (t.to(device) for t in load_split("t10k", args.data_dir))

    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).to(device)
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]
    center = torch.nn.utils.parameters_to_vector(model.parameters()).clone()
    n_params = center.numel()
    opt = torch.optim.Adam([center], lr=args.lr)

    pop, half = args.population, args.population // 2
    if args.mode == "vmap":
        fmodel, _ = make_functional(model)
        batched_forward = vmap(fmodel, in_dims=(0, None))

    def unflatten(flat):  # [P, n_params] -> per-layer views [P, *shape]
        return [c.view(flat.shape[0], *s) for c, s in zip(flat.split(sizes, dim=1), shapes)]

    def population_logits(flat, x):  # -> [P, B, 10]
        w1, b1, w2, b2 = unflatten(flat)
        if args.mode == "vmap":
            return batched_forward((w1, b1, w2, b2), x)
        h = torch.relu(torch.baddbmm(b1.unsqueeze(1), x.expand(flat.shape[0], -1, -1), w1.transpose(1, 2)))
        return torch.baddbmm(b2.unsqueeze(1), h, w2.transpose(1, 2))

    ranks_base = torch.arange(pop, dtype=torch.float32, device=device)

    def generation():
        idx = torch.randint(0, x_train.shape[0], (args.batch,), device=device)
        x, y = x_train[idx], y_train[idx]  # one common minibatch for every member
        noise = torch.randn(half, n_params, device=device)
        eps = torch.cat([noise, -noise])  # mirrored pairs
        logits = population_logits(center + args.sigma * eps, x)
        loss = F.cross_entropy(logits.reshape(-1, 10), y.repeat(pop), reduction="none").view(pop, -1).mean(1)
        # centered ranks in [-0.5, 0.5]: invariant to the loss scale, robust to outliers
        shaped = torch.empty(pop, device=device)
        shaped[loss.argsort()] = ranks_base / (pop - 1) - 0.5
        center.grad = eps.t() @ shaped / (pop * args.sigma)  # estimate of d(loss)/d(center)
        opt.step()

    generation()  # warm-up: allocator, thread pool, vmap tracing
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    synchronize()
    t0 = time.perf_counter()
    for _ in range(args.generations):
        generation()
    synchronize()
    seconds = time.perf_counter() - t0

    torch.nn.utils.vector_to_parameters(center, model.parameters())
    test_acc = (model(x_test).argmax(1) == y_test).float().mean().item()

    print(json.dumps({
        "benchmark": "python_es_baseline",
        "mode": args.mode,
        "device": args.device,
        "threads": torch.get_num_threads(),
        "population": pop,
        "batch": args.batch,
        "params": n_params,
        "generations": args.generations,
        "seconds": round(seconds, 4),
        "evals_per_s": round(pop * args.generations / seconds, 1),
        "generations_per_s": round(args.generations / seconds, 3),
        "test_acc": round(test_acc, 4),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
