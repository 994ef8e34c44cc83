"""The bias-variance decomposition measured on ridge polynomial regression (float64 NumPy, closed form).

Expected test error = Bias² + Variance + Noise (lecture "Week 6", squared loss, noise independent of
the fit). For each model (degree d, ridge λ) we draw R training sets of n points from
y = f(x) + N(0, σ²), fit each, and predict on M fixed test inputs. With the plug-in moments

    bias²  = mean_x (ȳ(x) - f(x))²,   variance = mean_x mean_r (ŷ_r(x) - ȳ(x))²,   noise = σ²,

bias² + variance = mean_{r,x} (ŷ_r - f)² exactly, so the measured error on fresh noisy targets,
mean_{r,x} (ŷ_r - f - ε)², differs from the sum only by the Monte-Carlo term
(1/N) Σ [-2 a ε + ε² - σ²] with a = ŷ - f, N = R·M. Conditionally on the fits this is an exact
Gaussian term plus a centred χ²_N term, bounded with probability ≥ 1 - α' by

    [ z_{α'/4} · 2σ·sqrt(Σ a²)  +  σ² (2 sqrt(N t) + 2 t) ] / N,   t = ln(4/α')

(Gaussian tail + Laurent-Massart χ² bounds, union bound); α' = α / (number of grid points).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import legendre
from scipy import stats as sps

from theory.experiments.common import (
    EXPERIMENT_ALPHA,
    SMALL_SIZE_NOTE,
    ExperimentResult,
    Size,
    check_size,
    equivalence_decision,
    table,
)
from theory.experiments.tasks import SINE_NOISE, sine_function

BIAS_VARIANCE = {
    "small": dict(repeats=100, n_train=25, n_test=50, degrees=[1, 3, 6, 12], lams=[1e-6, 1e-2, 1.0, 100.0],
                  lam_degree=12),
    "full": dict(repeats=4000, n_train=25, n_test=200, degrees=list(range(1, 13)),
                 lams=[float(v) for v in np.logspace(-6, 2, 9)], lam_degree=12),
}
#: "shown" needs every grid point's |measured − sum| + bound within this fraction of the measured error.
EQUIVALENCE_RELATIVE = 0.05
DEGREE_SWEEP_LAMBDA = 1e-6  # a whisper of ridge keeps degree-12 normal equations solvable on 25 points


@dataclass(frozen=True)
class Decomposition:
    """One grid point: the parts, their sum, the measured expected error, and the Monte-Carlo bound."""

    degree: int
    lam: float
    bias2: float
    variance: float
    noise: float
    measured: float
    bound: float

    @property
    def total(self) -> float:
        return self.bias2 + self.variance + self.noise

    @property
    def residual(self) -> float:
        return self.measured - self.total


def monte_carlo_bound(errors: np.ndarray, sigma: float, alpha: float) -> float:
    """Bound on |measured - (bias² + variance + noise)| holding with probability ≥ 1 - alpha (module doc)."""
    n = errors.size
    t = math.log(4 / alpha)
    gaussian = sps.norm.isf(alpha / 4) * 2 * sigma * math.sqrt(float(np.sum(errors**2)))
    chi2 = sigma**2 * (2 * math.sqrt(n * t) + 2 * t)
    return float((gaussian + chi2) / n)


def decompose(rng: np.random.Generator, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, degree: int,
              lam: float, sigma: float, alpha: float) -> Decomposition:
    """Fit ridge polynomials (Legendre basis) on every training set [R, n] and decompose the test error."""
    features = legendre.legvander(x_train, degree)  # [R, n, d+1]
    gram = features.transpose(0, 2, 1) @ features + lam * np.eye(degree + 1)
    coef = np.linalg.solve(gram, (features.transpose(0, 2, 1) @ y_train[..., None]))[..., 0]  # [R, d+1]
    pred = coef @ legendre.legvander(x_test, degree).T  # [R, M]
    truth = sine_function(x_test)
    mean_pred = pred.mean(axis=0)
    bias2 = float(np.mean((mean_pred - truth) ** 2))
    variance = float(np.mean((pred - mean_pred) ** 2))
    noise = sigma * rng.standard_normal(pred.shape)
    measured = float(np.mean((pred - (truth + noise)) ** 2))
    bound = monte_carlo_bound(pred - truth, sigma, alpha)
    return Decomposition(degree, lam, bias2, variance, sigma**2, measured, bound)


def experiment_bias_variance(*, seeds: int | None = None, device: str = "cpu", size: Size = "small",
                             first_seed: int = 0) -> ExperimentResult:
    """Measure bias², variance and noise against the measured expected error over degree and ridge λ.

    `seeds` is the number of training sets R per grid point (the Monte-Carlo repetitions); `device`
    is accepted for a uniform signature (closed-form float64 NumPy fits need none).
    """
    started = time.perf_counter()
    check_size(size)
    cfg = BIAS_VARIANCE[size]
    repeats = seeds or cfg["repeats"]
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 2:
        raise ValueError(f"seeds (training sets per grid point) must be an integer ≥ 2, got {repeats!r}")
    rng = np.random.default_rng([7, first_seed])
    sigma = SINE_NOISE
    x_train = rng.uniform(-1.0, 1.0, size=(repeats, cfg["n_train"]))
    y_train = sine_function(x_train) + sigma * rng.standard_normal(x_train.shape)
    x_test = np.linspace(-1.0, 1.0, cfg["n_test"])
    grid = [(d, DEGREE_SWEEP_LAMBDA) for d in cfg["degrees"]] + [(cfg["lam_degree"], lam) for lam in cfg["lams"]]
    alpha_point = EXPERIMENT_ALPHA / len(grid)
    points = [decompose(rng, x_train, y_train, x_test, d, lam, sigma, alpha_point) for d, lam in grid]
    by_degree, by_lambda = points[: len(cfg["degrees"])], points[len(cfg["degrees"]):]
    adds_up = all(abs(p.residual) <= p.bound for p in points)
    worst = max(points, key=lambda p: abs(p.residual) / p.bound)
    rows = [[p.degree, f"{p.lam:.0e}", p.bias2, p.variance, p.noise, p.total, p.measured, p.residual, p.bound]
            for p in points]
    trend = (
        f"Along the degree sweep bias² goes {by_degree[0].bias2:.4g} → {by_degree[-1].bias2:.4g} and variance "
        f"{by_degree[0].variance:.4g} → {by_degree[-1].variance:.4g}; along the λ sweep (degree {cfg['lam_degree']}) "
        f"bias² goes {by_lambda[0].bias2:.4g} → {by_lambda[-1].bias2:.4g} and variance {by_lambda[0].variance:.4g} → "
        f"{by_lambda[-1].variance:.4g}. The plug-in bias² includes variance/R = at most "
        f"{max(p.variance for p in points) / repeats:.3g} of Monte-Carlo upward bias."
    )
    details = (
        f"Task: y = sin(3x) + 0.5 sin(7x) + N(0, {sigma}²) on x ~ U[-1, 1]; {repeats} training sets of "
        f"{cfg['n_train']} points per grid point, {cfg['n_test']} test inputs, ridge regression on Legendre features. "
        f"Bound: conditional Gaussian + Laurent-Massart χ² tail bound at α' = {alpha_point:.2e} per grid point "
        f"(α = {EXPERIMENT_ALPHA:.0e} over the grid).\n\n"
        + table(["degree", "λ", "bias²", "variance", "noise", "sum", "measured", "measured - sum", "bound"], rows)
        + f"\n\nEvery grid point within its bound: {adds_up}. {trend}"
    )
    # Three-way decision: refuted when a grid point's measured error is outside its bound (significant at
    # α'); shown when every point is inside AND the bound pins the sum to within EQUIVALENCE_RELATIVE of the
    # measured error (so "inside the bound" is informative, not a wide interval); otherwise not shown.
    tight = max((abs(p.residual) + p.bound) / p.measured for p in points)
    details += (f"\n\nWorst (|measured − sum| + bound) / measured over the grid: {tight:.3g} (shown needs ≤ "
                f"{EQUIVALENCE_RELATIVE}).")
    if size == "small":
        details += "\n\n" + SMALL_SIZE_NOTE
    decision = equivalence_decision(refuted=not adds_up, equivalent=tight <= EQUIVALENCE_RELATIVE)
    result = ExperimentResult(
        "Expected error = Bias² + Variance + Noise (squared loss), across degree and ridge strength",
        decision, worst.residual, (worst.residual - worst.bound, worst.residual + worst.bound), EXPERIMENT_ALPHA,
        repeats, details, [], "bias_variance", size, time.perf_counter() - started,
    )
    result.plots["bias_variance"] = dict(by_degree=by_degree, by_lambda=by_lambda)
    return result
