"""pytest plugin: a test case that runs longer than $REGVERIFY_CASE_TIMEOUT seconds fails, and the run goes on.

Loaded with ``-p regverify.watchdog`` (pytest-xdist passes that on to its workers). The deadline is a
SIGALRM timer, so it interrupts Python code (a ``while True`` in a user's module, a ``time.sleep``), not a
single C call that never returns. The exception is a BaseException: Hypothesis, which catches Exception to
shrink, lets it through, and pytest records it as this case's failure with the traceback of where the code
was when the time ran out.
"""

from __future__ import annotations

import os
import signal
import threading

import pytest

VARIABLE = "REGVERIFY_CASE_TIMEOUT"


class CaseTimedOut(BaseException):
    """A test case ran past its deadline."""


def _seconds() -> float | None:
    raw = os.environ.get(VARIABLE, "")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value > 0 else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    seconds = _seconds()
    usable = seconds is not None and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame) -> None:
        raise CaseTimedOut(f"timed out: this test case ran longer than {seconds:g} s (the code was interrupted "
                           f"where the traceback ends; set the limit with --case-timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
