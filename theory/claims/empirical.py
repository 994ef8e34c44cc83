"""Empirical claims, decided by the designed experiments in theory/experiments/.

Each experiment trains baseline and regularized models over many seeds on a synthetic task (a claim about
images also on scikit-learn's real 8×8 digits, its summary stating the scale limit), paired,
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
from theory.ledger import SIZE_VARIABLE, Evidence, Verdict, claim, experiment_size

__all__ = ["SIZE_VARIABLE", "experiment", "experiment_evidence", "experiment_size", "run_experiment"]

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


def _real_images(result: ExperimentResult, part: str | None) -> str:
    """The summary's clause on the real-image condition of a decision and the scale limit ("" without one)."""
    if not result.scale_limit:
        return ""
    label = result.image_conditions.get(part or "")
    clause = ""
    if label in result.parts:
        decision, effect, *_ = result.parts[label]
        clause = f"; on real images ({label}): {decision}, effect {effect:.4g}"
    return f"{clause}; scale limit: {result.scale_limit}"


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
               f"[{low:.4g}, {high:.4g}], {result.n_seeds} paired seeds{power_text}"
               + _real_images(result, part))
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


def experiment_claim(claim: Callable[..., Callable], name: str, *, part: str | None = None, module: str = __name__,
                     **entry) -> None:
    """Register, with a topic's `claim` decorator, an empirical claim decided by experiment `name` (its subject),
    or by one `part` of that experiment's decision (experiment_evidence). The claim's record is in the data file
    of `module` (the claims module that registers it; this one by default)."""

    def evidence(run: Callable[[str], ExperimentResult]) -> Evidence:
        return experiment_evidence(run, part)

    evidence.__qualname__ = f"experiment_claim[{entry.get('id')}]"
    evidence.__module__ = module
    claim(subject=experiment(name), **entry)(evidence)


experiment_claim(claim, "l2_gap", id="EMPIRICAL.L2.NARROWS_GAP")
experiment_claim(claim, "dropout_gap", id="EMPIRICAL.DROPOUT.NARROWS_GAP")
experiment_claim(claim, "dropout_decorrelation", id="EMPIRICAL.DROPOUT.DECORRELATES")
experiment_claim(claim, "early_stopping", id="EMPIRICAL.EARLY_STOPPING.BEATS_FULL_TRAINING")
experiment_claim(claim, "l1_sparsity", id="EMPIRICAL.L1.SPARSE_NETWORK_WEIGHTS")
experiment_claim(claim, "mixup", id="EMPIRICAL.MIXUP.SMALL_DATA")
experiment_claim(claim, "bias_variance", id="EMPIRICAL.BIAS_VARIANCE.MEASURED")
experiment_claim(claim, "ensemble", id="EMPIRICAL.ENSEMBLE.TRAINED_NETWORKS")
