#!/usr/bin/python3
"""Cost per reported result of a tuning study, metaevo against Optuna 3.1, on SQLite and PostgreSQL.

    /usr/bin/python3 bench/storage_vs_optuna.py [--sizes 1000 10000] [--backends sqlite postgresql]
                                                [--out runs/bench-storage]

Both run one worker of the same study: the closed-form learning curve of metaevo's `synthetic`
objective (x, y in [0, 1]; up to 27 epochs), random sampling, and asynchronous successive halving in
its stopping form (metaevo `asha_stopping`, Optuna `SuccessiveHalvingPruner`; r_min 1, eta 3). Each
reported epoch is one result; the cost per result is the study's wall time (first trial started to
last result) over the results, and the same over the last tenth of the trials (the cost once the
study is large). PostgreSQL is a throwaway server with the default durability (fsync on), started
here (scripts/throwaway_postgres.sh) and shared by both. Prints one JSON object, also written to
OUT/results.json. Run it with nothing else running.
"""
import argparse
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_T = 27


def synthetic_value(x, y, epoch):
    """metaevo's `synthetic` objective (src/metaevo/hpo/objectives/synthetic_objective.cpp)."""
    level = 0.9 - (x - 0.3) ** 2 - 0.5 * (y - 0.7) ** 2
    return level * (1 - math.exp(-(0.05 + 0.5 * y) * epoch))


def costs(times):
    """(mean over the study, mean over its last tenth) in microseconds per result, from the
    completion times of the results (or trials, with their result counts)."""
    stamps = sorted(times)
    n = len(stamps)
    tail = stamps[n - n // 10 - 1:]
    return ((stamps[-1] - stamps[0]) / (n - 1) * 1e6, (tail[-1] - tail[0]) / (len(tail) - 1) * 1e6)


def run_metaevo(location, trials, folder):
    config = folder / "tune.yaml"
    config.write_text(
        "seed: 1\nthreads: 1\nobjective: {type: synthetic}\n"
        f"scheduler: {{name: asha_stopping, r_min: 1, eta: 3, max_t: {MAX_T}}}\n"
        f"sampler: {{name: random}}\ntuner: {{max_trials: {trials}}}\n")
    start = time.time()
    subprocess.run([str(ROOT / "build/bin/metaevo"), "tune", "--config", str(config), "--output", str(folder / "out"),
                    "--storage", location, "--log-level", "warn"], check=True)
    wall = time.time() - start
    # The result times from the study itself, read back through sqlite3 or psql.
    query = "SELECT time FROM events WHERE kind = 'result' ORDER BY id"
    if location.startswith("postgresql://"):
        out = subprocess.run(["psql", location, "-qAtX", "-c", query], check=True, capture_output=True, text=True)
        times = [float(t) for t in out.stdout.split()]
    else:
        import sqlite3
        times = [t for (t,) in sqlite3.connect(location).execute(query)]
    mean, tail = costs(times)
    return {"results": len(times), "us_per_result": mean, "us_per_result_last_tenth": tail, "wall_s": wall}


def optuna_worker(url, trials):
    """One Optuna worker on the same study; prints its figures as JSON (run in its own process)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(storage=url, direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(
                                    min_resource=1, reduction_factor=3, min_early_stopping_rate=0))
    reported = []

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        for epoch in range(1, MAX_T + 1):
            value = synthetic_value(x, y, epoch)
            trial.report(value, epoch)
            reported.append(time.time())
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    start = time.time()
    study.optimize(objective, n_trials=trials)
    wall = time.time() - start
    mean, tail = costs(reported)
    print(json.dumps({"results": len(reported), "us_per_result": mean, "us_per_result_last_tenth": tail,
                      "wall_s": wall, "optuna": optuna.__version__}))


def run_optuna(url, trials):
    out = subprocess.run([sys.executable, __file__, "--optuna-worker", url, str(trials)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--out", default="runs/bench-storage")
    parser.add_argument("--optuna-worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.optuna_worker:
        return optuna_worker(args.optuna_worker[0], int(args.optuna_worker[1]))

    out = pathlib.Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    server = None
    env = {}
    if "postgresql" in args.backends:
        server = tempfile.mkdtemp(prefix="metaevo-bench-pg.")
        started = subprocess.run([str(ROOT / "scripts/throwaway_postgres.sh"), "start", server], check=True,
                                 capture_output=True, text=True, env={**os.environ, "THROWAWAY_PG_FSYNC": "on"})
        for line in started.stdout.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value.strip("'")
        os.environ["PGPASSWORD"] = env["PGPASSWORD"]
    rows = []
    try:
        for backend in args.backends:
            for trials in args.sizes:
                folder = out / f"{backend}-{trials}"
                folder.mkdir()
                if backend == "sqlite":
                    ours, theirs = str(folder / "metaevo.db"), f"sqlite:///{folder / 'optuna.db'}"
                else:
                    admin = env["METAEVO_TEST_POSTGRES"]
                    base = admin[:admin.rfind("/") + 1]
                    for db in ("metaevo", "optuna"):
                        subprocess.run(["psql", admin, "-qX", "-c", f"CREATE DATABASE {db}_{trials}"], check=True)
                    ours = f"{base}metaevo_{trials}"
                    theirs = base.replace("postgresql://", "postgresql+psycopg2://") + f"optuna_{trials}"
                row = {"backend": backend, "trials": trials, "metaevo": run_metaevo(ours, trials, folder),
                       "optuna": run_optuna(theirs, trials)}
                row["speedup"] = row["optuna"]["us_per_result"] / row["metaevo"]["us_per_result"]
                row["speedup_last_tenth"] = (row["optuna"]["us_per_result_last_tenth"] /
                                             row["metaevo"]["us_per_result_last_tenth"])
                print(json.dumps(row), file=sys.stderr)
                rows.append(row)
    finally:
        if server:
            subprocess.run([str(ROOT / "scripts/throwaway_postgres.sh"), "stop", server], check=False)
    growth = {}
    for backend in args.backends:
        by_size = {r["trials"]: r["metaevo"] for r in rows if r["backend"] == backend}
        small, large = min(by_size), max(by_size)
        if small != large:
            growth[backend] = {key: by_size[large][key] / by_size[small][key]
                               for key in ("us_per_result", "us_per_result_last_tenth")}
    result = {"benchmark": "storage_vs_optuna", "rows": rows, "metaevo_growth_largest_over_smallest": growth}
    (out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
