import pytest


@pytest.fixture
def sphere():
    """A shifted sphere, batched: minimum 0 at x = 1."""
    def f(x):
        return ((x - 1.0) ** 2).sum(dim=1)
    return f
