"""Ask/tell strategies on Python-defined functions, their pickles and their errors."""
import pickle

import pytest
import torch

import metaevo

SETTINGS = {
    "openai_es": dict(population=40, sigma=0.2, optimizer={"name": "adam", "lr": 0.1}),
    "pgpe": dict(population=40, sigma=0.3, optimizer={"name": "clipup", "lr": 0.15}),
    "snes": dict(sigma=0.5),
    "cmaes": dict(sigma=0.5),
    "sep_cmaes": dict(sigma=0.5),
}


def test_every_registered_strategy_is_covered():
    assert sorted(metaevo.strategies()) == sorted(SETTINGS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_strategy_minimises_a_python_function(name, sphere):
    es = metaevo.Strategy(name, torch.zeros(6, dtype=torch.float64), seed=3, **SETTINGS[name])
    start = sphere(es.center.unsqueeze(0)).item()
    for _ in range(300):
        x = es.ask()
        assert x.is_floating_point() and x.dim() == 2 and x.size(1) == 6
        es.tell(sphere(x))
    end = sphere(es.center.unsqueeze(0)).item()
    assert es.generation == 300
    assert end < 0.01 * start, f"{name}: f(center) {start} -> {end}"


@pytest.mark.parametrize("name", ["snes", "cmaes"])
def test_a_pickled_strategy_continues_bitwise(name, sphere):
    def run(es, generations):
        for _ in range(generations):
            es.tell(sphere(es.ask()))
        return es

    reference = run(metaevo.Strategy(name, torch.zeros(5), seed=7, **SETTINGS[name]), 30)
    half = run(metaevo.Strategy(name, torch.zeros(5), seed=7, **SETTINGS[name]), 15)
    copy = pickle.loads(pickle.dumps(half))
    assert copy.generation == 15 and copy.settings == half.settings
    run(copy, 15)
    assert torch.equal(copy.center, reference.center)


def test_nan_fitness_ranks_last():
    # Members with a NaN fitness must never pull the center: with every other value equal, the
    # update moves away from them exactly as it moves away from the worst finite value.
    es_nan = metaevo.Strategy("openai_es", torch.zeros(3), seed=1, population=8, sigma=0.1)
    es_big = metaevo.Strategy("openai_es", torch.zeros(3), seed=1, population=8, sigma=0.1)
    x = es_nan.ask()
    es_big.ask()
    f = x.sum(dim=1)
    with_nan = f.clone()
    with_nan[f.argmax()] = float("nan")
    es_nan.tell(with_nan)
    es_big.tell(f)
    assert torch.equal(es_nan.center, es_big.center)


def test_bad_fitness_values_are_clear_errors():
    es = metaevo.Strategy("snes", torch.zeros(4), seed=0, population=6)
    with pytest.raises(ValueError, match="call ask"):
        es.tell(torch.zeros(6))
    es.ask()
    with pytest.raises(ValueError, match=r"shape \[5\]; expected \[6\]"):
        es.tell(torch.zeros(5))
    with pytest.raises(TypeError, match="dtype Long"):
        es.tell(torch.zeros(6, dtype=torch.long))
    with pytest.raises(TypeError, match="fitness given to tell is a list"):
        es.tell([0.0] * 6)
    es.tell(torch.zeros(6, dtype=torch.float32))  # any floating dtype is fine


def test_bad_settings_name_the_setting():
    with pytest.raises(metaevo.Error, match="sigmaa"):
        metaevo.Strategy("snes", torch.zeros(3), sigmaa=0.1)
    with pytest.raises(metaevo.Error, match="unknown 'nope'"):
        metaevo.Strategy("nope", torch.zeros(3))
    with pytest.raises(metaevo.Error, match="x0 must be a 1-d"):
        metaevo.Strategy("snes", torch.zeros(2, 2))
