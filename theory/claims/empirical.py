"""Empirical claims, decided by the designed experiments in theory/experiments/.

Each experiment trains baseline and regularized models over many seeds on a synthetic task, paired,
and decides with an exact sign test at α = EXPERIMENT_ALPHA (or, for the two identity checks, with
intervals and an equivalence margin). The size comes from the environment variable
REGVERIFY_EXPERIMENT_SIZE: "small" (default; a smoke test, usually "not shown") or "full" (what
`regverify report` runs); the reviewed verdict of each size is in theory/verdicts.lock.json.

The verdict follows the three-way decision: shown → holds; refuted (significant against the claim, or
the equivalence bound) → fails; not shown → not-shown, with the power at the observed effect and the
seeds that would decide; "depends on <condition>" (a significant difference between conditions) →
depends-on. Nothing "fails" without a significant result against it.

Each evidence function takes the experiment under judgement (a callable size -> ExperimentResult) as its
argument, so a test can feed it a fabricated result and watch the verdict follow.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

from regstats import binomial_detectable_delta
from theory.experiments import EXPERIMENTS, ExperimentResult
from theory.experiments.common import NOT_SHOWN, REFUTED, REPORTED_POWER, SHOWN
from theory.lectures import NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import SIZE_VARIABLE, Evidence, Source, Verdict, experiment_size, topic_claim

__all__ = ["SIZE_VARIABLE", "experiment", "experiment_evidence", "experiment_size", "run_experiment"]

claim = topic_claim("empirical")
FIGURES_VARIABLE = "REGVERIFY_FIGURES"


@functools.cache
def run_experiment(name: str, size: str) -> ExperimentResult:
    """One experiment at one size, once per process (the ledger and the report share it)."""
    result = EXPERIMENTS[name](size=size)
    result.name = result.name or name
    return result


def experiment(name: str) -> Callable[[str], ExperimentResult]:
    """The subject of an empirical claim: run experiment `name` at a given size (cached)."""
    runner = functools.partial(run_experiment, name)
    runner.__name__ = f"experiment {name}"  # type: ignore[attr-defined]
    return runner


def _finite(value: float) -> float | str:
    if math.isnan(value):
        return "nan"
    return float(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")


def experiment_evidence(run: Callable[[str], ExperimentResult], part: str | None = None) -> Evidence:
    """The verdict of an empirical claim from its experiment's decision (or one part of it)."""
    size = experiment_size()
    result = run(size)
    if part is None:
        decision, effect, (low, high) = result.decision, result.effect, result.ci
        power, to_decide = result.power_at_effect, result.seeds_to_decide
    else:
        decision, effect, (low, high), power, to_decide = result.parts[part]
    name = result.name + (f" ({part})" if part else "")
    numbers: dict[str, float | int | str] = {
        "experiment": name, "size": size, "decision": decision, "alpha": result.alpha, "n": result.n_seeds,
        "effect": float(effect), "ci_low": _finite(low), "ci_high": _finite(high),
    }
    if math.isfinite(power):  # a sign-test decision: its power at the observed effect, not a design constant
        numbers["power_at_effect"] = float(power)
        numbers["seeds_to_decide"] = _finite(to_decide)
        numbers["delta"] = binomial_detectable_delta(max(result.n_seeds, 1), 0.5, result.alpha, REPORTED_POWER)
        numbers["delta_power"] = REPORTED_POWER
    power_text = f", power at the observed effect {power:.2f}" if math.isfinite(power) else ""
    summary = (f"{decision} at size {size}: effect {effect:.4g}, {1 - result.alpha:.1%} interval "
               f"[{low:.4g}, {high:.4g}], {result.n_seeds} paired seeds{power_text}")
    details = f"Experiment `{result.name}` at size **{size}**.\n\n{result.details}"
    if decision == SHOWN:
        return Evidence(Verdict.HOLDS, "experiment", summary, details, numbers)
    if decision.startswith("depends on"):
        numbers["depends_on"] = decision.partition(":")[0].removeprefix("depends on ").strip()
        return Evidence(Verdict.DEPENDS_ON, "experiment", summary, details, numbers)
    if decision == NOT_SHOWN:
        seeds = f"about {to_decide:g} seeds would decide it at the observed effect" if math.isfinite(to_decide) \
            else "no number of seeds decides a zero observed effect"
        numbers["reason"] = f"not significant either way at size {size}; {seeds}"
        return Evidence(Verdict.NOT_SHOWN, "experiment", summary, details, numbers)
    if decision != REFUTED:
        raise ValueError(f"experiment {name}: unknown decision {decision!r}")
    from theory.experiments.common import EQUIVALENCE_MARGIN

    numbers["counterexample"] = f"the task of experiment {name} ({result.n_seeds} paired seeds, size {size})"
    if high < 0:
        numbers["corrected_statement"] = (f"on this task the effect is the opposite: the median paired effect lies in "
                                          f"[{low:.4g}, {high:.4g}], below 0")
        numbers["corrected_holds"] = int(high < 0)
    else:
        upper = result.upper_rate if part is None else math.nan
        numbers["corrected_statement"] = (f"on this task any effect is below the equivalence margin: P(paired "
                                          f"difference > 0) ≤ {upper:.3g} < 1/2 + {EQUIVALENCE_MARGIN}")
        numbers["corrected_holds"] = int(upper < 0.5 + EQUIVALENCE_MARGIN)
    return Evidence(Verdict.FAILS, "experiment", summary, details, numbers)


def experiment_claim(claim: Callable[..., Callable], name: str, *, part: str | None = None, **entry) -> None:
    """Register, with a topic's `claim` decorator, an empirical claim decided by experiment `name` (its subject),
    or by one `part` of that experiment's decision (experiment_evidence)."""

    def evidence(run: Callable[[str], ExperimentResult]) -> Evidence:
        return experiment_evidence(run, part)

    evidence.__qualname__ = f"experiment_claim[{entry.get('id')}]"
    claim(subject=experiment(name), **entry)(evidence)


W6_OVERFIT = Source(WEEK6, "Overfitting in Neural Networks")
W6_EX_L2 = Source(WEEK6, "Exercise 6.1 (Section 6.2)")
W6_L1 = Source(WEEK6, "L1 Regularization (Sparsity)")
W6_ES = Source(WEEK6, "6.6 Early Stopping")
W6_EX_MIX = Source(WEEK6, "Exercise 6.4 (Section 6.7)")
W6_BV = Source(WEEK6, "Bias-Variance Decomposition")
P_HIGH = Source(PRIMER, "1. High-Level Explanation of the Technique")
P_MATH = Source(PRIMER, "3. Mathematical Framework for Variance Reduction")
P_ES = Source(PRIMER, "3. Early Stopping")
OV_L1L2 = Source(OVERVIEW, "1. L1 and L2 Regularization")
N4_L1 = Source(NOTES004, "L1")


experiment_claim(
    claim,
    "l2_gap",
    id="EMPIRICAL.L2.NARROWS_GAP",
    sources=[W6_EX_L2, W6_OVERFIT],
    statement="Training with an L2 penalty narrows the gap between training and validation error.",
    formal="median over paired seeds of (gap without L2 − gap with L2) > 0",
    convention="MLP 1-64-64-1 on 1-D sine regression (20 noisy training points), λ = 3e-3 fixed; paired sign test "
    "at α = 1e-3",
    quotes=["a small dataset with and without L2 regularization. Compare training and validation", "- Gap between train/val accuracy grows"],
)


experiment_claim(
    claim,
    "dropout_gap",
    id="EMPIRICAL.DROPOUT.NARROWS_GAP",
    sources=[P_HIGH],
    statement="Dropout reduces overfitting: the gap between training and validation error narrows.",
    formal="median over paired seeds of (gap without dropout − gap with dropout) > 0",
    convention="MLP 1-64-64-1 on 1-D sine regression (20 noisy training points), dropout p = 0.1 (drop "
    "probability, PyTorch) on both hidden layers; paired sign test at α = 1e-3",
    quotes=["leading to more robust, redundant internal representations and significantly reduced overfitting"],
)


experiment_claim(
    claim,
    "dropout_decorrelation",
    id="EMPIRICAL.DROPOUT.DECORRELATES",
    sources=[P_MATH],
    statement="Dropout breaks co-adaptation: hidden units of a network trained with dropout are less correlated.",
    formal="median paired difference of the mean |off-diagonal correlation| of hidden activations > 0",
    convention="correlations measured on held-out inputs in eval mode",
    quotes=["same layer tend to become correlated (co-adapted). By randomly dropping units, Dropout"],
    related=["ENSEMBLE.MSE.CORRELATED"],
)


experiment_claim(
    claim,
    "early_stopping",
    id="EMPIRICAL.EARLY_STOPPING.BEATS_FULL_TRAINING",
    sources=[P_ES, W6_ES],
    statement="Stopping at the validation minimum gives a lower held-out error than training to the end.",
    formal="median paired (final test error − test error at the step of lowest validation error) > 0",
    convention="stop at the recorded step with the lowest validation MSE (best weights restored, no patience); "
    "judged on a separate test set (validation picks the step); MLP on 1-D sine regression",
    quotes=["overfitting). Early stopping halts the training process immediately when the validation error", "1. Monitor validation loss each epoch"],
    related=["EARLY_STOPPING.VALIDATION_U_SHAPE"],
)


experiment_claim(
    claim,
    "l1_sparsity",
    id="EMPIRICAL.L1.SPARSE_NETWORK_WEIGHTS",
    sources=[W6_L1, N4_L1, OV_L1L2],
    statement="Training a network with an L1 penalty yields many (near-)zero weights; L2 does not.",
    formal="median paired (fraction of |w| below a threshold under L1 − under L2) > 0",
    convention="proximal (soft-threshold) steps produce exact zeros; plain subgradient steps only small weights",
    quotes=["**Effect**: Encourages sparse weights (many exactly zero).", "Goal: To drive weights of unimportant connections to exactly zero.", "This encourages sparsity, often pushing some weights to zero."],
    related=["L1.SPARSITY"],
)


experiment_claim(
    claim,
    "mixup",
    id="EMPIRICAL.MIXUP.SMALL_DATA",
    sources=[W6_EX_MIX],
    statement="Mixup improves test accuracy when training data is small.",
    formal="median paired (accuracy with mixup − accuracy without) > 0",
    convention="λ ~ Beta(1, 1); two-moons classification with 20 and 400 training points. Scale limit: Week 6 "
    "asks for an image task; this is a 2-D toy task, so the verdict says nothing about images",
    quotes=["Apply Mixup to an image classification task and measure improvement."],
    related=["MIXUP.CONVEX_COMBINATION"],
)


experiment_claim(
    claim,
    "bias_variance",
    id="EMPIRICAL.BIAS_VARIANCE.MEASURED",
    sources=[W6_BV],
    statement="Measured over many training sets, expected test error equals bias² + variance + noise, and "
    "bias falls while variance rises with model complexity.",
    formal="|E(ŷ − y)² − (bias² + variance + σ²)| within its Monte-Carlo bound at every grid point",
    convention="squared loss, ridge polynomial regression, Gaussian noise of known σ",
    quotes=["Expected error = Bias² + Variance + Irreducible Noise"],
    related=["BIAS_VARIANCE.DECOMPOSITION", "BIAS_VARIANCE.COMPLEXITY"],
)


experiment_claim(
    claim,
    "ensemble",
    id="EMPIRICAL.ENSEMBLE.TRAINED_NETWORKS",
    sources=[P_MATH],
    statement="For independently trained networks, the MSE of their average matches V/k + (k-1)C/k with V and C "
    "measured from the networks' errors.",
    formal="observed MSE of the k-average − V/k − (k−1)C/k within its interval for every k",
    convention="V, C estimated on held-out points; errors need not have mean zero (C absorbs the shared bias)",
    quotes=["\\mathbf{MSE_{ens} = \\frac{V}{k} + \\frac{k-1}{k}C}"],
    origin="ledger",
    related=["ENSEMBLE.MSE.CORRELATED", "ENSEMBLE.MSE.PLUGIN_EXACT"],
)
