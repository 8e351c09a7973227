#!/usr/bin/env python3
"""Where an ES ProtoNet generation's time goes (issue 27): runs `metaevo bench es --model protonet`
with oneDNN's verbose mode, which times every convolution and layout reorder it executes, and
splits the evaluation's thread time into those primitives and the rest (LibTorch's own batch-norm,
ReLU, pooling, noise and loss). perf cannot name the kernels of Debian's stripped LibTorch, and
LibTorch's operator profiler slowed the run sixfold; oneDNN's own timers add little.

Prints one JSON object: milliseconds of thread time per member evaluation for each primitive kind,
implementation and problem shape, and for the rest.
  bench/protonet_es_profile.py [--metaevo build/bin/metaevo] [--population 32] [--generations 3]
"""
import argparse
import collections
import json
import os
import subprocess


def run(args, generations):
    """oneDNN's time per primitive (ms, summed over threads) and the bench's JSON line."""
    env = dict(os.environ, MKLDNN_VERBOSE="1", DNNL_VERBOSE="1", ONEDNN_VERBOSE="1")  # the name moved between versions
    out = subprocess.run([args.metaevo, "--threads", str(args.threads), "--log-level", "warn", "bench", "es",
                          "--model", "protonet", "--population", str(args.population),
                          "--generations", str(generations)],
                         env=env, check=True, capture_output=True, text=True).stdout.splitlines()
    totals = collections.defaultdict(float)
    for line in out:
        if line.startswith(("onednn_verbose,exec", "dnnl_verbose,exec")):
            fields = line.split(",")
            totals[f"{fields[3]} {fields[4]} {fields[-2]}"] += float(fields[-1])
    if not totals:
        raise SystemExit(f"{args.metaevo}: oneDNN printed no timings (is LibTorch built with oneDNN?)")
    return totals, json.loads(out[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--metaevo", default="build/bin/metaevo")
    ap.add_argument("--population", type=int, default=32)
    ap.add_argument("--generations", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    # The warm-up generation and the closing validation episode run in both, so the difference of
    # a run of 1 + G generations and one of 1 is G timed generations' primitives.
    base, _ = run(args, 1)
    totals, result = run(args, 1 + args.generations)
    members = args.population * args.generations
    per_member = {k: (v - base.get(k, 0.0)) / members for k, v in totals.items()}
    thread_ms = result["eval_s_per_generation"] * (1 + args.generations) * args.threads * 1e3 / (members + args.population)
    print(json.dumps({
        "binary": args.metaevo, "population": args.population, "generations": args.generations,
        "threads": args.threads, "evals_per_s": result["evals_per_s"], "ms_per_member": thread_ms,
        "onednn_ms_per_member": {k: round(v, 4) for k, v in sorted(per_member.items(), key=lambda kv: -kv[1])},
        "rest_ms_per_member": thread_ms - sum(per_member.values()),
    }, indent=1))


if __name__ == "__main__":
    main()
