"""metaevo.System: a system grown by `metaevo evolve`, loaded from Python, predicts as it scored."""
import json
import os
import pathlib
import subprocess

import numpy as np
import pytest
import torch

import metaevo

SOURCE = pathlib.Path(os.environ.get("METAEVO_SOURCE_DIR", pathlib.Path(__file__).parents[2]))
MNIST = SOURCE / "data" / "mnist"
BINARY = os.environ.get("METAEVO_BINARY", str(SOURCE / "build" / "bin" / "metaevo"))


def read_idx(path, header):
    return np.frombuffer(path.read_bytes(), dtype=np.uint8, offset=header)


@pytest.mark.skipif(not (MNIST / "t10k-images-idx3-ubyte").exists(), reason=f"{MNIST} not found (scripts/setup.sh fetches it)")
def test_a_grown_system_predicts_what_it_scored(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("seed: 2\nvit: {width: 16, heads: 2, mlp_dim: 32, depth: 2}\n"
                      "train: {batch_size: 32, validations: 1, batches_between_validations: 5, validation_batches: 2}\n"
                      f"evolution: {{children: 2}}\ntasks: [mnist-rot:90]\ndata: {{mnist: '{MNIST}'}}\n")
    out = tmp_path / "run"
    subprocess.run([BINARY, "evolve", "--config", str(config), "--output", str(out)], check=True,
                   capture_output=True, timeout=600)
    system = metaevo.System(str(out / "system.db"))
    assert system.tasks == ["mnist-rot:90"] and system.parameters > 0
    images = torch.from_numpy(read_idx(MNIST / "t10k-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28).copy())
    labels = torch.from_numpy(read_idx(MNIST / "t10k-labels-idx1-ubyte", 8).astype(np.int64))
    probabilities = system.predict("mnist-rot:90", torch.rot90(images, 1, (2, 3)).float() / 255)
    assert probabilities.shape == (10000, 10)
    assert torch.allclose(probabilities.sum(1), torch.ones(10000, dtype=probabilities.dtype), atol=1e-5)
    accuracy = (probabilities.argmax(1) == labels).double().mean().item()
    scored = json.loads((out / "results.json").read_text())["tasks"][0]["test_accuracy"]
    assert accuracy == pytest.approx(scored, abs=1e-9)

    with pytest.raises(metaevo.Error, match="no task 'mnist' in this system"):
        system.predict("mnist", images[:2].float() / 255)
    with pytest.raises(metaevo.Error, match=r"\[N, 1, h, w\]"):
        system.predict("mnist-rot:90", images[:2, 0].float())
    with pytest.raises(metaevo.Error, match="empty.db"):
        metaevo.System(str(tmp_path / "empty.db"))
