"""Helpers that turn a computation into an Evidence object; the verdict is always computed."""

from __future__ import annotations

import functools

import sympy as sp

from regstats import Design
from theory.ledger import Evidence, Verdict

#: Sample points for the fast "not zero" test: values in (0, 1) satisfy real, positive and probability
#: assumptions; integer symbols get small integers ≥ 2.
_PROBES = ((sp.Rational(3, 7), 3), (sp.Rational(5, 11), 4))


def _probe_value(symbol: sp.Symbol, fraction: sp.Rational, integer: int):
    if symbol.is_integer:
        return -integer if symbol.is_negative else integer
    return -fraction if symbol.is_negative else fraction


def _nonzero_somewhere(expr) -> bool:
    """True when expr evaluates to a clearly non-zero number at a probe point (so it is not identically 0).

    Exact substitution, then 30-digit evaluation: a value above 1e-12 (relative to 1) is not rounding.
    Anything that does not evaluate to a finite real number says nothing (False).
    """
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    for fraction, integer in _PROBES:
        try:
            value = complex(expr.subs({s: _probe_value(s, fraction, integer) for s in symbols}).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError, AttributeError):
            continue
        if value == value and abs(value) != float("inf") and abs(value) > 1e-12:  # not nan, finite, non-zero
            return True
    return False


def sym_zero(expr) -> bool:
    """True when SymPy simplifies expr to exactly 0.

    A quick probe first: an expression that is clearly non-zero at an exact sample point is not identically
    zero, whatever simplify would take to say so (mutated formulas hit this path; it keeps the suite fast).
    """
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    if _nonzero_somewhere(expr):
        return False
    # expand() == 0 proves zero too, at a fraction of simplify's cost (polynomial identities need no more).
    return sp.expand(expr) == 0 or simplified(expr) == 0


@functools.lru_cache(maxsize=4096)
def simplified(expr: sp.Expr) -> sp.Expr:
    """sp.simplify, once per expression: a residual is shown after it was judged."""
    return sp.simplify(expr)


def sym_equal(lhs, rhs) -> bool:
    return sym_zero(sp.sympify(lhs) - sp.sympify(rhs))


def identity(lhs, rhs, *, summary: str, assumptions: str, extra: str = "", **numbers) -> Evidence:
    """Symbolic identity: holds when simplify(lhs - rhs) == 0 under the stated assumptions."""
    ok = sym_equal(lhs, rhs)
    residual = sp.Integer(0) if ok else simplified(sp.sympify(lhs) - sp.sympify(rhs))
    details = (
        f"Assumptions: {assumptions}.\n\n"
        f"- lhs = `{sp.sstr(lhs)}`\n- rhs = `{sp.sstr(rhs)}`\n- simplify(lhs - rhs) = `{sp.sstr(residual)}`"
    )
    if extra:
        details += "\n\n" + extra
    return checked(ok, "symbolic", summary if ok else f"identity does not simplify to 0: {summary}", details,
                   {"residual": sp.sstr(residual), **numbers})


def checked(ok: bool, method: str, summary: str, details: str, numbers: dict | None = None) -> Evidence:
    """The evidence of an exact or symbolic check: holds when `ok`, fails otherwise."""
    return Evidence(Verdict.HOLDS if ok else Verdict.FAILS, method, summary, details, {} if numbers is None else numbers)


def refutable(original: bool, corrected: bool, method: str, summary: str, details: str, *, counterexample: str,
              corrected_statement: str, **numbers) -> Evidence:
    """holds when the document's statement does (`original`); else fails, with the counterexample and the corrected
    statement, and `corrected` (whether the same check passes the corrected statement) as corrected_holds."""
    return checked(original, method, summary, details, {
        "counterexample": counterexample,
        "corrected_statement": corrected_statement,
        "corrected_holds": int(corrected),
        **numbers,
    })


def by_convention(stated_holds: bool, other_holds: bool) -> Verdict:
    """holds under both readings -> HOLDS; only under the document's -> HOLDS_UNDER_CONVENTION."""
    if stated_holds and other_holds:
        return Verdict.HOLDS
    if stated_holds:
        return Verdict.HOLDS_UNDER_CONVENTION
    return Verdict.FAILS


def convention_evidence(stated_holds: bool, other_holds: bool, method: str, summary: str, details: str, *,
                        alternative: str, **numbers) -> Evidence:
    """A statement judged under the document's convention and under the `alternative` one (by_convention); the
    evidence names the alternative and whether it holds (alternative_holds)."""
    return Evidence(by_convention(stated_holds, other_holds), method, summary, details,
                    {"alternative": alternative, "alternative_holds": int(other_holds), **numbers})


def within_bound(exact: bool, errors: dict[str, float], bound: float) -> Verdict:
    """holds when exact; approximate when every error is within the stated bound; fails beyond it."""
    if exact:
        return Verdict.HOLDS
    return Verdict.APPROXIMATE if max(errors.values()) <= bound else Verdict.FAILS


def design_numbers(design: Design, n: int) -> dict[str, float | int]:
    return {"alpha": design.alpha, "power": design.power, "delta": design.delta, "n": int(n)}


def not_checkable(reason: str, summary: str | None = None) -> Evidence:
    return Evidence(Verdict.NOT_CHECKABLE, "none", summary or reason, f"Not checkable: {reason}", {"reason": reason})


def fmt(x: float) -> str:
    return f"{x:.6g}"


#: α of each random check the ledger's own evidence makes (a designed sample, an exact test).
LEDGER_CHECK_ALPHA = 1e-6


def ledger_check_design(power: float, delta: float) -> Design:
    """The design of one random ledger check, counted in the report's list of budgets outside the suite's."""
    from regstats import budget

    budget.count_separate("ledger evidence checks", LEDGER_CHECK_ALPHA,
                          "exact tests on designed samples inside claims' evidence (theory/claims)")
    return Design(alpha=LEDGER_CHECK_ALPHA, power=power, delta=delta)
