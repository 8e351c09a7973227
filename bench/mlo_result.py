#!/usr/bin/env python3
"""One JSON line from a `metaevo mlo` run folder's result.json for the mlo benchmarks: the given
tags (key=value, numbers parsed), upper steps per second of training (validation left out, the
problem named by --upper), upper steps, peak resident memory (in all and above the memory held
once data and problems were set up) and the final test accuracy.
Usage: mlo_result.py RUN_DIR [--upper NAME] [key=value ...]"""
import json
import sys

args = sys.argv[1:]
folder, upper = args.pop(0), "reweight"
if args[:1] == ["--upper"]:
    upper = args[1]
    args = args[2:]
r = json.load(open(folder + "/result.json"))
line = {}
for tag in args:
    key, _, value = tag.partition("=")
    try:
        line[key] = json.loads(value)
    except ValueError:
        line[key] = value
line.update({"processes": r["processes"], "steps_per_s": 1 / r["seconds_per_step"][upper],
             "upper_steps": r["steps"][upper], "peak_rss_mb": r["peak_rss_mb"],
             "peak_rss_above_start_mb": r.get("peak_rss_above_start_mb"), "test_acc": r["test_acc"]})
print(json.dumps(line))
