"""What every convention adapter needs: stub detection, a per-call time limit, seeded global RNGs, masks.

An adapter turns code as a student wrote it into the target protocol (impls/protocol/). The student's
code is called through :func:`limited`, so a call that never returns is reported as "did not finish
in N s" for the property and parameters that made it, and the run goes on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

#: Seconds one call of the user's code may take before it is reported as not finishing. A CS231n layer on
#: the suite's inputs (≤ 6000 elements) returns in milliseconds; 10 s is three orders of magnitude above.
CALL_TIME_LIMIT_S = float(os.environ.get("REGVERIFY_CALL_TIME_LIMIT", "10"))


class DidNotFinish(BaseException):  # noqa: N818 - reads as the outcome it reports
    """A call of the user's code ran past the time limit.

    A BaseException, not an Exception, on purpose: Hypothesis would otherwise try to shrink the example,
    calling the hanging code again and again; this way the property fails at once with this message.
    """


class StubCalled(Exception):  # noqa: N818
    """The user's function is a stub (returned None or raised NotImplementedError)."""


def is_stub_result(value: Any) -> bool:
    """None, or a tuple whose arrays are all None: what an unfilled CS231n template returns."""
    if value is None:
        return True
    return isinstance(value, tuple) and len(value) > 0 and value[0] is None


def limited(function: Callable, *args: Any, what: str, seconds: float | None = None, **kwargs: Any) -> Any:
    """Call `function`, raising DidNotFinish after `seconds` (SIGALRM: main thread on POSIX only).

    An outer SIGALRM deadline (regverify.watchdog's per-case limit) is kept: when it comes first its own
    handler runs, and after the call the outer timer gets what is left of its time.
    """
    limit = CALL_TIME_LIMIT_S if seconds is None else seconds
    usable = limit > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        return function(*args, **kwargs)
    outer_handler = signal.getsignal(signal.SIGALRM)
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    ours_first = not outer_left or limit <= outer_left
    started = time.monotonic()

    def expired(signum, frame):
        if ours_first:
            raise DidNotFinish(f"{what} did not finish in {limit:g} s (the call was abandoned; the run goes on)")
        if callable(outer_handler):
            outer_handler(signum, frame)

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, limit if ours_first else outer_left)
    try:
        return function(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left:
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.monotonic() - started), 1e-3))


def seed_from(generator: Any) -> int:
    """A 31-bit seed drawn from an explicit generator (numpy or torch), for code that only takes seeds.

    The same generator state gives the same seed, so the protocol's "same generator, same output" holds.
    """
    if generator is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(generator, np.random.Generator):
        return int(generator.integers(2**31 - 1))
    import torch

    if isinstance(generator, torch.Generator):
        return int(torch.randint(2**31 - 1, (1,), generator=generator, device=generator.device).item())
    raise TypeError(f"generator must be a numpy.random.Generator, a torch.Generator or None, "
                    f"got {type(generator).__name__}")


_scramble_counter = iter(range(1, 2**62))


@contextlib.contextmanager
def numpy_global_rng(seed: int | None) -> Iterator[None]:
    """Run with NumPy's global RNG seeded, then restore it: no global state is left changed.

    seed=None seeds with a fresh counter value instead, so code that should seed itself (CS231n's
    dropout_param['seed']) but does not draws differently on every call and fails the replay property.
    """
    saved = np.random.get_state()
    np.random.seed(next(_scramble_counter) % 2**32 if seed is None else seed)
    try:
        yield
    finally:
        np.random.set_state(saved)


@contextlib.contextmanager
def torch_global_rng(seed: int) -> Iterator[None]:
    """Run with torch's global CPU RNG seeded, then restore it."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _arrays_in(value: Any, depth: int = 0) -> Iterator[np.ndarray]:
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 3 and isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays_in(item, depth + 1)
    elif depth < 3 and isinstance(value, dict):
        for item in value.values():
            yield from _arrays_in(item, depth + 1)


def survivors_of(x: Any, out: Any) -> Any:
    """The kept units, read from the output: nonzero outputs, except NaN from an infinite input (a dropped ±inf
    times 0 is NaN; a kept one stays ±inf). Works on NumPy arrays and torch tensors alike."""
    if hasattr(out, "isnan"):  # torch
        return (out != 0) & ~(out.isnan() & x.isinf())
    out, x = np.asarray(out), np.asarray(x)
    return (out != 0) & ~(np.isnan(out) & np.isinf(x))


def keep_mask(stored: Any, x: np.ndarray, out: Any) -> tuple[np.ndarray, str]:
    """The boolean keep mask behind a dropout call, from whatever the code stored, and how it was encoded.

    `stored` is searched (a cache, a layer's attributes) for an array of x's shape that is a mask: bool
    (keep or drop: whichever agrees with the output's zeros) or numeric with values {0, c} (0/1 or scaled
    by 1/keep). With no mask stored, the output's nonzeros are the mask (the suite's inputs are nonzero).
    """
    survivors = survivors_of(x, out)
    candidates = [a for a in _arrays_in(stored) if a.shape == x.shape and a is not x and a is not out]
    for array in candidates:
        if array.dtype == np.bool_:
            agree_keep = int((array == survivors).sum())
            agree_drop = int((~array == survivors).sum())
            return (array.copy(), "bool keep mask") if agree_keep >= agree_drop else (~array, "bool drop mask")
    for array in candidates:
        if np.issubdtype(array.dtype, np.number) and np.unique(array[array != 0]).size <= 1:
            scale = array[array != 0]
            kind = "0/1 mask" if scale.size == 0 or scale[0] == 1 else "mask scaled by 1/keep"
            return array != 0, kind
    return survivors, "no mask stored (survivors taken from the output)"
