"""Figures for the report (matplotlib, Agg backend: headless). Each function writes one PNG into
`out_dir` and returns its path. matplotlib is an optional dependency (`pip install regverify[plots]`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


#: file name -> every text a figure shows (titles, legend entries, annotations), so that a test can compare the
#: numbers a figure states with the numbers of the text beside it.
FIGURE_TEXTS: dict[str, list[str]] = {}


def figure_texts(fig: Any) -> list[str]:
    texts = []
    for ax in fig.axes:
        texts.append(ax.get_title())
        legend = ax.get_legend()
        if legend is not None:
            texts += [t.get_text() for t in legend.get_texts()]
        texts += [t.get_text() for t in ax.texts]
    return [t for t in texts if t]


def _wrapped(title: str, width: int = 70) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) or title


def _save(fig: Any, out_dir: Path, filename: str) -> Path:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / filename
    FIGURE_TEXTS[filename] = figure_texts(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)
    return path


def _finish(fig: Any, ax: Any, out_dir: Path, filename: str, *, xlabel: str, ylabel: str, title: str) -> Path:
    """The one-panel figures' common ending: axis labels, the wrapped title, legend and grid; then saved."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(_wrapped(title), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, out_dir, filename)


def plot_training_curves(out_dir: Path, curves: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray]], *,
                         title: str, filename: str = "training_curves.png", mark_step: int | None = None,
                         ylabel: str = "MSE (mean over seeds)") -> Path:
    """Training (dashed) and validation (solid) curves per arm: {label: (steps, train, val)}."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for index, (label, (steps, train, val)) in enumerate(curves.items()):
        color = f"C{index}"
        ax.plot(steps, val, color=color, lw=2, label=f"{label}: validation")
        ax.plot(steps, train, color=color, lw=1.5, ls="--", label=f"{label}: training")
    if mark_step is not None:
        ax.axvline(mark_step, color="gray", ls=":", label=f"early stop (median step {mark_step})")
    ax.set_yscale("log")
    return _finish(fig, ax, out_dir, filename, xlabel="training step", ylabel=ylabel, title=title)


def plot_bias_variance(out_dir: Path, by_degree: Sequence[Any], by_lambda: Sequence[Any], *,
                       filename: str = "bias_variance.png", title: str | None = None) -> Path:
    """Bias², variance, noise, their sum and the measured error against degree and ridge λ.

    Points are objects with degree, lam, bias2, variance, noise, total, measured, bound attributes.
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, points, attr, label in ((axes[0], by_degree, "degree", "polynomial degree"),
                                    (axes[1], by_lambda, "lam", "ridge λ")):
        x = np.array([getattr(p, attr) for p in points], dtype=float)
        ax.plot(x, [p.bias2 for p in points], "o-", label="bias²")
        ax.plot(x, [p.variance for p in points], "s-", label="variance")
        ax.plot(x, [p.noise for p in points], ":", color="gray", label="noise σ²")
        ax.plot(x, [p.total for p in points], "-", color="k", lw=2, label="bias² + variance + noise")
        ax.errorbar(x, [p.measured for p in points], yerr=[p.bound for p in points], fmt="x", color="C3",
                    capsize=3, label="measured expected error (± MC bound)")
        ax.set_yscale("log")
        if attr == "lam":
            ax.set_xscale("log")
            ax.set_title(f"degree {points[0].degree}: error vs ridge strength", fontsize=10)
        else:
            ax.set_title("error vs model complexity (λ ≈ 0)", fontsize=10)
        ax.set_xlabel(label)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("squared error")
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(_wrapped(title, 120), fontsize=10)
    return _save(fig, out_dir, filename)


def plot_ensemble(out_dir: Path, ks: Sequence[int], observed: Sequence[float], observed_low: Sequence[float],
                  observed_high: Sequence[float], predicted: Sequence[float], v: float, c: float, *,
                  filename: str = "ensemble_mse.png", title: str | None = None) -> Path:
    """Observed MSE of k-averages (with intervals) against V/k + (k-1)C/k and its floor C."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ks_dense = np.linspace(min(ks), max(ks), 200)
    ax.plot(ks_dense, v / ks_dense + (ks_dense - 1) * c / ks_dense, color="k", label="V/k + (k-1)C/k (pool A)")
    ax.axhline(c, color="gray", ls=":", label=f"C = {c:.3g} (limit k → ∞)")
    obs = np.asarray(observed)
    err = np.vstack([obs - np.asarray(observed_low), np.asarray(observed_high) - obs])
    ax.errorbar(ks, obs, yerr=err, fmt="o", color="C3", capsize=3, label="observed MSE of the average (pool B)")
    ax.plot(ks, predicted, "k+", ms=10)
    return _finish(fig, ax, out_dir, filename, xlabel="ensemble size k", ylabel="MSE against the noiseless target",
                   title=title or f"MSE of the average of k independently seeded nets (V = {v:.3g}, C = {c:.3g})")


def plot_weight_histograms(out_dir: Path, weights: Mapping[str, np.ndarray], *,
                           filename: str = "l1_l2_weights.png", title: str | None = None) -> Path:
    """Histogram of log10|w| per penalty, with exact zeros counted in a separate bar at the left."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    finite = np.concatenate([np.abs(w[w != 0]) for w in weights.values()])
    low = np.log10(finite.min()) if finite.size else -8.0
    high = np.log10(finite.max()) if finite.size else 1.0
    bins = np.linspace(low, high, 40)
    zero_at = low - 1.0
    for index, (label, w) in enumerate(weights.items()):
        nonzero = np.abs(w[w != 0])
        zeros = int((w == 0).sum())
        ax.hist(np.log10(nonzero), bins=bins, histtype="step", lw=2, color=f"C{index}",
                label=f"{label}: {zeros / w.size:.0%} exactly 0")
        ax.bar(zero_at + 0.25 * index, zeros, width=0.25, color=f"C{index}", alpha=0.7)
    ax.axvline(zero_at + 0.6, color="gray", ls=":")
    ax.text(zero_at, ax.get_ylim()[1] * 0.95, "w = 0", fontsize=8, va="top")
    return _finish(fig, ax, out_dir, filename, xlabel="log10 |w| (first-layer weights, all seeds)", ylabel="count",
                   title=title or "First-layer weight magnitudes per penalty")


def plot_early_stopping_vs_l2(out_dir: Path, *, trajectory_norm: np.ndarray, trajectory_val: np.ndarray,
                              stop_index: int, l2_norm: Sequence[float], l2_val: Sequence[float],
                              lambdas: Sequence[float], filename: str = "early_stopping_vs_l2.png",
                              title: str | None = None) -> Path:
    """Validation error against weight norm: the unregularized training path vs the L2 path over λ."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(trajectory_norm, trajectory_val, "-", color="C0", label="training path, no regularizer (over steps)")
    ax.plot(trajectory_norm[stop_index], trajectory_val[stop_index], "*", ms=14, color="C1",
            label="early-stopping point (median step)")
    ax.plot(l2_norm, l2_val, "o--", color="C2", label="L2 path (trained to the end, over λ)")
    for norm, val, lam in zip(l2_norm, l2_val, lambdas, strict=False):
        ax.annotate(f"λ={lam:g}", (norm, val), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_yscale("log")
    return _finish(fig, ax, out_dir, filename, xlabel="weight norm ‖w‖₂ (mean over seeds)",
                   ylabel="validation MSE (mean over seeds)",
                   title=title or "Validation MSE against weight norm: training path vs L2 path")

