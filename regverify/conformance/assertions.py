"""Assertion helpers: say what was expected, what happened, the design, and how to replay it.

They compare on the CPU in bulk (one transfer per array), never element by element on a device,
and hide themselves from tracebacks.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import regstats as stats
from regstats import budget


def as_numpy(array: Any) -> np.ndarray:
    from impls.protocol import Target

    return Target.to_numpy(array)


def _first_mismatch(bad: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"first at index {index}" if index else "at the scalar"


def assert_exact(actual: Any, expected: Any, *, what: str, replay: str = "") -> None:
    """Bitwise equality (NaNs equal), after one transfer to the CPU."""
    __tracebackhide__ = True
    a, e = as_numpy(actual), as_numpy(expected)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape}, but should be {e.shape}. {replay}")
    bad = ~((a == e) | (np.isnan(a) & np.isnan(e))) if a.dtype.kind == "f" else a != e
    if bad.any():
        where = _first_mismatch(bad)
        i = tuple(np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {a.size} elements differ ({where}: {a[i]!r}, but should be {e[i]!r}) "
            f"[exact comparison]. {replay}"
        )


def assert_close(
    actual: Any, expected: Any, *, rtol: float, atol: float, why: str, what: str, replay: str = ""
) -> None:
    """|actual - expected| ≤ atol + rtol·|expected| elementwise; `why` is the tolerance's derivation."""
    __tracebackhide__ = True
    a = as_numpy(actual).astype(np.float64)
    e = as_numpy(expected).astype(np.float64)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape}, but should be {e.shape}. {replay}")
    err = np.abs(a - e)
    bound = atol + rtol * np.abs(e)
    bad = ~(err <= bound)
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {a.size} elements off ({_first_mismatch(bad)}: {a[i]!r}, "
            f"but should be {e[i]!r} ± {bound[i]:.3g}) [rtol={rtol:.3g}, atol={atol:.3g}: {why}]. {replay}"
        )


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
