"""A per-call time limit as an assertion: a call that does not return in time fails its property, it does not hang.

`call_within(seconds, function, ...)` runs the call under a SIGALRM timer when it can (the main thread of
a POSIX process: how pytest runs a test), so a ``while True`` retry loop in the code under test is
interrupted where it is and the property fails with "did not finish in N s". An outer timer (the
watchdog plugin's per-case deadline, regverify.watchdog) is saved and re-armed with what is left of it.
Elsewhere (another thread, no SIGALRM) the call runs in a daemon thread that is abandoned if it overruns:
the property still fails in time, though the thread keeps its CPU until the process ends.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

#: Seconds a single call of an operation may take in a termination property; every call these properties make
#: costs well under 10 ms on a correct target (a 200x margin for a loaded machine). $REGVERIFY_CALL_SECONDS
#: overrides it.
CALL_SECONDS = 2.0


def call_seconds() -> float:
    raw = os.environ.get("REGVERIFY_CALL_SECONDS", "")
    try:
        return float(raw) if float(raw) > 0 else CALL_SECONDS
    except ValueError:
        return CALL_SECONDS


class _Expired(BaseException):
    """Raised inside the call when its time is up (a BaseException: `except Exception` in user code lets it by)."""


def call_within(seconds: float, function: Callable[..., Any], *args: Any, what: str, **kwargs: Any) -> Any:
    """`function(*args, **kwargs)`, or AssertionError "<what> did not finish in <seconds> s"."""
    __tracebackhide__ = True
    message = (f"{what} did not finish in {seconds:g} s (a correct implementation takes milliseconds: a retry loop "
               f"without a bound, or a loop whose exit the input never reaches)")
    if hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread():
        outer_delay, _ = signal.getitimer(signal.ITIMER_REAL)
        if outer_delay and outer_delay <= seconds:  # an outer deadline comes first: it will interrupt the call
            return function(*args, **kwargs)

        def expire(signum: int, frame: Any) -> None:
            raise _Expired

        started = time.monotonic()
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            return function(*args, **kwargs)
        except _Expired:
            raise AssertionError(message) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if outer_delay:
                signal.setitimer(signal.ITIMER_REAL, max(outer_delay - (time.monotonic() - started), 1e-6))
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed to the caller's thread as is
            box["error"] = error

    worker = threading.Thread(target=run, daemon=True, name=f"regverify call: {what}")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise AssertionError(message)
    if "error" in box:
        raise box["error"]
    return box.get("result")
