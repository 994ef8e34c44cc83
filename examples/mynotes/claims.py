"""Claims of a lecturer's own note (notes/dropout_week3.md), written with the same API as theory/claims/.

The claims' records (the quoted sources, statement, formal, convention; a `reason` for a claim nothing can
decide) are data, in claims.toml beside this file; this module registers the document and computes the
evidence, one function per checkable claim under @claim(id=..., subject=...). Run from the examples/ folder:

    regverify claims --claims mynotes.claims --lectures mynotes/notes
    regverify report --claims mynotes.claims --lectures mynotes/notes --out /tmp/mynotes-report
"""

from __future__ import annotations

import sympy as sp

from theory.evidence import identity
from theory.lectures import register_documents
from theory.ledger import Evidence, Verdict, claim

NOTE = "Week 3 notes: dropout"
register_documents({NOTE: "dropout_week3.md"})

p, x = sp.symbols("p x", positive=True)


def expected_output(scale):
    """E[m·x·scale] for a keep mask m ~ Bernoulli(1 - p) (p = drop rate)."""
    return (1 - p) * x * scale


@claim(
    id="MYNOTES.DROPOUT.TRAIN_SCALE",
    subject=1 / (1 - p),  # the training-time scale the note states
)
def _train_scale(scale) -> Evidence:
    return identity(expected_output(scale), x, summary=f"E[m·x·({sp.sstr(scale)})] = x",
                    assumptions="0 < p < 1, m ~ Bernoulli(1 - p)")


@claim(
    id="MYNOTES.DROPOUT.TEST_SCALE",
    subject=p,  # the note's test-time factor
    corrected=sp.Integer(1),  # inverted dropout needs no test-time factor
)
def _test_scale(factor) -> Evidence:
    train_mean = sp.simplify(expected_output(1 / (1 - p)))
    residual = sp.simplify(factor * x - train_mean)
    ok = residual == 0
    numbers: dict[str, float | int | str] = {"residual": sp.sstr(residual)}
    if not ok:
        numbers.update(counterexample=f"p = 1/2: test output {sp.sstr((factor * x).subs(p, sp.Rational(1, 2)))} "
                       f"vs training mean {sp.sstr(train_mean)}",
                       corrected_statement="no test-time factor (multiply by 1)",
                       corrected_holds=int(sp.simplify(1 * x - train_mean) == 0))
    return Evidence(Verdict.HOLDS if ok else Verdict.FAILS, "symbolic",
                    f"test output {sp.sstr(factor * x)} vs training mean {sp.sstr(train_mean)}: "
                    + ("equal" if ok else f"off by {sp.sstr(residual)}"),
                    f"Training mean E[m·x/(1-p)] = {sp.sstr(train_mean)}; the stated test-time output is "
                    f"{sp.sstr(factor * x)}.", numbers)
