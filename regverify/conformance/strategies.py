"""Hypothesis strategies and the cases they draw. Every case can print its own replay snippet.

Hypothesis draws integers (seeds, sizes) and parameters; NumPy generators built from those seeds
make the arrays, so examples stay cheap and every failure is replayable from a few integers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis
import numpy as np
from hypothesis import strategies as st

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def given(*strategies: st.SearchStrategy, **named: st.SearchStrategy) -> Callable[[Callable], Callable]:
    """hypothesis.given, keeping the strategies on the test as ``regverify_given`` (args, kwargs): the in-process
    defect check (regverify.selftest) wraps the property's own test again with them under its own settings."""

    def decorate(test: Callable) -> Callable:
        wrapped = hypothesis.given(*strategies, **named)(test)
        wrapped.regverify_given = (strategies, named)
        return wrapped

    return decorate


_SIGNS = np.array([-1.0, 1.0])


def case_values(data_seed: int, shape: tuple[int, ...], *, low: float = 0.5, high: float = 8.0) -> np.ndarray:
    """Nonzero float64 values with random signs and magnitudes in [low, high): ratios out/x are defined.
    A fresh, writable array each call (a property may modify what it was given)."""
    return _case_values(data_seed, tuple(shape), low, high).copy()


@functools.lru_cache(maxsize=512)
def _case_values(data_seed: int, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    # A property asks for its case's input once per call it makes. The signs index [-1, 1] with the
    # same integers Generator.choice draws, so the values equal rng.choice([-1.0, 1.0], shape)'s.
    rng = np.random.default_rng(data_seed)
    values = rng.uniform(low, high, shape) * _SIGNS[rng.integers(0, 2, shape)]
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class Case:
    """Parameters of one call plus the seeds that make its input and its randomness."""

    params: dict[str, Any]  # the operation's keyword parameters, e.g. {"p": 0.5}
    seed: int
    data_seed: int
    shape: tuple[int, ...]

    def values(self) -> np.ndarray:
        return case_values(self.data_seed, self.shape)

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{shown}, shape={self.shape}, seed={self.seed}, data_seed={self.data_seed}"

    def replay(self, target, operation: str, device: str | None, dtype: str | None, **keywords) -> str:
        """A copy-pasteable Python snippet that reruns this call on this target."""
        device = device or "cpu"
        arguments = ", ".join(f"{k}={v!r}" for k, v in {**self.params, **keywords}.items())
        return (
            "Replay: python -c \"from impls.protocol import load_target; from regverify.conformance.strategies import case_values; "
            f"t = load_target({target.module.__name__!r}); "
            f"x = t.asarray(case_values({self.data_seed}, {self.shape!r}), {dtype!r}, {device!r}); "
            f"r = t.call({operation!r}, x, {arguments}, generator=t.generator({self.seed}, {device!r})); "
            "print(r.out, r.mask)\""
        )


#: Drop probabilities: both ends exactly, the middle, and a grid (a grid keeps sample-size designs cacheable).
probabilities = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5]),
    st.integers(min_value=1, max_value=199).map(lambda k: k / 200),
)
open_probabilities = st.integers(min_value=1, max_value=199).map(lambda k: k / 200)

small_shapes = st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=3).map(tuple)
#: Shapes for finite-difference gradients, which cost two forward calls per element.
gradient_shapes = st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=2).map(tuple)


@st.composite
def dropout_cases(draw, p=probabilities, shapes=small_shapes) -> Case:
    """A drop probability, an input shape and the two seeds."""
    return Case(
        params={"p": draw(p, label="p")},
        seed=draw(SEEDS, label="seed"),
        data_seed=draw(SEEDS, label="data_seed"),
        shape=draw(shapes, label="shape"),
    )
