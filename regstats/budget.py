"""The suite's false-failure budget, as the running session spends it.

Every random check asks :func:`alpha` for its false-failure probability and calls
:func:`spend`. The plugin reports the count and fails the session if it exceeds the
allocation the per-check α was computed from (a union bound then no longer covers the run).
"""

from __future__ import annotations

from regstats import RANDOM_CHECK_ALLOCATION, SUITE_FALSE_FAILURE_BUDGET, Design, alpha_per_check

SUITE_BUDGET = SUITE_FALSE_FAILURE_BUDGET
_state: dict = {"multiplier": 1.0, "runs": 1, "checks": 0, "designs": []}


def reset(multiplier: float = 1.0, runs: int = 1) -> None:
    """Start a session of `runs` runs of the suite (a flake audit's seeds): each run keeps the per-check α of one
    run, and the allocation the session may spend is `runs` runs' worth."""
    _state["multiplier"] = multiplier
    _state["runs"] = runs
    _state["checks"] = 0
    _state["designs"] = []


def alpha() -> float:
    """False-failure probability allotted to one random check in this session."""
    return alpha_per_check(_state["multiplier"])


def allocation() -> int:
    return int(RANDOM_CHECK_ALLOCATION * _state["multiplier"]) * _state["runs"]


def spend(checks: int = 1) -> None:
    _state["checks"] += checks


def record_design(what: str, method: str, n: int, design: Design, rate: float | None = None, *,
                  block: int | None = None) -> None:
    """Note a check's drawn sample size n, its test and design (and, for a sequential test, its block);
    `regverify bench` compares n with the best fixed-sample and sequential tests, outside the timed run."""
    _state["designs"].append({"what": what, "method": method, "n": int(n), "alpha": design.alpha,
                              "power": design.power, "delta": design.delta, "rate": rate, "block": block})


def designs() -> list[dict]:
    return list(_state["designs"])


def absorb(checks: int, designs: list[dict]) -> None:
    """Add a pytest-xdist worker's checks and designs to this (the controller's) session: the
    allocation bounds the whole run, not each worker."""
    _state["checks"] += checks
    _state["designs"].extend(designs)


def checks_made() -> int:
    return _state["checks"]


# ---------------------------------------------------------------- random decisions outside the suite's budget

#: The claim ledger's (theory/) random verdicts are not suite checks: a wrong verdict is a wrong line in a
#: report, not a failed run. They get their own budget, split over the ledger's random decisions, and the
#: report states it beside the suite's (:func:`separate_budgets`).
LEDGER_FALSE_VERDICT_BUDGET = 1e-5
_separate: dict[str, dict] = {}


def ledger_alpha(decisions: int, budget: float = LEDGER_FALSE_VERDICT_BUDGET) -> float:
    """α of one of `decisions` random ledger decisions sharing `budget` (Bonferroni)."""
    if isinstance(decisions, bool) or not isinstance(decisions, int) or decisions < 1:
        raise ValueError(f"ledger_alpha: decisions must be an integer ≥ 1, got {decisions!r}")
    if not 0.0 < budget < 1.0:
        raise ValueError(f"ledger_alpha: budget must be in (0, 1), got {budget!r}")
    return budget / decisions


def declare_separate(name: str, alpha: float, decisions: int, why: str) -> None:
    """State a family of random decisions made outside the suite's budget (e.g. the ledger's experiments,
    each at `alpha`): the report lists them with their total false-decision probability ≤ alpha·decisions."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"declare_separate: alpha must be in (0, 1), got {alpha!r}")
    _separate[name] = {"name": name, "alpha": alpha, "decisions": int(decisions), "bound": min(1.0, alpha * decisions),
                       "why": why}


def count_separate(name: str, alpha: float, why: str) -> None:
    """One more random decision of the family `name`, each at `alpha`, outside the suite's budget."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"count_separate: alpha must be in (0, 1), got {alpha!r}")
    family = _separate.setdefault(name, {"name": name, "alpha": 0.0, "decisions": 0, "bound": 0.0, "why": why})
    # Decisions of one family may use different α (a split α/3, say): the union bound is their sum.
    family["decisions"] += 1
    family["alpha"] = max(family["alpha"], alpha)
    family["bound"] = min(1.0, family["bound"] + alpha)


def separate_budgets() -> list[dict]:
    """The families declared with :func:`declare_separate`, for the report."""
    return sorted(_separate.values(), key=lambda family: family["name"])
