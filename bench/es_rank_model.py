"""ES time per generation against ranks, from measured parts (bench/es_rank_model.sh).

Reads `metaevo bench es` JSON lines (1 process, and 2 and 4 ranks in the replicated and sliced
update modes), averages the repetitions per setting and models rank 0's time per generation as

  T(N) = E(N) + U(N) + C(N)
  E(N) = E1 * ceil(c / N) / c * o(N) * k2     evaluation: the largest shard of c eval chunks
  U(N) = U1 * o(N) * k2                       replicated: every rank makes the whole update
       = U1 * (1 - p + p / N) * o(N) * k2     sliced: the share p that splits over the ranks
  C(N) = S * ceil(log2 N) + b * B2 * (N - 1) / N
                                              collectives: synchronisation S per tree level
                                              (latency and waits), and bytes: all ranks send
                                              B2 (N - 1) per generation, B2 as on 2 ranks
  o(N) = max(1, N / cores)                    ranks sharing cores slow down alike
  k2                                          a rank's slow-down beside others (memory, caches)

E1 and U1 come from the 1-process run; k2 from the evaluation of the 2-rank runs against half of
E1 (at least 1); S from the 2-rank replicated run (fitness only, so its collective time is latency and
waiting); p and b from the 2-rank sliced run. The 4-rank runs
check the model; the projection to 64 and 256 ranks assumes a core per rank and a population of
at least one eval chunk per rank (E1 and U1 scaled with the population), with the constants
measured here (shared memory, waits included) and, as a stated assumption, a 10 Gb/s network
with no waits (S = 20 us, b = 0.8 ns per byte).
"""
import argparse
import json
import math
import statistics
from collections import defaultdict

NETWORK = {"S": 20e-6, "b": 0.8e-9}


def load(path):
    runs = defaultdict(list)
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            runs[(r["processes"], r["update"] if r["processes"] > 1 else "one")].append(r)
    return runs


def mean(rows, key):
    return statistics.fmean(r[key] for r in rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jsonl")
    ap.add_argument("--cores", type=int, default=2)
    a = ap.parse_args()
    runs = load(a.jsonl)
    one, repl2, sliced2 = runs[(1, "one")], runs[(2, "replicated")], runs[(2, "sliced")]
    if not (one and repl2 and sliced2):
        raise SystemExit(f"{a.jsonl}: needs 1-process, 2-rank replicated and 2-rank sliced runs")
    ref = one[0]
    P, chunk, d = ref["population"], ref["eval_chunk"], ref["params"]
    E1, U1 = mean(one, "eval_s_per_generation"), mean(one, "update_s_per_generation")
    # Every collective's traffic, summed over the ranks, grows as N - 1 (each rank's block to each
    # peer, or the root's message to each other rank).
    B2 = {"replicated": mean(repl2, "bytes_per_generation"), "sliced": mean(sliced2, "bytes_per_generation")}
    S = mean(repl2, "comm_s_per_generation")
    c1 = math.ceil(P / chunk)
    # At least 1: a rank is not faster beside another than alone; less means the VM drifted.
    k2 = max(1.0, mean(repl2 + sliced2, "eval_s_per_generation") / (E1 * math.ceil(c1 / 2) / c1))
    p = min(1.0, max(0.0, 2 * (1 - mean(sliced2, "update_s_per_generation") / (U1 * k2))))
    b = max(0.0, (mean(sliced2, "comm_s_per_generation") - S) / (B2["sliced"] / 2))

    def predict(n, mode, cores, lat, per_byte, pop=P):
        scale = pop / P
        c = math.ceil(pop / chunk)
        o = max(1.0, n / cores) * (k2 if n > 1 else 1.0)
        e = E1 * scale * math.ceil(c / n) / c * o
        u = U1 * scale * (1 if mode == "replicated" or n == 1 else 1 - p + p / n) * o
        vol = B2[mode] + 8.0 * (pop - P)
        comm = 0.0 if n == 1 else lat * math.ceil(math.log2(n)) + per_byte * vol * (n - 1) / n
        return {"eval_s": e, "update_s": u, "comm_s": comm, "total_s": e + u + comm}

    constants = {"E1_s": E1, "U1_s": U1, "update_fraction": U1 / (E1 + U1), "k2": k2, "S_s": S, "b_s_per_byte": b,
                 "split_share_p": p, "bytes_2_ranks": B2, "population": P, "eval_chunk": chunk, "params": d,
                 "cores": a.cores}
    print(json.dumps({"constants": constants}))
    t1 = E1 + U1
    rows = []
    for (n, mode), rs in sorted(runs.items()):
        if n == 1:
            continue
        measured = mean(rs, "eval_s_per_generation") + mean(rs, "update_s_per_generation") + \
            mean(rs, "comm_s_per_generation")
        model = predict(n, mode, a.cores, S, b)
        row = {"ranks": n, "update": mode, "repetitions": len(rs), "measured_s": measured,
               "model_s": model["total_s"], "error": model["total_s"] / measured - 1,
               "measured_speedup": t1 / measured, "model_speedup": t1 / model["total_s"],
               "measured_parts": {k2: mean(rs, k2 + "_per_generation") for k2 in ("eval_s", "update_s", "comm_s")},
               "model_parts": model}
        rows.append(row)
        print(json.dumps(row))
    projections = []
    for n in (64, 256):
        pop = max(P, n * chunk)
        base = predict(1, "replicated", 10**9, 0, 0, pop)["total_s"]
        for net, (lat, per_byte) in {"measured": (S, b), "10Gb/s": (NETWORK["S"], NETWORK["b"])}.items():
            for mode in ("replicated", "sliced"):
                m = predict(n, mode, 10**9, lat, per_byte, pop)
                projections.append({"ranks": n, "population": pop, "network": net, "update": mode,
                                    "speedup": base / m["total_s"], **m})
                print(json.dumps({"projection": projections[-1]}))

    print(f"\nConstants: E1 = {E1 * 1e3:.2f} ms, U1 = {U1 * 1e3:.2f} ms (f = {U1 / t1:.3f}), "
          f"k2 = {k2:.3f}, S = {S * 1e3:.2f} ms per tree level, b = {b * 1e9:.3f} ns/byte, p = {p:.3f}, "
          f"bytes on 2 ranks {B2['replicated']:,.0f} / {B2['sliced']:,.0f}, d = {d:,}, population {P}, "
          f"eval chunk {chunk}\n")
    print("| ranks | update | measured s/gen | model s/gen | model error | measured speed-up | model speed-up |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['ranks']} | {r['update']} | {r['measured_s'] * 1e3:.2f} ms | {r['model_s'] * 1e3:.2f} ms | "
              f"{r['error'] * 100:+.1f}% | {r['measured_speedup']:.2f}x | {r['model_speedup']:.2f}x |")
    print("\n| ranks | population | constants | update | eval | update | collectives | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for q in projections:
        print(f"| {q['ranks']} | {q['population']:,} | {q['network']} | {q['update']} | {q['eval_s'] * 1e3:.2f} ms | "
              f"{q['update_s'] * 1e3:.2f} ms | {q['comm_s'] * 1e3:.2f} ms | {q['speedup']:.1f}x |")


if __name__ == "__main__":
    main()
