"""Loads a metaevo weights.pt into the equivalent torch.nn module and checks its logits.

    pytorch_logits.py MODEL WEIGHTS CASE
MODEL is "conv4:IN:CHANNELS" (the ProtoNet encoder) or "mlp:POOL:H1,H2,...:CLASSES" /
"cnn:POOL:C1,C2,...:CLASSES" (metaevo's classifiers on 1x28x28 images); CASE is a file torch.load
reads as {"x": inputs, "logits": metaevo's outputs}. Exit 0 when the outputs match.
"""
import sys

import torch
from torch import nn


def conv4(in_channels, channels):
    layers = []
    for block in range(4):
        layers += [nn.Conv2d(in_channels if block == 0 else channels, channels, 3, padding=1),
                   nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten())


def classifier(kind, pool, widths, classes):
    layers, side, channels = [], 28, 1
    if pool > 1:
        layers.append(nn.AvgPool2d(pool))
        side //= pool
    if kind == "cnn":
        for out in widths:
            layers += [nn.Conv2d(channels, out, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2)]
            channels, side = out, side // 2
        return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * side * side, classes))
    layers.append(nn.Flatten())
    width = channels * side * side
    for out in widths:
        layers += [nn.Linear(width, out), nn.ReLU()]
        width = out
    return nn.Sequential(*layers, nn.Linear(width, classes))


def build(spec):
    parts = spec.split(":")
    if parts[0] == "conv4":
        return conv4(int(parts[1]), int(parts[2]))
    return classifier(parts[0], int(parts[1]), [int(w) for w in parts[2].split(",")], int(parts[3]))


def main():
    model = build(sys.argv[1])
    model.load_state_dict(torch.load(sys.argv[2]))  # strict: every name must match
    model.eval()
    case = torch.load(sys.argv[3])
    with torch.no_grad():
        logits = model(case["x"])
    diff = (logits - case["logits"]).abs().max().item()
    print(f"max |pytorch - metaevo| = {diff:.3g}")
    sys.exit(0 if diff <= 1e-5 else 1)


if __name__ == "__main__":
    main()
