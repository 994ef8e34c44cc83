"""Helpers that turn a computation into an Evidence object; the verdict is always computed."""

from __future__ import annotations

import sympy as sp

from regstats import Design
from theory.ledger import Evidence, Verdict


def sym_zero(expr) -> bool:
    """True when SymPy simplifies expr to exactly 0."""
    return sp.simplify(expr) == 0


def sym_equal(lhs, rhs) -> bool:
    return sym_zero(sp.sympify(lhs) - sp.sympify(rhs))


def identity(lhs, rhs, *, summary: str, assumptions: str, extra: str = "", **numbers) -> Evidence:
    """Symbolic identity: holds when simplify(lhs - rhs) == 0 under the stated assumptions."""
    ok = sym_equal(lhs, rhs)
    residual = sp.simplify(sp.sympify(lhs) - sp.sympify(rhs))
    details = (
        f"Assumptions: {assumptions}.\n\n"
        f"- lhs = `{sp.sstr(lhs)}`\n- rhs = `{sp.sstr(rhs)}`\n- simplify(lhs - rhs) = `{sp.sstr(residual)}`"
    )
    if extra:
        details += "\n\n" + extra
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "symbolic",
        summary if ok else f"identity does not simplify to 0: {summary}",
        details,
        {"residual": sp.sstr(residual), **numbers},
    )


def by_convention(stated_holds: bool, other_holds: bool) -> Verdict:
    """holds under both readings -> HOLDS; only under the document's -> HOLDS_UNDER_CONVENTION."""
    if stated_holds and other_holds:
        return Verdict.HOLDS
    if stated_holds:
        return Verdict.HOLDS_UNDER_CONVENTION
    return Verdict.FAILS


def design_numbers(design: Design, n: int) -> dict[str, float | int]:
    return {"alpha": design.alpha, "power": design.power, "delta": design.delta, "n": int(n)}


def not_checkable(reason: str, summary: str | None = None) -> Evidence:
    return Evidence(Verdict.NOT_CHECKABLE, "none", summary or reason, f"Not checkable: {reason}", {"reason": reason})


def fmt(x: float) -> str:
    return f"{x:.6g}"
