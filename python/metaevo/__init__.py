"""metaevo from Python: evolution strategies with ask/tell on torch tensors, the ES loop over a
Python fitness, tuning studies over a Python trainable, grown muNet systems for inference, and the
run folders every command writes. See the README, "Use it as a library"."""
from typing import Any, NamedTuple, Optional

import torch  # noqa: F401  (LibTorch's Python types must be registered before the extension loads)

from ._metaevo import Error, Strategy, System, mpi_built, optimize, read_metrics, strategies, tune, world


class Report(NamedTuple):
    """One epoch of a trainable (see metaevo.tune): the value the scheduler compares, an optional
    held-out score, and an optional checkpoint (anything torch.save writes) to resume from."""
    value: float
    test: Optional[float] = None
    checkpoint: Any = None


__all__ = ["Error", "Report", "Strategy", "System", "mpi_built", "optimize", "read_metrics", "strategies", "tune", "world"]
