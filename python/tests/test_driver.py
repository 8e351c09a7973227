"""metaevo.optimize: the ES loop over a Python fitness, its run folder, resume, errors, Ctrl-C."""
import signal
import subprocess
import sys
import textwrap
import threading
import traceback

import pytest
import torch

import metaevo


def strategy(seed=5):
    return metaevo.Strategy("openai_es", torch.zeros(8, dtype=torch.float64), seed=seed, population=16, sigma=0.1,
                            optimizer={"name": "adam", "lr": 0.05})


def fitness_of(records):
    """The records without their timings."""
    return [{k: r[k] for k in ("generation", "evals", "best", "mean", "worst", "best_ever")} for r in records]


def test_batched_and_per_member_fitness_give_the_same_run(sphere, tmp_path):
    batched = metaevo.optimize(strategy(), sphere, generations=20, log_every_s=0)
    single = metaevo.optimize(strategy(), lambda x: ((x - 1.0) ** 2).sum().item(), batched=False, generations=20,
                              log_every_s=0)
    assert batched["generations"] == 20 and batched["stop_reason"] == "generations"
    assert torch.equal(batched["center"], single["center"])
    assert batched["best_fitness"] < sphere(torch.zeros(1, 8)).item()


def test_a_run_folder_resumes_bitwise(sphere, tmp_path):
    whole = metaevo.optimize(strategy(), sphere, output=str(tmp_path / "whole"), generations=30, checkpoint_every=5)
    part = tmp_path / "part"
    metaevo.optimize(strategy(), sphere, output=str(part), generations=12, checkpoint_every=5)
    with pytest.raises(metaevo.Error, match="checkpoint"):  # a fresh run never overwrites a checkpoint
        metaevo.optimize(strategy(), sphere, output=str(part), generations=30, checkpoint_every=5)
    resumed = metaevo.optimize(strategy(), sphere, output=str(part), resume=True, generations=30, checkpoint_every=5)
    assert resumed["generations"] == 30
    assert torch.equal(resumed["center"], whole["center"])
    metrics = metaevo.read_metrics(str(part))
    assert metrics["x"] == "generation"
    assert [r["generation"] for r in metrics["records"]] == list(range(1, 31))
    whole_records = metaevo.read_metrics(str(tmp_path / "whole" / "metrics.jsonl"))["records"]
    assert fitness_of(metrics["records"]) == fitness_of(whole_records)


def test_resuming_without_a_checkpoint_warns_and_starts_afresh(sphere, tmp_path):
    with pytest.warns(RuntimeWarning, match="no checkpoint"):
        resumed = metaevo.optimize(strategy(), sphere, output=str(tmp_path), resume=True, generations=5)
    assert torch.equal(resumed["center"], metaevo.optimize(strategy(), sphere, generations=5)["center"])


def test_a_checkpoint_of_other_settings_is_refused(sphere, tmp_path):
    metaevo.optimize(strategy(seed=1), sphere, output=str(tmp_path), generations=3)
    with pytest.raises(metaevo.Error, match="checkpoint.pt"):
        metaevo.optimize(strategy(seed=2), sphere, output=str(tmp_path), resume=True, generations=6)


class Diverged(Exception):
    pass


def test_an_exception_in_the_fitness_surfaces_with_its_traceback():
    def fitness(x):
        if fitness.calls == 3:
            raise Diverged("loss is inf")
        fitness.calls += 1
        return x.sum(dim=1)
    fitness.calls = 0
    with pytest.raises(Diverged, match="loss is inf") as caught:
        metaevo.optimize(strategy(), fitness, generations=10, log_every_s=0)
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "fitness" in frames


@pytest.mark.parametrize("result, error, message", [
    (lambda x: x.sum(), ValueError, r"shape \[\]; expected \[16\]"),
    (lambda x: x, ValueError, r"shape \[16, 8\]"),
    (lambda x: (x.sum(dim=1) > 0), TypeError, "dtype Bool"),
    (lambda x: None, TypeError, "result is a NoneType"),
])
def test_a_wrong_result_is_a_clear_error(result, error, message):
    with pytest.raises(error, match=message):
        metaevo.optimize(strategy(), result, generations=2, log_every_s=0)


def test_bad_run_settings_name_the_setting(sphere):
    with pytest.raises(metaevo.Error, match="generatoins"):
        metaevo.optimize(strategy(), sphere, generatoins=3)
    with pytest.raises(metaevo.Error, match="checkpoint_every"):
        metaevo.optimize(strategy(), sphere, generations=3, checkpoint_every=0)


def test_callbacks_see_every_generation(sphere):
    seen = []
    metaevo.optimize(strategy(), sphere, generations=7, log_every_s=0, callback=lambda s: seen.append(s["generation"]))
    assert seen == list(range(1, 8))


def test_runs_from_other_python_threads_do_not_deadlock(sphere):
    # Each run releases the GIL while the engine computes and takes it for every callback.
    results = [None] * 3

    def work(i):
        results[i] = metaevo.optimize(strategy(seed=i), sphere, generations=15, log_every_s=0)["center"]
    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(not t.is_alive() for t in threads)
    for i in range(3):
        alone = metaevo.optimize(strategy(seed=i), sphere, generations=15, log_every_s=0)["center"]
        assert torch.equal(results[i], alone)


def test_ctrl_c_saves_the_last_generation_and_the_run_resumes(tmp_path):
    # A real SIGINT to a running Python process: it stops with KeyboardInterrupt after writing the
    # checkpoint of its last complete generation; resumed, the run ends as an uninterrupted one.
    script = textwrap.dedent("""
        import sys, os, time, torch, metaevo
        es = metaevo.Strategy("openai_es", torch.zeros(8, dtype=torch.float64), seed=5, population=16, sigma=0.1,
                              optimizer={"name": "adam", "lr": 0.05})
        def fitness(x):
            if fitness.calls == 25:
                print("ready", flush=True)
                for _ in range(600):  # short sleeps: Python acts on the signal between them
                    time.sleep(0.1)
            fitness.calls += 1
            return ((x - 1.0) ** 2).sum(dim=1)
        fitness.calls = 0
        try:
            result = metaevo.optimize(es, fitness, output=sys.argv[1], generations=40, checkpoint_every=100,
                                      resume=len(sys.argv) > 2)
            torch.save(result["center"], os.path.join(sys.argv[1], "center.pt"))
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
    """)
    run = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-c", script, str(run)], stdout=subprocess.PIPE, text=True)
    for line in child.stdout:  # progress lines, then "ready"
        if line.strip() == "ready":
            break
    child.send_signal(signal.SIGINT)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 3 and "interrupted" in out
    assert (run / "checkpoint.pt").exists()
    records = metaevo.read_metrics(str(run))["records"]
    assert [r["generation"] for r in records] == list(range(1, 26))

    # Resumed from generation 25, the run makes 15 more calls and never reaches the sleeping 26th.
    resumed = subprocess.run([sys.executable, "-c", script, str(run), "resume"], capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    whole = metaevo.optimize(strategy(), lambda x: ((x - 1.0) ** 2).sum(dim=1), output=str(tmp_path / "whole"),
                             generations=40, checkpoint_every=100)
    assert torch.equal(torch.load(run / "center.pt"), whole["center"])
    assert fitness_of(metaevo.read_metrics(str(run))["records"]) == \
        fitness_of(metaevo.read_metrics(str(tmp_path / "whole"))["records"])
