#!/usr/bin/env python3
"""The peer of `metaevo mlo --config configs/mlo-reweight-fashion.yaml`: the same Meta-Weight-Net
program written by hand in plain PyTorch, as a user would with torch.autograd.grad (issue 34).

The same data (the first TRAIN images of Fashion-MNIST's training file with a fraction NOISE of
labels flipped uniformly to another class; its last VALID images, clean, as the meta set; the test
file), the same networks (an MLP 784-HIDDEN-10 classifier and a 1-100-1 weight net with a sigmoid,
torch.nn.Linear's initialisation), the same losses (the classifier minimises sum(w_i l_i) / sum(w_i)
with w_i = weightnet(l_i) on the loss as a number; the weight net the classifier's loss on a clean
meta batch), the same optimizers (Adam, lr 1e-3 for both), the same schedule (one classifier step,
then one weight-net step, per iteration) and the same hypergradient as metaevo's `darts`: with v
the meta loss's gradient on the classifier's weights w after its step,
  g = (grad_lambda L_train(w - eps v) - grad_lambda L_train(w + eps v)) / (2 eps), eps = 0.01 / |v|,
on the classifier's last batch. The random draws (label noise, batch order, initial weights) are
torch's, not metaevo's Philox streams, so runs agree in distribution, not bit for bit.

Prints one JSON line: upper steps per second of training (validation left out), peak resident
memory of the process, and the test accuracy at the end.
Usage: mlo_reweight_peer.py [--iters N] [--batch B] [--hidden H] [--threads T] [--seed S]
"""
import argparse
import json
import resource
import time

import torch
import torch.nn.functional as F

from python_es_baseline import load_split, set_threads

def linear_params(sizes):
    params = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layer = torch.nn.Linear(fan_in, fan_out)
        params += [layer.weight.detach().clone().requires_grad_(), layer.bias.detach().clone().requires_grad_()]
    return params


def mlp(x, params):
    for i in range(0, len(params), 2):
        x = F.linear(x, params[i], params[i + 1])
        if i + 2 < len(params):
            x = F.relu(x)
    return x


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--meta-batch", type=int, default=None)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--train", type=int, default=10000)
    parser.add_argument("--valid", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=0.4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    meta_batch = args.meta_batch or args.batch
    set_threads(args.threads)
    torch.manual_seed(args.seed)

    pool_x, pool_y = load_split("train")
    test_x, test_y = load_split("t10k")
    x_train, clean = pool_x[: args.train], pool_y[: args.train]
    x_meta, y_meta = pool_x[-args.valid :], pool_y[-args.valid :]
    flip = torch.rand(args.train) < args.noise
    other = torch.randint(0, 9, (args.train,))
    y_train = torch.where(flip, other + (other >= clean).long(), clean)

    classifier = linear_params([784, args.hidden, 10])
    weightnet = linear_params([1, 100, 1])
    opt_c = torch.optim.Adam(classifier, lr=1e-3)
    opt_w = torch.optim.Adam(weightnet, lr=1e-3)

    def batches(n, size):
        while True:
            order = torch.randperm(n)
            for k in range(n // size):
                yield order[k * size : (k + 1) * size]

    train_batches, meta_batches = batches(args.train, args.batch), batches(args.valid, meta_batch)

    def train_loss(params, x, y):
        losses = F.cross_entropy(mlp(x, params), y, reduction="none")
        w = torch.sigmoid(mlp(losses.detach().unsqueeze(1), weightnet)).squeeze(1)
        return (w * losses).sum() / w.sum()

    start = time.perf_counter()
    for _ in range(args.iters):
        idx = next(train_batches)
        x, y = x_train[idx], y_train[idx]
        grads = torch.autograd.grad(train_loss(classifier, x, y), classifier)
        for p, g in zip(classifier, grads):
            p.grad = g
        opt_c.step()

        m = next(meta_batches)
        v = torch.autograd.grad(F.cross_entropy(mlp(x_meta[m], classifier), y_meta[m]), classifier)
        eps = 0.01 / torch.sqrt(sum((t * t).sum() for t in v)).item()
        with torch.no_grad():
            plus = [(p + eps * t).requires_grad_() for p, t in zip(classifier, v)]
            minus = [(p - eps * t).requires_grad_() for p, t in zip(classifier, v)]
        g_plus = torch.autograd.grad(train_loss(plus, x, y), weightnet)
        g_minus = torch.autograd.grad(train_loss(minus, x, y), weightnet)
        for p, gp, gm in zip(weightnet, g_plus, g_minus):
            p.grad = (gm - gp) / (2 * eps)
        opt_w.step()
    seconds = time.perf_counter() - start

    with torch.no_grad():
        test_acc = (mlp(test_x, classifier).argmax(1) == test_y).double().mean().item()
    print(json.dumps({"peer": "pytorch", "torch": torch.__version__, "threads": args.threads,
                      "upper_steps": args.iters, "steps_per_s": args.iters / seconds,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "test_acc": test_acc}))


if __name__ == "__main__":
    main()
