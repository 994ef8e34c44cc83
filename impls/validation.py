"""Parameter checks shared by the reference implementations.

Every message names the operation, the parameter, the value received and the allowed range,
so a user sees what to change without reading a traceback.
"""

from __future__ import annotations

import math
import numbers
from typing import Any


def check_real(op: str, name: str, value: Any) -> float:
    """Return `value` as a float, or raise TypeError if it is not a real number (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r} of type {type(value).__name__}")
    return float(value)


def check_probability(op: str, name: str, value: Any) -> float:
    """A probability in the closed interval [0, 1]."""
    number = check_real(op, name, value)
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        raise ValueError(f"{op}: {name} must be in [0, 1], got {value!r}")
    return number


def check_in_range(op: str, name: str, value: Any, low: float, high: float, *, closed: str = "both") -> float:
    """A real number in the interval from low to high; `closed` is "both", "low", "high" or "neither"."""
    number = check_real(op, name, value)
    low_ok = number >= low if closed in ("both", "low") else number > low
    high_ok = number <= high if closed in ("both", "high") else number < high
    if math.isnan(number) or not (low_ok and high_ok):
        left = "[" if closed in ("both", "low") else "("
        right = "]" if closed in ("both", "high") else ")"
        raise ValueError(f"{op}: {name} must be in {left}{low}, {high}{right}, got {value!r}")
    return number


def check_bool(op: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r} of type {type(value).__name__}")
    return value


def check_int(op: str, name: str, value: Any, low: int, high: float = math.inf) -> int:
    """An integer (not a bool) in [low, high]."""
    allowed = f"an integer ≥ {low}" if high == math.inf else f"an integer in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be {allowed}, got {value!r} of type {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{op}: {name} must be {allowed}, got {value!r}")
    return int(value)


def check_choice(op: str, name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """One of a fixed set of option strings."""
    if value not in allowed:
        raise ValueError(f"{op}: {name} must be one of {allowed}, got {value!r}")
    return value
