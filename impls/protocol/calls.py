"""Building blocks for operation specs: calls that a spec describes once and any target can make.

A spec's invalid-input table and its example call are functions of the target, so they work for
every backend: arrays come from ``target.asarray``, generators from ``target.generator``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from impls.protocol import OPERATIONS, Invalid

#: Stands for the parameter under test in a call template.
BAD = object()
#: Values that are not a probability: out of range, not finite, not a real number.
NOT_PROBABILITIES = (-0.1, 1.5, math.nan, math.inf, -math.inf, "0.5", None)


class Array:
    """An array argument of a call template: NumPy values made into the target's array at call time."""

    def __init__(self, values: Any, dtype: str = "float32", *, integer: bool = False) -> None:
        self.values, self.dtype, self.integer = np.asarray(values), dtype, integer

    def make(self, target: Any) -> Any:
        if not self.integer:
            return target.asarray(self.values, self.dtype)
        if target.backend == "numpy":
            return self.values.astype(np.int64)
        import torch

        return torch.as_tensor(self.values.astype(np.int64))


def template_call(operation: str, *args: Any, stochastic: bool = False, function: str | None = None,
                  **kwargs: Any) -> Callable[[Any], Callable[[Any], Any]]:
    """`value -> (target -> result)`: call `operation` with BAD replaced by value, arrays made by the target.

    `function` calls a module attribute directly (a class or a helper outside target.call's forward pair).
    """

    def with_value(value: Any) -> Callable[[Any], Any]:
        def call(target: Any) -> Any:
            made = [value if a is BAD else a.make(target) if isinstance(a, Array) else a for a in args]
            keywords = {k: value if v is BAD else v.make(target) if isinstance(v, Array) else v
                        for k, v in kwargs.items()}
            if stochastic:
                keywords["generator"] = target.generator(0)
            if function is not None:
                return getattr(target.module, function)(*made, **keywords)
            return target.call(operation, *made, **keywords)

        return call

    return with_value


def invalid_values(parameter: str, values: Sequence[Any], allowed: str,
                   call: Callable[[Any], Callable[[Any], Any]]) -> tuple[Invalid, ...]:
    return tuple(Invalid(parameter, value, allowed, call(value)) for value in values)


def extend(name: str, **fields: Any) -> None:
    """Add spec fields to a registered operation (tables are written after the operation they describe)."""
    if name not in OPERATIONS:
        raise ValueError(f"extend: no operation {name!r} registered")
    if "invalid" in fields:
        fields["invalid"] = OPERATIONS[name].invalid + tuple(fields["invalid"])
    OPERATIONS[name] = dataclasses.replace(OPERATIONS[name], **fields)
