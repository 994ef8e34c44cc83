"""Designed experiments for the lectures' empirical claims (paired, multi-seed, with a stated test level).

Every experiment is `experiment_<name>(*, seeds, device="cpu", size="small"|"full", first_seed=0)
-> ExperimentResult`; `run_all(size=...)` runs them all. Experiments draw nothing: each result carries
the data of its figures in `result.plots`, which the report layer (regverify.plots.draw) renders.
size="small" is a smoke test of the machinery (seconds); size="full" is the decisive run (minutes).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from theory.experiments.bias_variance import experiment_bias_variance
from theory.experiments.common import EXPERIMENT_ALPHA, ExperimentResult, Size, check_size
from theory.experiments.empirical import (
    experiment_batchnorm_speed,
    experiment_dropout_decorrelation,
    experiment_dropout_gap,
    experiment_early_stopping,
    experiment_l1_sparsity,
    experiment_l2_gap,
    experiment_mixup,
)
from theory.experiments.ensemble import experiment_ensemble

EXPERIMENTS: dict[str, Callable[..., ExperimentResult]] = {
    "l2_gap": experiment_l2_gap,
    "dropout_gap": experiment_dropout_gap,
    "dropout_decorrelation": experiment_dropout_decorrelation,
    "batchnorm_speed": experiment_batchnorm_speed,
    "early_stopping": experiment_early_stopping,
    "l1_sparsity": experiment_l1_sparsity,
    "mixup": experiment_mixup,
    "bias_variance": experiment_bias_variance,
    "ensemble": experiment_ensemble,
}


def run_all(*, size: Size = "small", device: str = "cpu", only: list[str] | None = None) -> list[ExperimentResult]:
    """Run every experiment (or those named in `only`) at `size`."""
    check_size(size)
    names = list(EXPERIMENTS) if only is None else only
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown:
        raise ValueError(f"run_all: unknown experiments {unknown}; known: {sorted(EXPERIMENTS)}")
    results = []
    for name in names:
        started = time.perf_counter()
        result = EXPERIMENTS[name](device=device, size=size)
        result.seconds = time.perf_counter() - started
        results.append(result)
    return results


__all__ = [
    "EXPERIMENTS",
    "EXPERIMENT_ALPHA",
    "ExperimentResult",
    "experiment_batchnorm_speed",
    "experiment_bias_variance",
    "experiment_dropout_decorrelation",
    "experiment_dropout_gap",
    "experiment_early_stopping",
    "experiment_ensemble",
    "experiment_l1_sparsity",
    "experiment_l2_gap",
    "experiment_mixup",
    "run_all",
]
