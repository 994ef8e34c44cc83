"""Empirical claims, decided by the designed experiments in theory/experiments/.

Each experiment trains baseline and regularized models over many seeds on a synthetic task, paired,
and decides with an exact sign test at α = EXPERIMENT_ALPHA. The size comes from the environment
variable REGVERIFY_EXPERIMENT_SIZE: "small" (default; a smoke test whose decision may be
"inconclusive at this size") or "full" (what `regverify report` runs). The verdict follows the
decision: holds → holds; "depends on <condition>" → holds under that condition; "does not hold on
this task" → fails, with the task as counterexample and the measured effect as the corrected
statement; inconclusive → not checkable at this size.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from regstats import binomial_detectable_delta
from theory.experiments import EXPERIMENTS, ExperimentResult
from theory.experiments.common import HOLDS, INCONCLUSIVE, REPORTED_POWER
from theory.lectures import NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import Evidence, Source, Verdict, claim

TOPIC = "empirical"
SIZE_VARIABLE = "REGVERIFY_EXPERIMENT_SIZE"
FIGURES_VARIABLE = "REGVERIFY_FIGURES"


def experiment_size() -> str:
    size = os.environ.get(SIZE_VARIABLE, "small")
    if size not in ("small", "full"):
        raise ValueError(f"{SIZE_VARIABLE} must be 'small' or 'full', got {size!r}")
    return size


def figures_dir() -> Path:
    chosen = os.environ.get(FIGURES_VARIABLE)
    return Path(chosen) if chosen else Path(tempfile.gettempdir()) / "regverify-figures"


@functools.cache
def run_experiment(name: str, size: str) -> ExperimentResult:
    """One experiment at one size, once per process (the ledger and the report share it)."""
    out = figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    result = EXPERIMENTS[name](size=size, out_dir=out)
    result.name = result.name or name
    return result


def experiment_evidence(name: str) -> Evidence:
    size = experiment_size()
    result = run_experiment(name, size)
    low, high = result.ci
    numbers: dict[str, float | int | str] = {
        "experiment": name, "size": size, "alpha": result.alpha, "n": result.n_seeds, "seeds": result.n_seeds,
        "effect": float(result.effect), "ci_low": float(low), "ci_high": float(high),
        # The sign test's power against a shift of P(paired difference > 0) away from 1/2.
        "power": REPORTED_POWER,
        "delta": binomial_detectable_delta(max(result.n_seeds, 1), 0.5, result.alpha, REPORTED_POWER),
        "figures": ", ".join(Path(f).name for f in result.figures),
    }
    summary = f"{result.decision} (size {size}: effect {result.effect:.4g}, {1 - result.alpha:.1%} interval " \
              f"[{low:.4g}, {high:.4g}], {result.n_seeds} paired seeds)"
    details = f"Experiment `{name}` at size **{size}**.\n\n{result.details}"
    if result.decision == HOLDS:
        verdict = Verdict.HOLDS
    elif result.decision.startswith("depends on"):
        verdict = Verdict.HOLDS_UNDER_CONVENTION
        numbers["alternative"] = result.decision.partition("; not for ")[2] or result.decision
        numbers["alternative_holds"] = 0
    elif result.decision == INCONCLUSIVE:
        numbers["reason"] = f"inconclusive at size {size}; `regverify report` decides it at size full"
        return Evidence(Verdict.NOT_CHECKABLE, "none", summary, details, numbers)
    else:
        verdict = Verdict.FAILS
        numbers["counterexample"] = f"the synthetic task of experiment {name} ({result.n_seeds} paired seeds)"
        numbers["corrected_statement"] = (
            f"the effect is not universal: on this task the measured paired effect is {result.effect:.4g} "
            f"with interval [{low:.4g}, {high:.4g}]"
        )
        # The corrected statement is the measured interval itself, decided by the same sign test.
        numbers["corrected_holds"] = 1
    return Evidence(verdict, "experiment", summary, details, numbers)


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


@claim(
    id="EMPIRICAL.L2.NARROWS_GAP",
    sources=[W6_EX_L2, W6_OVERFIT],
    statement="Training with an L2 penalty narrows the gap between training and validation error.",
    formal="median over paired seeds of (gap without L2 − gap with L2) > 0",
    convention="small MLP, synthetic polynomial-regression task, λ fixed; sign test at α = 1e-3",
    topic=TOPIC,
)
def _l2_gap() -> Evidence:
    return experiment_evidence("l2_gap")


@claim(
    id="EMPIRICAL.DROPOUT.NARROWS_GAP",
    sources=[P_HIGH],
    statement="Dropout reduces overfitting: the gap between training and validation error narrows.",
    formal="median over paired seeds of (gap without dropout − gap with dropout) > 0",
    convention="small MLP on a synthetic classification task; p = drop probability (PyTorch)",
    topic=TOPIC,
)
def _dropout_gap() -> Evidence:
    return experiment_evidence("dropout_gap")


@claim(
    id="EMPIRICAL.DROPOUT.DECORRELATES",
    sources=[P_MATH],
    statement="Dropout breaks co-adaptation: hidden units of a network trained with dropout are less correlated.",
    formal="median paired difference of the mean |off-diagonal correlation| of hidden activations > 0",
    convention="correlations measured on held-out inputs in eval mode",
    topic=TOPIC,
    related=["ENSEMBLE.MSE.CORRELATED"],
)
def _dropout_decorrelates() -> Evidence:
    return experiment_evidence("dropout_decorrelation")


@claim(
    id="EMPIRICAL.EARLY_STOPPING.BEATS_FULL_TRAINING",
    sources=[P_ES, W6_ES],
    statement="Stopping at the validation minimum gives a lower validation error than training to the end.",
    formal="median paired (final validation error − validation error at the early-stopping epoch) > 0",
    convention="patience-based stopping with the best weights restored",
    topic=TOPIC,
    related=["EARLY_STOPPING.VALIDATION_U_SHAPE"],
)
def _early_stopping() -> Evidence:
    return experiment_evidence("early_stopping")


@claim(
    id="EMPIRICAL.L1.SPARSE_NETWORK_WEIGHTS",
    sources=[W6_L1, N4_L1, OV_L1L2],
    statement="Training a network with an L1 penalty yields many (near-)zero weights; L2 does not.",
    formal="median paired (fraction of |w| below a threshold under L1 − under L2) > 0",
    convention="proximal (soft-threshold) steps produce exact zeros; plain subgradient steps only small weights",
    topic=TOPIC,
    related=["L1.SPARSITY"],
)
def _l1_sparsity() -> Evidence:
    return experiment_evidence("l1_sparsity")


@claim(
    id="EMPIRICAL.MIXUP.SMALL_DATA",
    sources=[W6_EX_MIX],
    statement="Mixup improves test accuracy when training data is small.",
    formal="median paired (accuracy with mixup − accuracy without) > 0",
    convention="λ ~ Beta(α, α) on a small synthetic classification task",
    topic=TOPIC,
    related=["MIXUP.CONVEX_COMBINATION"],
)
def _mixup() -> Evidence:
    return experiment_evidence("mixup")


@claim(
    id="EMPIRICAL.BIAS_VARIANCE.MEASURED",
    sources=[W6_BV],
    statement="Measured over many training sets, expected test error equals bias² + variance + noise, and "
    "bias falls while variance rises with model complexity.",
    formal="|E(ŷ − y)² − (bias² + variance + σ²)| within its Monte-Carlo bound at every grid point",
    convention="squared loss, ridge polynomial regression, Gaussian noise of known σ",
    topic=TOPIC,
    related=["BIAS_VARIANCE.DECOMPOSITION", "BIAS_VARIANCE.COMPLEXITY"],
)
def _bias_variance() -> Evidence:
    return experiment_evidence("bias_variance")


@claim(
    id="EMPIRICAL.ENSEMBLE.TRAINED_NETWORKS",
    sources=[P_MATH],
    statement="For independently trained networks, the MSE of their average matches V/k + (k-1)C/k with V and C "
    "measured from the networks' errors.",
    formal="observed MSE of the k-average − V/k − (k−1)C/k within its interval for every k",
    convention="V, C estimated on held-out points; errors need not have mean zero (C absorbs the shared bias)",
    topic=TOPIC,
    related=["ENSEMBLE.MSE.CORRELATED", "ENSEMBLE.MSE.PLUGIN_EXACT"],
)
def _ensemble() -> Evidence:
    return experiment_evidence("ensemble")
