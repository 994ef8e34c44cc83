"""One-line mutations of the formula or implementation a claim judges: can its evidence fail?

Every claim whose verdict is not not-checkable declares its `subject` (theory.ledger.claim). A mutation
feeds the evidence function a subject that is wrong in one of four ways, the kinds the ledger audit used:

- sign: the result negated (an entropy sign, a subtracted instead of added term);
- constant: a constant added to the result (an off-by-one, a forgotten ε, 1 for 1/2);
- factor: the result scaled by a factor (a test-time factor, 1/p for 1/(1−p), λ for λ/2);
- closed_form: a different closed form (the formula's variable replaced by a function of itself, e.g.
  an elastic-net solution with the wrong threshold form).

A claim's evidence catches a mutation when the verdict on the mutated subject differs from the verdict on
the real one (for a claim that fails: on the corrected subject, which must hold). tests/test_ledger.py
applies every kind to every claim.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import sympy as sp

KINDS = ("sign", "constant", "factor", "closed_form")

#: The constant and the factor of the mutations: far from 0 and 1, and not a power of 2 or a simple
#: fraction that a correct formula could produce by accident.
CONSTANT = Fraction(3, 7)
FACTOR = Fraction(13, 10)


#: Checked claims whose evidence does not take its subject yet (work in progress; this list may only
#: shrink: tests/test_ledger.py fails when a converted claim is still listed or an unlisted one lacks a subject).
#: Empty: every checked claim takes its subject (a claim added without one fails that test).
NOT_YET_CONVERTED: tuple[str, ...] = ()


#: Mutations that leave a claim's statement true, so no evidence could (or should) change its verdict:
#: {(claim id, kind): why}. tests/test_ledger.py checks that each listed mutation indeed keeps the verdict.
INVARIANT: dict[tuple[str, str], str] = {
    ("L2.DECORRELATION.NOTES004", "factor"): "a penalty scaled by a positive factor prefers the same matrices "
    "and still vanishes at orthonormal columns: the corrected statement stays true",
    ("BATCHNORM.SMALL_BATCH", "sign"): "the normalised output of a batch of one is 0, and −0 = 0: still true",
    ("BATCHNORM.SMALL_BATCH", "factor"): "the normalised output of a batch of one is 0, and 1.3·0 = 0: still true",
    ("SOFTMAX.NEVER_ZERO_ONE", "closed_form"): "the closed-form mutation substitutes a logit by z² + 3/7: the "
    "result is the softmax of other logits, still strictly inside (0, 1)",
    ("L2.DIFFERENTIABLE", "factor"): "1.3·w² is still a (weighted) squared-norm penalty, differentiable everywhere",
}


class NotMutable(TypeError):
    """The subject has no numeric value a mutation could change."""


def _closed_form_sympy(expr: sp.Basic) -> sp.Basic:
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    for symbol in symbols:
        changed = expr.subs(symbol, symbol**2 + sp.Rational(CONSTANT.numerator, CONSTANT.denominator))
        if changed != expr:  # structurally different (the symbol occurs): a different closed form
            return changed
    return expr**2 + 1


def _number(value, kind: str):
    if kind == "sign":
        # -0 is 0: a zero scalar becomes -1 so that the sign mutation always changes the value
        return -1 if getattr(value, "ndim", 0) == 0 and value == 0 else -value
    if kind == "constant":
        return value + type(value)(CONSTANT) if isinstance(value, Fraction) else value + float(CONSTANT)
    if kind == "factor":
        return value * FACTOR if isinstance(value, Fraction) else value * float(FACTOR)
    # closed form: the value squared plus one (differs from the value for every real number)
    return value * value + 1


def mutate(subject: object, kind: str) -> object:
    """`subject` changed by one mutation of `kind` (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"mutate: kind must be one of {KINDS}, got {kind!r}")
    if isinstance(subject, bool) or subject is None or isinstance(subject, str):
        raise NotMutable(f"mutate: a {type(subject).__name__} subject has no numeric value to mutate")
    if isinstance(subject, sp.MatrixBase):
        return subject.applyfunc(lambda entry: mutate(sp.sympify(entry), kind))
    if isinstance(subject, sp.Basic):
        if kind == "sign":
            return -subject
        if kind == "constant":
            return subject + sp.Rational(CONSTANT.numerator, CONSTANT.denominator)
        if kind == "factor":
            return subject * sp.Rational(FACTOR.numerator, FACTOR.denominator)
        return _closed_form_sympy(subject)
    if isinstance(subject, (int, float, Fraction, np.floating, np.integer)):
        return _number(subject, kind)
    if isinstance(subject, np.ndarray):
        return _number(subject.astype(np.float64) if subject.dtype.kind in "biu" else subject, kind)
    try:
        import torch

        if isinstance(subject, torch.Tensor):
            return _number(subject if subject.is_floating_point() else subject.double(), kind)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if isinstance(subject, list):
        return [mutate(value, kind) for value in subject]
    if isinstance(subject, tuple):
        # A tuple subject is (the value under judgement, what comes with it): mutate the value.
        return (mutate(subject[0], kind), *subject[1:])
    if isinstance(subject, dict):
        return {key: mutate(value, kind) for key, value in subject.items()}
    if callable(subject):
        return _mutated_callable(subject, kind)
    raise NotMutable(f"mutate: cannot mutate a {type(subject).__name__} subject")


def _mutated_callable(fn: Callable, kind: str) -> Callable:
    @functools.wraps(fn)
    def mutated(*args, **kwargs):
        return mutate(fn(*args, **kwargs), kind)

    mutated.mutation = kind  # type: ignore[attr-defined]
    return mutated
