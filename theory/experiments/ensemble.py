"""The ensemble formula MSE(average of k) = V/k + (k-1)C/k on independently seeded trained networks.

Errors e_i(x) = f_i(x) - f(x) of networks trained on the same data from different seeds, at fixed
test inputs x. Two checks:

1. Plug-in identity (exact algebra): for any k networks, with V = mean_i mean_x e_i² and
   C = mean_{i≠j} mean_x e_i e_j (uncentred second moments, so no zero-mean assumption is
   needed), mean_x (mean_i e_i)² = V/k + (k-1)C/k. Float64 rounding bound: both sides are sums of
   at most M + k² rounded products, so |lhs - rhs| ≤ 2(M + k² + 8)·eps·mean_x (mean_i |e_i|)².
2. Out-of-sample prediction: V and C estimated on pool A predict the MSE of k-averages formed
   from disjoint groups of pool B (fresh seeds). The difference has a normal-approximation
   (1 - α/K) interval from the spread over groups (t) and a leave-one-net-out jackknife SE of the
   pool-A prediction; the formula holds on this task when every interval contains 0.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from scipy import stats as sps

from theory.experiments import common, net, tasks

#: "shown" needs every k's interval for the relative error (observed − predicted)/predicted inside ±this.
EQUIVALENCE_RELATIVE = 0.20

ENSEMBLE = {
    "small": dict(pool_a=4, pool_b=8, hidden=16, steps=100, n_train=30, n_test=100, ks=[1, 2, 4]),
    "full": dict(pool_a=32, pool_b=96, hidden=32, steps=600, n_train=30, n_test=200, ks=[1, 2, 3, 4, 6, 8, 12, 16]),
}


def second_moments(errors: np.ndarray) -> tuple[float, float]:
    """Plug-in (V, C) of errors [k, M]: mean squared error and mean cross moment over distinct pairs."""
    k = errors.shape[0]
    gram = errors @ errors.T / errors.shape[1]
    v = float(np.trace(gram) / k)
    c = float((gram.sum() - np.trace(gram)) / (k * (k - 1))) if k > 1 else 0.0
    return v, c


def formula(v: float, c: float, k: int) -> float:
    return v / k + (k - 1) * c / k


def identity_residual(errors: np.ndarray) -> tuple[float, float]:
    """(|MSE of the average - V/k - (k-1)C/k|, its float64 rounding bound) for errors [k, M]."""
    k, m = errors.shape
    lhs = float(np.mean(errors.mean(axis=0) ** 2))
    v, c = second_moments(errors)
    scale = float(np.mean(np.abs(errors).mean(axis=0) ** 2))
    return abs(lhs - formula(v, c, k)), 2 * (m + k * k + 8) * np.finfo(np.float64).eps * scale


@dataclass(frozen=True)
class EnsemblePoint:
    k: int
    predicted: float
    observed: float
    low: float  # interval for observed - predicted
    high: float
    groups: int


def _jackknife_se(errors: np.ndarray, k: int) -> float:
    """Leave-one-net-out jackknife standard error of formula(V, C, k) estimated on `errors` [N, M]."""
    n = errors.shape[0]
    gram = errors @ errors.T / errors.shape[1]
    total, trace = gram.sum(), np.trace(gram)
    row, diag = gram.sum(axis=1), np.diag(gram)
    v = (trace - diag) / (n - 1)
    c = ((total - 2 * row + diag) - (trace - diag)) / ((n - 1) * (n - 2))
    estimates = v / k + (k - 1) * c / k
    return float(math.sqrt((n - 1) / n * np.sum((estimates - estimates.mean()) ** 2)))


def experiment_ensemble(*, seeds: int | None = None, device: str = "cpu", size: common.Size = "small",
                        first_seed: int = 0) -> common.ExperimentResult:
    """Check V/k + (k-1)C/k against the measured MSE of averaged, independently seeded networks.

    `seeds` overrides the size of pool B (pool A keeps its size); the networks' seeds are
    first_seed + 0, 1, ..., all trained on one data set.
    """
    started = time.perf_counter()
    common.check_size(size)
    cfg = dict(ENSEMBLE[size])
    if seeds is not None:
        if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 2 * max(cfg["ks"]):
            raise ValueError(f"seeds (pool B size) must be an integer ≥ {2 * max(cfg['ks'])}, got {seeds!r}")
        cfg["pool_b"] = seeds
    n_nets = cfg["pool_a"] + cfg["pool_b"]
    rng = np.random.default_rng([8, first_seed])
    x_train, y_train = tasks.sine_regression(rng, cfg["n_train"])
    x_test = np.linspace(-1.0, 1.0, cfg["n_test"])[:, None]
    data = net.Data(*(tasks.stack([a], device) for a in (x_train, y_train, x_test, tasks.sine_function(x_test))))
    net_seeds = [8_000_000 + first_seed * 10_000 + i for i in range(n_nets)]
    # One arm, many networks: every network is its own "seed" of the same data set.
    repeated = net.Data(*(t.expand(n_nets, *t.shape[1:]).contiguous() for t in
                          (data.x_train, data.y_train, data.x_val, data.y_val)))
    with net.single_thread():
        trained = net.train_arms([net.Arm("ensemble member", lr=1e-2)], [1, cfg["hidden"], cfg["hidden"], 1], net_seeds,
                                 repeated, steps=cfg["steps"], record_every=cfg["steps"], noise_seed=net_seeds[0])
        with torch.no_grad():
            pred = net.forward(trained.params, repeated.x_val).out[..., 0].cpu().double().numpy()
    errors = pred - tasks.sine_function(x_test)[:, 0][None, :]
    pool_a, pool_b = errors[: cfg["pool_a"]], errors[cfg["pool_a"]:]
    v, c = second_moments(pool_a)
    alpha_k = common.EXPERIMENT_ALPHA / len(cfg["ks"])
    points: list[EnsemblePoint] = []
    identity_rows = []
    for k in cfg["ks"]:
        groups = pool_b[: (len(pool_b) // k) * k].reshape(-1, k, pool_b.shape[1])
        mse = np.mean(groups.mean(axis=1) ** 2, axis=1)
        predicted = formula(v, c, k)
        se = math.sqrt(mse.var(ddof=1) / len(mse) + _jackknife_se(pool_a, k) ** 2)
        half = sps.norm.isf(alpha_k / 2) * se
        diff = float(mse.mean()) - predicted
        points.append(EnsemblePoint(k, predicted, float(mse.mean()), diff - half, diff + half, len(mse)))
        residual, bound = identity_residual(pool_b[:k])
        identity_rows.append([k, residual, bound, residual <= bound])
    identity_ok = all(r[3] for r in identity_rows)
    formula_ok = all(p.low <= 0.0 <= p.high for p in points)
    worst = max(points, key=lambda p: abs(p.observed - p.predicted) / p.predicted)
    rows = [[p.k, p.predicted, p.observed, p.observed - p.predicted, f"[{p.low:.3g}, {p.high:.3g}]", p.groups]
            for p in points]
    details = (
        f"Task: 1-D sine regression, one data set of {cfg['n_train']} noisy points; {n_nets} MLPs 1-{cfg['hidden']}-"
        f"{cfg['hidden']}-1 from independent seeds, full-batch Adam lr=1e-2, {cfg['steps']} steps. Errors against the "
        f"noiseless target at {cfg['n_test']} test inputs. Pool A ({cfg['pool_a']} nets): V = {v:.5g}, C = {c:.5g} "
        f"(C/V = {c / v:.3f}: members share the data, so errors are strongly correlated and the ensemble MSE "
        f"levels off at C). Pool B ({cfg['pool_b']} nets) gives the observed MSE of disjoint k-groups; intervals at "
        f"1 - α/{len(cfg['ks'])} (normal approximation over groups + jackknife over pool A).\n\n"
        + common.table(["k", "predicted V/k+(k-1)C/k", "observed MSE", "observed - predicted", "interval", "groups"],
                       rows)
        + "\n\nPlug-in identity on the first k nets of pool B (float64):\n\n"
        + common.table(["k", "|lhs - rhs|", "rounding bound", "within"], identity_rows)
    )
    # Three-way decision with an equivalence margin: "no interval rejected" alone is not evidence (a wide
    # interval rejects nothing). Shown: every k's interval for (observed − predicted)/predicted lies inside
    # ±EQUIVALENCE_RELATIVE; refuted: the plug-in identity fails, or some interval lies entirely outside
    # the margin; otherwise not shown (intervals too wide at this size).
    inside = all(-EQUIVALENCE_RELATIVE <= p.low / p.predicted and p.high / p.predicted <= EQUIVALENCE_RELATIVE
                 for p in points)
    outside = any(p.low / p.predicted > EQUIVALENCE_RELATIVE or p.high / p.predicted < -EQUIVALENCE_RELATIVE
                  for p in points)
    details += (f"\n\nEvery interval contains 0: {formula_ok}. Shown needs every relative interval inside "
                f"±{EQUIVALENCE_RELATIVE}: {inside}; refuted if one lies outside it: {outside}.")
    if size == "small":
        details += "\n\n" + common.SMALL_SIZE_NOTE
    decision = common.equivalence_decision(refuted=not identity_ok or outside, equivalent=inside)
    relative = (worst.observed - worst.predicted) / worst.predicted
    ci = (worst.low / worst.predicted, worst.high / worst.predicted)
    result = common.ExperimentResult("Ensemble of k: MSE = V/k + (k-1)C/k on trained networks", decision, relative,
                                     ci, common.EXPERIMENT_ALPHA, n_nets, details, [], "ensemble", size,
                                     time.perf_counter() - started)
    result.plots["ensemble"] = dict(
        ks=[p.k for p in points], observed=[p.observed for p in points],
        low=[p.observed - (p.high - p.low) / 2 for p in points], high=[p.observed + (p.high - p.low) / 2 for p in points],
        predicted=[p.predicted for p in points], v=v, c=c)
    return result
