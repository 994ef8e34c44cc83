"""The suite's false-failure budget, as the running session spends it.

Every random check asks :func:`alpha` for its false-failure probability and calls
:func:`spend`. The plugin reports the count and fails the session if it exceeds the
allocation the per-check α was computed from (a union bound then no longer covers the run).
"""

from __future__ import annotations

from regstats import RANDOM_CHECK_ALLOCATION, SUITE_FALSE_FAILURE_BUDGET, Design, alpha_per_check

SUITE_BUDGET = SUITE_FALSE_FAILURE_BUDGET
_state: dict = {"multiplier": 1.0, "checks": 0, "designs": []}


def reset(multiplier: float = 1.0) -> None:
    _state["multiplier"] = multiplier
    _state["checks"] = 0
    _state["designs"] = []


def alpha() -> float:
    """False-failure probability allotted to one random check in this session."""
    return alpha_per_check(_state["multiplier"])


def allocation() -> int:
    return int(RANDOM_CHECK_ALLOCATION * _state["multiplier"])


def spend(checks: int = 1) -> None:
    _state["checks"] += checks


def record_design(what: str, method: str, n: int, design: Design, rate: float | None = None) -> None:
    """Note a check's sample size n, its test and design; `regverify bench` divides n by
    stats.minimum_sample_size(method, design, rate), outside the timed run."""
    _state["designs"].append({"what": what, "method": method, "n": int(n), "alpha": design.alpha,
                              "power": design.power, "delta": design.delta, "rate": rate})


def designs() -> list[dict]:
    return list(_state["designs"])


def absorb(checks: int, designs: list[dict]) -> None:
    """Add a pytest-xdist worker's checks and designs to this (the controller's) session: the
    allocation bounds the whole run, not each worker."""
    _state["checks"] += checks
    _state["designs"].extend(designs)


def checks_made() -> int:
    return _state["checks"]
