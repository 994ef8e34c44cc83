"""Assertion helpers: say what was expected, what happened, the design, and how to replay it.

They compare on the CPU in bulk (one transfer per array), never element by element on a device,
and hide themselves from tracebacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import regstats as stats
from regstats import budget


def as_numpy(array: Any) -> np.ndarray:
    from impls.protocol import Target

    return Target.to_numpy(array)


def _first_index(bad: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _first_mismatch(bad: np.ndarray) -> str:
    index = _first_index(bad)
    return f"first at index {index}" if index else "at the scalar"


def assert_exact(actual: Any, expected: Any, *, what: str, replay: str = "") -> None:
    """Bitwise equality (NaNs equal), after one transfer to the CPU."""
    __tracebackhide__ = True
    if isinstance(actual, tuple) and isinstance(expected, tuple):  # shapes: compared as tuples, not as arrays
        if actual != expected:
            raise AssertionError(f"{what}: {actual}, but should be {expected}. {replay}")
        return
    a, e = as_numpy(actual), as_numpy(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape}, but should be {e.shape}. {replay}")
    bad = ~((a == e) | (np.isnan(a) & np.isnan(e))) if a.dtype.kind == "f" else a != e
    if bad.any():
        i = _first_index(bad)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {a.size} elements differ ({_first_mismatch(bad)}: {a[i]!r}, but should be {e[i]!r}) "
            f"[exact comparison]. {replay}"
        )


def _shown(tolerance: Any) -> str:
    """A tolerance for a message: a scalar, or the largest entry of an elementwise one."""
    return f"{float(tolerance):.3g}" if np.ndim(tolerance) == 0 else f"max {float(np.max(tolerance)):.3g} (elementwise)"


def _float64_pair(actual: Any, expected: Any, what: str, replay: str) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays on the CPU in float64 (one transfer each), checked to have one shape."""
    a = as_numpy(actual).astype(np.float64)
    e = as_numpy(expected).astype(np.float64)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape}, but should be {e.shape}. {replay}")
    return a, e


def _elements_off(a: np.ndarray, e: np.ndarray, bound: Any, bad: np.ndarray, *, tolerance: str, what: str,
                  replay: str) -> AssertionError:
    """The failure of a bounded comparison: how many elements are off, the first one, the worst |error|/bound."""
    b = np.broadcast_to(np.asarray(bound, dtype=np.float64), e.shape)
    i = _first_index(bad)
    worst = np.max(np.abs(a - e) / np.maximum(b, 1e-300))
    return AssertionError(
        f"{what}: {int(bad.sum())} of {a.size} elements off ({_first_mismatch(bad)}: {a[i]!r}, but should be "
        f"{e[i]!r} ± {b[i]:.3g}; worst |error|/bound = {worst:.3g}) [{tolerance}]. {replay}"
    )


def assert_within(actual: Any, expected: Any, bound: Any, *, why: str, what: str, replay: str = "") -> None:
    """|actual - expected| ≤ bound elementwise, after one transfer to the CPU; `bound` is a scalar or an array
    (a rounding bound derived per element) broadcastable to expected's shape, and `why` its derivation."""
    __tracebackhide__ = True
    a, e = _float64_pair(actual, expected, what, replay)
    bad = ~(np.abs(a - e) <= bound)
    if bad.any():
        raise _elements_off(a, e, bound, bad, tolerance=why, what=what, replay=replay)


def assert_close(
    actual: Any, expected: Any, *, rtol: float, atol: float, why: str, what: str, replay: str = ""
) -> None:
    """|actual - expected| ≤ atol + rtol·|expected| elementwise; `why` is the tolerance's derivation."""
    __tracebackhide__ = True
    a, e = _float64_pair(actual, expected, what, replay)
    bound = atol + rtol * np.abs(e)
    bad = ~(np.abs(a - e) <= bound)
    if bad.any():
        raise _elements_off(a, e, bound, bad, tolerance=f"rtol={_shown(rtol)}, atol={_shown(atol)}: {why}", what=what,
                            replay=replay)


def assert_matches_central_differences(gradients: dict[str, Any], loss: Callable[[dict[str, np.ndarray]], float],
                                       arrays: dict[str, np.ndarray], h: float, atol: float, *, why: str, what: str,
                                       replay: str = "") -> None:
    """Each gradients[name] (∂loss/∂arrays[name] from the target, entries in any layout of that array) is within
    `atol` of the central differences (loss(a + h·e_j) - loss(a - h·e_j)) / 2h over the entries j of
    a = arrays[name], the other arrays fixed; `why` derives atol (truncation and rounding at this h). The
    message adds the largest CS231n relative error |n - g| / (|n| + |g|), for information only."""
    __tracebackhide__ = True
    for name, analytic in gradients.items():
        base = arrays[name]
        numeric = np.empty(base.size)
        for j in range(base.size):
            bump = (np.arange(base.size) == j).reshape(base.shape) * h
            numeric[j] = (loss({**arrays, name: base + bump}) - loss({**arrays, name: base - bump})) / (2 * h)
        flat = as_numpy(analytic).astype(np.float64).ravel()
        relative = (np.abs(numeric - flat) / np.maximum(1e-8, np.abs(numeric) + np.abs(flat))).max() \
            if flat.shape == numeric.shape else float("nan")
        assert_close(flat, numeric, rtol=0.0, atol=atol, why=f"{why}; CS231n rel_error max={relative:.1e}",
                     what=f"{what} ∂/∂{name}", replay=replay)


def assert_binomial(k: int, n: int, rate: float, design: stats.Design, *, what: str, replay: str = "") -> None:
    """Exact two-sided test that k ~ Binomial(n, rate); spends one check of the suite budget."""
    __tracebackhide__ = True
    budget.spend()
    budget.record_design(what.split("(")[0], stats.BINOMIAL, n, design, rate)
    decision = stats.binomial_test(int(k), int(n), rate, design.alpha)
    if decision.reject:
        raise AssertionError(
            f"{what}={int(k)} of {n} (rate {k / max(n, 1):.4f}), but should be Binomial({n}, {rate:.4f}) "
            f"[{decision.method}, p-value {decision.pvalue:.2g} ≤ α={design.alpha:.1e}; "
            f"detects |Δrate| ≥ {design.delta:g} with power {design.power:g}]. {replay}"
        )


def block_seed(seed: int, index: int) -> int:
    """The seed of block `index` of a sequential check whose case has `seed`: independent streams per block
    (SeedSequence mixes both), each block replayable on its own."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def assert_binomial_sequential(draw_block: Callable[[int], tuple[int, int]], rate: float, design: stats.Design, *,
                               what: str, replay: str | Callable[[], str] = "", block: int | None = None) -> stats.SequentialOutcome:
    """Sequential two-sided test that draws succeed with probability `rate`: draw_block(m) draws m more units
    (block index 0, 1, ... in call order) and returns (successes, trials) among them. Stops as soon as the
    mixture likelihood ratio decides (regstats.sequential: level ≤ α by Ville's inequality, power ≥
    design.power at |Δrate| = δ, at most a stated multiple of the fixed-sample n). `replay` may be a
    callable, read only on failure (it can then name the last block drawn). Spends one check."""
    __tracebackhide__ = True
    seq = stats.binomial_sequential_design(rate, design, block)
    budget.spend()
    outcome = stats.run_binomial_sequential(draw_block, seq)
    budget.record_design(what.split("(")[0], stats.SEQUENTIAL_BINOMIAL, outcome.draws, design, rate, block=seq.block)
    if outcome.reject:
        k, n = int(outcome.statistic), outcome.n
        raise AssertionError(
            f"{what}={k} of {n} (rate {k / max(n, 1):.4f}) after {outcome.looks} blocks of {seq.block}, but should be "
            f"Bernoulli({rate:.4f}) draws [{outcome.method}: likelihood ratio e^{outcome.log_mixture:.1f} ≥ 1/α, "
            f"α={design.alpha:.1e}; detects |Δrate| ≥ {design.delta:g} with power {design.power:g} in ≤ {seq.cap} "
            f"draws]. {replay() if callable(replay) else replay}"
        )
    return outcome


def assert_variance_sequential(draw_block: Callable[[int], Any], variance: float, design: stats.Design, *,
                               what: str, replay: str | Callable[[], str] = "", block: int | None = None) -> stats.SequentialOutcome:
    """Sequential χ² test that i.i.d. normal draws have the given variance: draw_block(m) returns m more draws.
    design.delta is the variance ratio - 1 detected (ratios 1 + δ and 1/(1 + δ)); each block's own mean is
    removed, so the mean need not be known. Spends one check of the suite budget."""
    __tracebackhide__ = True
    seq = stats.variance_sequential_design(design, block)
    budget.spend()
    outcome = stats.run_variance_sequential(lambda m: as_numpy(draw_block(m)), seq, variance)
    budget.record_design(what.split("(")[0], stats.SEQUENTIAL_VARIANCE, outcome.draws, design, block=seq.block)
    if outcome.reject:
        raise AssertionError(
            f"{what} variance {variance * outcome.statistic / outcome.n:.5g} (within {outcome.looks} blocks of "
            f"{seq.block}), but should be {variance:.5g} [{outcome.method}: likelihood ratio "
            f"e^{outcome.log_mixture:.1f} ≥ 1/α, α={design.alpha:.1e}; detects a variance ratio off 1 by "
            f"{design.delta:g} with power {design.power:g} in ≤ {seq.cap} draws]. {replay() if callable(replay) else replay}"
        )
    return outcome


def assert_variance(sample: Any, variance: float, design: stats.Design, *, what: str, replay: str = "") -> None:
    """χ² test that an i.i.d. normal sample has the given variance; design.delta is the variance ratio - 1
    detected (ratios 1 + δ and 1/(1 + δ)). Spends one check of the suite budget."""
    __tracebackhide__ = True
    values = as_numpy(sample).astype(np.float64).ravel()
    budget.spend()
    budget.record_design(what.split("(")[0], stats.VARIANCE, values.size, design)
    decision = stats.variance_test(values, variance, design.alpha)
    if decision.reject:
        raise AssertionError(
            f"{what} variance {values.var(ddof=1):.5g}, but should be {variance:.5g} "
            f"[{decision.method}, p-value {decision.pvalue:.2g} ≤ α; {design.describe(values.size)} "
            f"in the variance ratio - 1]. {replay}"
        )


def assert_distribution(distance: float, n: int, design: stats.Design, *, law: str, what: str,
                        replay: str = "") -> None:
    """Exact Kolmogorov-Smirnov test: the sup-distance between the n-point empirical CDF and the null
    law must stay within the critical value. `distance` comes from stats.ks_distance (or a variant for
    a law with atoms). Spends one check of the suite budget."""
    __tracebackhide__ = True
    budget.spend()
    budget.record_design(what.split("(")[0], stats.KOLMOGOROV_SMIRNOV, n, design)
    critical = stats.ks_critical_value(int(n), design.alpha)
    if distance > critical:
        raise AssertionError(
            f"{what}: KS distance {distance:.4f} from {law}, but should be ≤ {critical:.4f} "
            f"[exact Kolmogorov-Smirnov test, {design.describe(int(n))} in the CDF]. {replay}"
        )


def assert_raises_invalid(call: Any, *, parameter: str, value: Any, accepted: tuple, what: str) -> BaseException:
    """`call()` must raise one of `accepted`; returns the exception for message checks."""
    __tracebackhide__ = True
    try:
        result = call()
    except accepted as error:
        return error
    except Exception as error:  # noqa: BLE001 - report which exception escaped instead
        raise AssertionError(
            f"{what} with {parameter}={value!r} raised {type(error).__name__}: {error}, "
            f"but should raise {' or '.join(a.__name__ for a in accepted)}"
        ) from error
    raise AssertionError(
        f"{what} with {parameter}={value!r} returned {type(result).__name__} silently, "
        f"but should raise {' or '.join(a.__name__ for a in accepted)}"
    )
