#!/usr/bin/python3
"""The ES ProtoNet written by hand in plain PyTorch: the peer of `metaevo bench es --model protonet`.

Same shapes as the C++ benchmark: the conv4 encoder (64 filters), one 5-way 5-shot 15-query
episode of 28x28 images (100 images) shared by every member, mirrored Gaussian perturbations
(sigma 0.01), centered ranks and Adam (lr 0.001). Each member is evaluated the way a user would
write it: its perturbed weights loaded into the module, one forward pass with batch-norm on the
episode's statistics, the prototypical query loss. The images are random: dense convolutions take
the same time whatever the pixels. Prints one JSON line.

Run with Debian's interpreter (that is where python3-torch lives):
    /usr/bin/python3 bench/protonet_es_peer.py --population 128 --generations 3 --threads 2
(--device cuda on a GPU machine: bench/gpu.sh).
"""
import argparse
import json
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from python_es_baseline import set_threads


def conv4(channels):
    layers = []
    for block in range(4):
        layers += [nn.Conv2d(1 if block == 0 else channels, channels, 3, padding=1), nn.BatchNorm2d(channels),
                   nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten())


def query_loss(embeddings, ways, shots, queries):
    support, query = embeddings[:ways * shots], embeddings[ways * shots:]
    prototypes = support.view(ways, shots, -1).mean(1)
    logits = -torch.cdist(query, prototypes).pow(2)
    labels = torch.arange(ways, device=embeddings.device).repeat_interleave(queries)
    return F.cross_entropy(logits, labels).item()


def centered_ranks(x):
    ranks = torch.empty_like(x)
    ranks[x.argsort()] = torch.arange(len(x), dtype=x.dtype)
    return ranks / (len(x) - 1) - 0.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--population", type=int, default=128)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--sigma", type=float, default=0.01)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--channels-last", action="store_true",
                    help="the network and images in channels-last, as PyTorch's performance guide advises for oneDNN")
    args = ap.parse_args()
    assert args.population % 2 == 0, "mirrored sampling needs an even population"
    device = torch.device(args.device)
    set_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.set_grad_enabled(False)  # ES never backpropagates

    ways, shots, queries = 5, 5, 15
    images = torch.rand(ways * (shots + queries), 1, 28, 28).to(device)
    net = conv4(args.channels).to(device).train()  # batch-norm on the episode's statistics
    center = parameters_to_vector(net.parameters()).clone()
    if args.channels_last:
        images = images.to(memory_format=torch.channels_last)
        net = net.to(memory_format=torch.channels_last)

    def load(vector):
        if not args.channels_last:
            vector_to_parameters(vector, net.parameters())
            return
        offset = 0  # copied into the parameters, which keeps their memory format
        for p in net.parameters():
            p.copy_(vector[offset:offset + p.numel()].view_as(p))
            offset += p.numel()
    adam = torch.optim.Adam([center.requires_grad_()], lr=args.lr)

    def generation():
        half = torch.randn(args.population // 2, center.numel(), device=device)
        noise = torch.cat([half, -half])
        fitness = torch.empty(args.population)
        for i in range(args.population):
            load(center.detach() + args.sigma * noise[i])
            fitness[i] = query_loss(net(images), ways, shots, queries)
        weights = centered_ranks(fitness)  # ranks of the loss estimate its gradient, which Adam descends
        center.grad = weights.to(device) @ noise / (args.population * args.sigma)
        adam.step()

    generation()  # warm-up, not timed
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    synchronize()
    start = time.perf_counter()
    for _ in range(args.generations):
        generation()
    synchronize()
    seconds = time.perf_counter() - start
    print(json.dumps({"benchmark": "protonet_es_peer", "torch": torch.__version__, "device": args.device,
                      "threads": args.threads, "channels_last": args.channels_last,
                      "channels": args.channels, "params": center.numel(), "population": args.population,
                      "generations": args.generations, "seconds": seconds,
                      "evals_per_s": args.population * args.generations / seconds}))


if __name__ == "__main__":
    main()
