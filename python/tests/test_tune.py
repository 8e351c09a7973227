"""metaevo.tune over Python trainables: PASHA, a study shared by two processes, checkpoints, errors."""
import json
import subprocess
import sys
import textwrap

import pytest

import metaevo

SPACE = {"lr": {"type": "float", "low": 0.001, "high": 1.0, "log": True, "default": 0.1},
         "width": {"type": "categorical", "choices": [1, 2, 4], "default": 2}}
PASHA = {"name": "pasha", "r_min": 1, "eta": 3, "max_t": 27}

# The trainable of the tests: a learning curve that rises towards a level set by lr and width, with
# a checkpoint holding the epoch it reached (and every epoch checks it resumes from there).
TRAINABLE = textwrap.dedent("""
    import math, time, metaevo
    PAUSE = 0  # seconds per epoch, so that concurrent workers overlap
    def curve(config, epoch):
        level = 1 - (math.log10(config["lr"]) + 1) ** 2 / 4 - 0.05 * abs(config["width"] - 2)
        return level * (1 - math.exp(-0.3 * epoch))
    def trainable(trial):
        epoch = trial.checkpoint["epoch"] if trial.checkpoint else 0
        assert epoch == trial.epoch
        while True:
            epoch += 1
            time.sleep(PAUSE)
            yield metaevo.Report(curve(trial.config, epoch), test=curve(trial.config, epoch) - 0.01,
                                 checkpoint={"epoch": epoch})
""")
exec(TRAINABLE)


def test_a_python_trainable_runs_under_pasha(tmp_path):
    result = metaevo.tune(trainable, space=SPACE, output=str(tmp_path), scheduler=PASHA, seed=3, max_trials=12)
    assert result["scheduler"] == "pasha" and result["trials"] == 12
    best = result["leaderboard"][0]
    assert best["values"] == [pytest.approx(curve(best["config"], e)) for e in range(1, best["epochs"] + 1)]
    assert best["tests"][-1] == pytest.approx(best["values"][-1] - 0.01)
    # PASHA stops early: far fewer epochs than 12 full runs of 27.
    assert result["epochs"] < 12 * 27 / 2
    assert (tmp_path / "leaderboard.csv").exists() and (tmp_path / "study.db").exists()


def test_a_study_shared_by_two_python_processes_loses_and_duplicates_nothing(tmp_path):
    worker = TRAINABLE + textwrap.dedent(f"""
        import json, sys
        PAUSE = 0.05
        r = metaevo.tune(trainable, space={SPACE!r}, output=sys.argv[1], scheduler={PASHA!r}, seed=5, max_trials=16,
                         poll_s=0.05)
        print(json.dumps({{"trials": r["trials"], "epochs": r["epochs"]}}))
    """)
    workers = [subprocess.Popen([sys.executable, "-c", worker, str(tmp_path)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [w.communicate(timeout=600) for w in workers]
    for w, (out, err) in zip(workers, outs):
        assert w.returncode == 0, err[-2000:]
    # Both saw the whole study at the end.
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    assert summaries[0] == summaries[1] and summaries[0]["trials"] == 16
    # Every result in the study once, epochs 1..n in order, and the two workers both trained.
    import sqlite3
    db = sqlite3.connect(tmp_path / "study.db")
    results = db.execute("SELECT trial, resource FROM events WHERE kind = 'result' ORDER BY id").fetchall()
    assert len(results) == len(set(results)) == summaries[0]["epochs"]
    by_trial = {}
    for trial, epoch in results:
        by_trial.setdefault(trial, []).append(epoch)
    assert all(epochs == list(range(1, len(epochs) + 1)) for epochs in by_trial.values())
    assert len(by_trial) == 16
    workers_seen = {row[0] for row in db.execute("SELECT DISTINCT worker FROM events WHERE kind = 'result'")}
    assert len(workers_seen) == 2


def test_a_resumed_trial_without_checkpoints_retrains_its_epochs(tmp_path):
    # Yielding floats only: a trial promoted past a rung restarts its generator and replays.
    starts = []

    def plain(trial):
        starts.append(trial.epoch)
        epoch = 0
        while True:
            epoch += 1
            yield curve(trial.config, epoch)
    result = metaevo.tune(plain, space=SPACE, output=str(tmp_path), scheduler={"name": "asha_promotion", "max_t": 9},
                          seed=1, max_trials=9)
    assert set(starts) == {0}
    for row in result["leaderboard"]:
        assert row["values"] == [pytest.approx(curve(row["config"], e)) for e in range(1, row["epochs"] + 1)]


def test_errors_in_the_trainable_are_python_exceptions(tmp_path):
    def broken(trial):
        yield 0.5
        raise ZeroDivisionError("bad epoch")
    with pytest.raises(ZeroDivisionError, match="bad epoch"):
        metaevo.tune(broken, space=SPACE, output=str(tmp_path / "a"), scheduler={"name": "fifo", "max_t": 3})

    def not_a_generator(trial):
        return 0.5
    with pytest.raises(TypeError, match="generator function"):
        metaevo.tune(not_a_generator, space=SPACE, output=str(tmp_path / "b"), scheduler={"name": "fifo", "max_t": 3})

    def short(trial):
        yield 0.5
    with pytest.raises(ValueError, match="stopped after 1 epochs"):
        metaevo.tune(short, space=SPACE, output=str(tmp_path / "c"), scheduler={"name": "fifo", "max_t": 3})

    def wrong(trial):
        yield "good"
    with pytest.raises(TypeError, match="yielded a str"):
        metaevo.tune(wrong, space=SPACE, output=str(tmp_path / "d"), scheduler={"name": "fifo", "max_t": 3})

    with pytest.raises(metaevo.Error, match="max_trails"):
        metaevo.tune(trainable, space=SPACE, output=str(tmp_path / "e"), max_trails=3)
